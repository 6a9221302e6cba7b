'use strict';
// Fuzz: telemetry-purge takes msgs as triggers with optional overrides; hostile overrides are
// refused with a clear error, every msg finishes exactly once, nothing crashes (issue #12).
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const purgeNode = require('../../nodes/telemetry-purge.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const { fuzzNode, corpus } = require('../fuzz/harness');

const TYPE = 'telemetry-purge';

describe('telemetry-purge fuzz', function () {
  this.timeout(90000);
  afterEach(async function () {
    await helper.unload();
  });

  it('hostile, mutated and random trigger msgs finish once with a clear outcome', async function () {
    const valid = { measurements: 'telemetry', olderThan: '30d', where: { device: 'd' }, dryRun: true };
    const msgs = corpus({ valid, random: 150, seed: 6 });
    for (const hostile of ['m"; DROP DATABASE "x', "x' OR 1=1 --", 'a\nDELETE FROM b', '/.*/', '', ' ']) {
      msgs.push({ payload: { measurements: hostile, olderThan: '30d' } }, { payload: { where: { [hostile]: hostile }, olderThan: '30d' } });
    }
    const { caught, completed } = await fuzzNode(helper, {
      nodeModules: [influxNode, purgeNode],
      type: TYPE,
      config: {
        server: 's1', mode: 'delete', measurements: 'telemetry', olderThan: '90d', where: '', schedule: '', dryRun: true, minAge: '1h', allowMsgOverride: true,
      },
      outputs: 1,
      extraNodes: [{ id: 's1', type: 'telemetry-influxdb', url: 'http://127.0.0.1:9', database: 'fuzz', retentionPolicy: '', timeout: 500 }],
      msgs,
      pace: 1,
      settleMs: 60000,
    });
    assert.equal(caught.length + completed.length, msgs.length);
  });
});
