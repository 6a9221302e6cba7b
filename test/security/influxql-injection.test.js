'use strict';
// Security: InfluxQL cannot be injected through telemetry-purge. Tag keys and values in `where`
// (config and msg override) carrying quotes, backslashes, comments, regex and statement
// separators either match exactly the series that has that literal tag value, or are refused;
// a bystander measurement and every other series keep all their points; msg overrides cannot
// widen what is deleted. Real InfluxDB 1.6, the purge node in the runtime (test helper).
const assert = require('node:assert/strict');
const { purgeFixture } = require('../support/purge-fixture');
const purgeNode = require('../../nodes/telemetry-purge.js');
const { encodeValidReading } = require('../../dist/core/line-protocol');

const H = 3_600_000;
const D = 24 * H;
const HOSTILE_VALUES = [
  "x' OR device='safe",
  "x\\' OR '1'='1",
  'x" OR "device"=\'safe',
  "x'; DROP MEASUREMENT \"bystander\"; --",
  "/.*/",
  "' OR time > 0 OR '",
  'back\\slash',
  "it's",
  'line\\nbreak',
];

describe('security: InfluxQL cannot be injected (purge)', function () {
  this.timeout(60_000);
  const fx = purgeFixture(purgeNode, 'inj');

  beforeEach(async function () {
    // 3 old points per series (older than 1d) and 1 recent, in the target and in a bystander.
    const now = Date.now();
    const lines = [];
    for (const device of ['safe', ...HOSTILE_VALUES]) {
      for (const m of ['target', 'bystander']) {
        for (const age of [3 * D, 2.5 * D, 2 * D, H]) lines.push(encodeValidReading({ measurement: m, tags: { device }, fields: { v: 1 }, timestamp: now - age }));
      }
    }
    await fx.influx.write(lines.join('\n'), { db: fx.db });
  });

  async function purge(config, msg = { payload: '' }) {
    await fx.load({ mode: 'delete', measurements: 'target', olderThan: '1d', minAge: '1h', schedule: '', ...config });
    const r = await fx.outcome(msg);
    return r.ok ? { ok: r.ok.payload } : { error: r.error.error };
  }

  const count = (m, device) => fx.influx.count(fx.db, m, { exact: true, where: `"device" = '${device.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` });

  async function assertOnlyDeleted(device) {
    for (const d of ['safe', ...HOSTILE_VALUES]) {
      assert.equal(await count('bystander', d), 4, `bystander ${JSON.stringify(d)} touched`);
      assert.equal(await count('target', d), d === device ? 1 : 4, `target ${JSON.stringify(d)}`);
    }
  }

  for (const value of HOSTILE_VALUES) {
    it(`where {"device": ${JSON.stringify(value)}} deletes exactly that series`, async function () {
      const r = await purge({ where: JSON.stringify({ device: value }) });
      assert.ok(r.ok, `refused: ${r.error && r.error.message}`);
      await assertOnlyDeleted(value);
    });
  }

  it('hostile tag keys match no series and delete nothing (or are refused)', async function () {
    for (const key of ['device" OR "1"="1', "device' OR '1'='1", 'device"; DROP MEASUREMENT "bystander', '/.*/']) {
      const r = await purge({ where: JSON.stringify({ [key]: 'safe' }) });
      assert.ok(r.ok || (r.error && r.error.message.length > 8), 'neither a report nor a clear error');
    }
    await assertOnlyDeleted('no such device');
  });

  it('a msg override of where can narrow with a hostile value but never widen', async function () {
    const config = { where: JSON.stringify({ device: HOSTILE_VALUES[0] }), allowMsgOverride: true };
    const widen = await purge(config, { payload: { where: {} } });
    assert.ok(widen.error, 'an empty where widened the purge');
    const other = await purge(config, { payload: { where: { device: 'safe' } } });
    assert.ok(other.error, 'a different value widened the purge');
    await assertOnlyDeleted('no such device');
  });

  it('a msg override of measurements cannot name a measurement outside the config', async function () {
    const r = await purge({ allowMsgOverride: true }, { payload: { measurements: 'bystander' } });
    assert.ok(r.error, 'the bystander could be purged by msg');
    const r2 = await purge({ allowMsgOverride: true }, { payload: { measurements: 'target", "bystander' } });
    assert.ok(r2.error);
    await assertOnlyDeleted('no such device');
  });
});
