'use strict';
// Security: `npm audit --omit=dev` reports no high or critical advisory for what users install.
// The advisory service is a separate endpoint of the registry; where it cannot be reached (this
// project's machines answer it with 405), the test is skipped with the reason, never passed.
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');

function audit() {
  return new Promise((resolve) => {
    execFile('npm', ['audit', '--omit=dev', '--json'], { cwd: REPO, timeout: 60000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      let report;
      try {
        report = JSON.parse(stdout);
      } catch {
        report = undefined;
      }
      resolve({ code: err ? err.code : 0, report, stderr: String(stderr) });
    });
  });
}

describe('security: npm audit --omit=dev', function () {
  this.timeout(90000);

  it('reports no high or critical advisory for the runtime dependencies', async function () {
    const { report, stderr } = await audit();
    const unreachable =
      !report ||
      (report.statusCode && !report.metadata) ||
      /audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(stderr);
    if (unreachable) {
      const why = report && report.statusCode ? `HTTP ${report.statusCode} ${report.message || ''}` : stderr.split('\n').filter(Boolean).slice(-2).join(' ');
      console.log(`      !!! SKIPPING: the npm advisory endpoint cannot be reached from here (${why.trim()}); audit not run`);
      this.skip();
    }
    const counts = report.metadata.vulnerabilities;
    const serious = Object.entries(report.vulnerabilities || {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`);
    assert.deepEqual(serious, [], `npm audit: ${JSON.stringify(counts)}`);
    assert.equal((counts.high || 0) + (counts.critical || 0), 0);
  });
});
