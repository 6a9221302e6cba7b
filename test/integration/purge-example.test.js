'use strict';
// examples/purge.json in a real Node-RED process with this package installed, against a real
// InfluxDB: the steps its comments teach work as described.
const assert = require('assert');
const { startInflux } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor } = require('../support/wait');
const example = require('../../examples/purge.json');

const D = 86_400_000;

describe('examples/purge.json', function () {
  this.timeout(60_000);
  let influx;
  let red;

  before(async function () {
    influx = await startInflux(this);
    const flows = JSON.parse(JSON.stringify(example).split('http://127.0.0.1:8086').join(influx.url));
    // The report debug node also logs, so the test can tell when a run has finished.
    for (const n of flows) if (n.type === 'debug' && n.name === 'reports') n.console = true;
    red = await startNodeRed({ flows, mochaCtx: this });
  });

  const inject = (name) => red.api('POST', `/inject/${example.find((n) => n.type === 'inject' && n.name === name).id}`);
  const count = (where = '') => influx.count('purge_example', 'telemetry', { where });

  it('1. writes a year of sample readings into its own database', async function () {
    await inject('1. write sample data');
    await waitFor(async () => (await count()) >= 100_000, { timeout: 30_000, message: 'sample data' });
    assert.ok((await count()) <= 106_000);
  });

  it('2. a dry run changes nothing', async function () {
    const before = await count();
    const from = red.logLines().length;
    await inject('2. dry run');
    await red.waitForLog(/\[debug:reports\]/, { from, timeout: 20_000 });
    assert.strictEqual(await count(), before);
    assert.strictEqual(await influx.count('purge_example', 'telemetry_1h'), 0);
    assert.ok(!red.logLines().slice(from).some((l) => /\[error\]/.test(l)), red.logLines().slice(from).join('\n'));
  });

  it('3. purges data older than 90 days into hourly means', async function () {
    await inject('3. purge now');
    // The cutoff is rounded down to a whole hour (the downsample interval).
    const cutoff = `time < now() - ${90 * D + 3_600_000}ms`;
    await waitFor(async () => (await count(cutoff)) === 0, { timeout: 30_000, message: 'old data gone' });
    const hourly = await influx.rows(`SELECT * FROM "telemetry_1h" WHERE ${cutoff} GROUP BY *`, { db: 'purge_example' });
    assert.ok(hourly.length > 2 * 24 * 270, `${hourly.length} hourly points`);
    assert.deepStrictEqual(Object.keys(hourly[0]).filter((k) => /_/.test(k)).sort(), ['max_humidity', 'max_temperature', 'mean_humidity', 'mean_temperature']);
    assert.ok((await count()) > 2 * 144 * 89, 'the last 90 days stay');
  });
});
