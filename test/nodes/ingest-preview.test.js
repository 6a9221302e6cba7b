'use strict';
// The ingest dialog's parse preview: POST /telemetry-ingest/:id/preview in the real runtime
// (node-red-node-test-helper's admin app, no adminAuth: permissions are tested with adminAuth in
// monitor-auth.test.js). The answer must be what the deployed node would send for that payload.
const assert = require('assert');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const { FakeClock } = require('../support/fake-clock');
const { collect } = require('../support/collect');

const NOW = Date.parse('2026-12-05T08:00:00Z');

const flow = [
  { id: 'f1', type: 'tab', label: 'preview' },
  { id: 'in', type: 'telemetry-ingest', z: 'f1', format: 'auto', wires: [['ok'], ['bad']] },
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

async function preview(body, status = 200) {
  const res = await helper.request().post('/telemetry-ingest/in/preview').send(body).expect(status);
  return res.body;
}

describe('telemetry-ingest parse preview (admin endpoint)', function () {
  this.timeout(5_000);
  beforeEach(async function () {
    helper.settings({ telemetryClock: new FakeClock(NOW) });
    await helper.load(ingestNode, flow);
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });

  it('reads JSON with the dialog\'s undeployed topic template and tag keys: fields with their types', async function () {
    const answer = await preview({
      config: { format: 'auto', topicTemplate: 'sensors/{site}/{device}/telemetry', measurement: 'env', tagKeys: 'room' },
      topic: 'sensors/plant-a/dev-7/telemetry',
      payload: JSON.stringify({ room: 'r1', temperature: 21.5, ok: true, label: '1.2', ts: 1_764_921_600 }),
    });
    assert.strictEqual(answer.ok, true);
    assert.strictEqual(answer.format, 'json');
    assert.deepStrictEqual(answer.readings, [{
      measurement: 'env',
      tags: { site: 'plant-a', device: 'dev-7', room: 'r1' },
      fields: [
        { name: 'temperature', value: 21.5, type: 'number' },
        { name: 'ok', value: true, type: 'boolean' },
        { name: 'label', value: '1.2', type: 'string' },
      ],
      timestamp: 1_764_921_600_000,
    }]);
    assert.deepStrictEqual(answer.rejections, []);
  });

  it('reads SenML and line protocol, and a reading without a time gets the arrival time', async function () {
    const senml = await preview({ config: { format: 'auto' }, payload: JSON.stringify([{ bn: 'dev-1/', n: 'temp', u: 'Cel', v: 20 }]) });
    assert.strictEqual(senml.format, 'senml');
    assert.strictEqual(senml.readings.length, 1);
    assert.deepStrictEqual(senml.readings[0].fields.map((f) => [f.name, f.type]), [['temp', 'number']]);
    const line = await preview({ config: { format: 'line' }, payload: 'weather,site=a temp=1.5,up=true\nweather,site=b temp=2' });
    assert.strictEqual(line.format, 'line');
    assert.deepStrictEqual(line.readings.map((r) => [r.tags.site, r.fields.length, r.timestamp]), [['a', 2, NOW], ['b', 1, NOW]]);
  });

  it('shows each refusal with its reason, next to the readings that were accepted', async function () {
    const answer = await preview({ config: { format: 'json' }, payload: JSON.stringify([{ device: 'd1', t: 1 }, { device: 'd2', t: { deep: [1] } }, 'nope']) });
    assert.strictEqual(answer.ok, true);
    assert.ok(answer.readings.length >= 1, JSON.stringify(answer));
    assert.ok(answer.rejections.length >= 1, JSON.stringify(answer));
    for (const r of answer.rejections) assert.ok(r.code && r.message, JSON.stringify(r));
    const broken = await preview({ config: { format: 'json' }, payload: '{"device": "d1", "t": ' });
    assert.strictEqual(broken.readings.length, 0);
    assert.match(broken.rejections[0].message, /JSON/i);
  });

  it('answers the config problems of the dialog\'s values instead of a preview', async function () {
    // Sparkplug needs the edge node's session: said as a problem, not as a parser refusal.
    const sparkplug = await preview({ config: { format: 'sparkplug' }, payload: 'x' });
    assert.deepStrictEqual(sparkplug, { ok: false, problems: [{ key: 'previewSparkplug' }] });
    const answer = await preview({ config: { format: 'json', topicTemplate: 'a/{x}/{x}' }, payload: '{}' });
    assert.strictEqual(answer.ok, false);
    assert.strictEqual(answer.problems[0].key, 'badTemplate');
  });

  it('refuses a payload over 64 KB (413), a missing payload (400)', async function () {
    const big = await preview({ config: {}, payload: 'x'.repeat(65_537) }, 413);
    assert.strictEqual(big.problems[0].key, 'previewTooLarge');
    await preview({ config: {}, payload: 'a b=1', topic: 't'.repeat(1_025) }, 413);
    await preview({ config: {}, topic: 'a' }, 400);
  });

  it('previews the last message the deployed node received (404 before the first)', async function () {
    const none = await preview({ config: {}, useLast: true }, 404);
    assert.strictEqual(none.problems[0].key, 'previewNoLast');
    const ok = collect('ok');
    helper.getNode('in').receive({ topic: 'plant/dev-3', payload: Buffer.from('{"device":"dev-3","rpm":1200}') });
    await ok.next(1);
    const answer = await preview({ config: { format: 'auto', topicTemplate: '{site}/+' }, useLast: true });
    assert.deepStrictEqual(answer.input, { topic: 'plant/dev-3', payload: '{"device":"dev-3","rpm":1200}' });
    assert.deepStrictEqual(answer.readings[0].tags, { site: 'plant', device: 'dev-3' });
  });
});
