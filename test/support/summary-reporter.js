'use strict';
// mocha's `spec` reporter plus one plain last line, `N passed, N failed`, which CI output is
// judged on. Pending (skipped) tests are reported on the line before it.
// With MOCHA_SUMMARY_FILE=<path> the counts are also written there as JSON (.ci/run adds up
// the counts of several mocha runs).
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Registered after Spec's own EVENT_RUN_END listener, so this prints after its epilogue.
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      if (pending) console.log(`${pending} pending (skipped)`);
      console.log(`${passes} passed, ${failures} failed`);
      const file = process.env.MOCHA_SUMMARY_FILE;
      if (file) {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ passes, failures, pending, tests: this.stats.tests }) + '\n');
      }
    });
  }
}

module.exports = SummaryReporter;
