'use strict';
// mocha configuration for `npm test` (pretest builds dist/ first).
//
// The full suite's spec list is used only when no test files are named on the command line:
// mocha *adds* the config's `spec` to positional files, so `npx mocha test/x.test.js` would
// otherwise run everything.
const path = require('path');

// Options of mocha that take a value (so their value is not mistaken for a test file).
const VALUE_OPTIONS = new Set([
  '--config', '--package', '--reporter', '-R', '--reporter-option', '--reporter-options', '-O',
  '--timeout', '-t', '--slow', '-s', '--grep', '-g', '--fgrep', '-f', '--require', '-r', '--ui', '-u',
  '--file', '--ignore', '--exclude', '--extension', '--spec', '--jobs', '-j', '--retries',
  '--node-option', '-n', '--watch-files', '--watch-ignore', '--import',
]);

function namesTestFiles(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--spec') return true;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    return true;
  }
  return false;
}

// process.argv: [node, .../mocha(.js), ...args]
const cliArgs = process.argv.slice(2);

module.exports = {
  ...(namesTestFiles(cliArgs)
    ? {}
    : { spec: ['test/{core,nodes,integration,faults,security,e2e,packaging,scale}/**/*.test.js'] }),
  timeout: 10000,
  exit: true,
  reporter: path.join(__dirname, 'test', 'support', 'summary-reporter.js'),
  recursive: true,
};
