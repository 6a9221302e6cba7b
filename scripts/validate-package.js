#!/usr/bin/env node
'use strict';
// Runs the Flow Library's validator, `node-red-dev validate` 0.1.6, on this package as npm
// would publish it (the `npm pack` tarball, unpacked), and prints its scorecard.
//
// node-red-dev cannot finish on this machine unaided: its P08/N01 rules fetch the Flow Library
// catalogue from catalogue.nodered.org, which does not resolve here (ENOTFOUND), and it stops at
// that error. scripts/flow-library-catalogue-stub.js is preloaded to answer exactly that request
// with an empty catalogue (so P08/N01 pass vacuously); its npm-registry look-ups (P06, P07, D02,
// D03) go out normally. node-red-dev itself is installed once into .cache/node-red-dev/.
//
// Usage: node scripts/validate-package.js [--path DIR] [--output FILE]
//   --path DIR     validate DIR instead of the packed repo
//   --output FILE  also write the scorecard JSON there
// Exit status: 0 every rule passed, 1 some rule failed, 2 the validator could not run.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const NODE_RED_DEV_VERSION = '0.1.6';
const CACHE = process.env.NODE_RED_DEV_CACHE || path.join(ROOT, '.cache', 'node-red-dev');
const STUB = path.join(__dirname, 'flow-library-catalogue-stub.js');

/**
 * [command, ...leading args] for the npm that runs this process (`npm test` → its npm-cli.js),
 * else the first `npm` on PATH outside node_modules/.bin. Not simply "npm": under npx/npm
 * scripts PATH starts with node_modules/.bin, which holds the npm 10 that @node-red/registry
 * depends on — and its `npm pack --ignore-scripts` still runs `prepare` (a full rebuild).
 */
function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath) && !execPath.includes(`${path.sep}node_modules${path.sep}.bin`)) {
    return [process.execPath, execPath];
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir || dir.includes(`node_modules${path.sep}.bin`)) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'npm.cmd' : 'npm');
    if (fs.existsSync(candidate)) return [candidate];
  }
  return ['npm'];
}

/** execFileSync of npm with `args`. */
function runNpm(args, options) {
  const [cmd, ...lead] = npmCommand();
  return execFileSync(cmd, [...lead, ...args], options);
}

/** What each scorecard code checks (node-red-dev 0.1.6 src/libs/check*.js). */
const RULES = {
  P01: 'package.json declares a license',
  P03: 'package.json has a repository or bugs URL',
  P04: 'package name is scoped (new packages) or a valid node-red-contrib-* name',
  P05: 'keywords contain "node-red"',
  P06: 'node-red.version is satisfied by the current Node-RED releases (latest / maintenance tags)',
  P07: 'engines.node admits the minimum Node.js of the latest Node-RED',
  P08: 'no similarly named package in the Flow Library catalogue (catalogue stubbed empty here)',
  N01: 'node type names not used by another catalogue package (catalogue stubbed empty here)',
  N02: 'examples/*.json flows use every non-config node',
  D01: 'at most 6 runtime dependencies',
  D02: 'no known-incompatible package (agent-base < 6) in the dependency tree',
  D03: 'runtime dependencies allow their latest versions',
};

/** Path of node-red-dev's CLI entry, installing it into the cache on first use. */
function ensureNodeRedDev({ quiet = false } = {}) {
  const pkgDir = path.join(CACHE, 'node_modules', 'node-red-dev');
  const bin = path.join(pkgDir, 'bin', 'run');
  const installed = fs.existsSync(path.join(pkgDir, 'package.json'))
    && JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version === NODE_RED_DEV_VERSION;
  if (!installed) {
    fs.mkdirSync(CACHE, { recursive: true });
    const own = path.join(CACHE, 'package.json');
    if (!fs.existsSync(own)) fs.writeFileSync(own, '{ "name": "node-red-dev-runner", "private": true }\n');
    if (!quiet) console.error(`validate-package: installing node-red-dev@${NODE_RED_DEV_VERSION} into ${CACHE}`);
    runNpm(['install', '--no-audit', '--no-fund', '--loglevel=error', `node-red-dev@${NODE_RED_DEV_VERSION}`], {
      cwd: CACHE,
      stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'],
    });
  }
  return bin;
}

/**
 * `npm pack` of the repo (without running `prepare`: dist/ must be built already) into a temp
 * dir, unpacked. Returns `{ dir, tarball, packageDir, files }` (files: paths inside the tarball).
 */
function packRepo() {
  if (!fs.existsSync(path.join(ROOT, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-pack-'));
  let out;
  try {
    out = runNpm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm pack failed: ${String(err.stderr || err.message).trim()}`);
  }
  const info = JSON.parse(out.slice(out.indexOf('[')))[0];
  const tarball = path.join(dir, info.filename);
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  return { dir, tarball, packageDir: path.join(dir, 'package'), files: info.files.map((f) => f.path) };
}

/** Runs the validator on `dir`; returns `{ scorecard, output, status }`. */
function runValidator(dir, { bin = ensureNodeRedDev() } = {}) {
  const scoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'test-nrdev-')), 'scorecard.json');
  const res = spawnSync(process.execPath, ['--require', STUB, bin, 'validate', '--path', dir, '--output', scoreFile], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120000,
  });
  const output = `${res.stdout || ''}${res.stderr || ''}`;
  let scorecard = null;
  try {
    scorecard = JSON.parse(fs.readFileSync(scoreFile, 'utf8'));
  } catch {
    // the validator stopped before writing it
  }
  fs.rmSync(path.dirname(scoreFile), { recursive: true, force: true });
  return { scorecard, output, status: res.status, error: res.error };
}

/** Rule codes whose `test` is not true (missing codes included). */
function failedRules(scorecard) {
  return Object.keys(RULES).filter((code) => !(scorecard[code] && scorecard[code].test === true));
}

function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  let packed = null;
  let dir = arg('--path');
  if (!dir) {
    packed = packRepo();
    dir = packed.packageDir;
  }
  const { scorecard, output, error } = runValidator(path.resolve(dir));
  process.stdout.write(output);
  if (packed) fs.rmSync(packed.dir, { recursive: true, force: true });
  if (!scorecard) {
    console.error(`validate-package: node-red-dev produced no scorecard${error ? `: ${error.message}` : ''}`);
    return 2;
  }
  if (arg('--output')) fs.writeFileSync(arg('--output'), JSON.stringify(scorecard, null, 2) + '\n');
  console.log('\nrule  result  what');
  for (const [code, what] of Object.entries(RULES)) {
    const r = scorecard[code];
    console.log(`${code}   ${r ? (r.test ? 'pass  ' : 'FAIL  ') : 'absent'}  ${what}`);
  }
  const failed = failedRules(scorecard);
  console.log(failed.length ? `\nFAILED: ${failed.join(', ')}` : '\nall rules passed');
  return failed.length ? 1 : 0;
}

module.exports = { RULES, npmCommand, runNpm, ensureNodeRedDev, packRepo, runValidator, failedRules, NODE_RED_DEV_VERSION };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
