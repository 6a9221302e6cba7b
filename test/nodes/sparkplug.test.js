'use strict';
// Sparkplug B through the ingest node in the real Node-RED runtime, on a FakeClock: wired
// Buffers in (a core `mqtt in` set to Buffer output), readings out, and the death notice
// (src/core/liveness.ts) wired into every other node of ours: the heartbeat watch says `down`
// at once; enrich passes it on; window, alert and the heartbeat raise no error and refuse nothing.
const assert = require('assert');
const tahu = require('sparkplug-payload').get('spBv1.0');
const helper = require('../support/helper');
const { fakeClockPerTest } = require('../support/fake-clock');
const { collect } = require('../support/collect');

const NODES = ['ingest', 'heartbeat-watch', 'enrich', 'window', 'alert'].map((n) => require(`../../nodes/telemetry-${n}.js`));
const T0 = Date.UTC(2026, 11, 5, 8);
const encode = (payload) => Buffer.from(tahu.encodePayload(payload));

let clock;

function flow() {
  const catchAll = ['ing', 'hb', 'en', 'win', 'al'];
  return [
    { id: 'f1', type: 'tab', label: 'sparkplug' },
    { id: 'ing', z: 'f1', type: 'telemetry-ingest', format: 'sparkplug', batchSize: '', batchInterval: '', wires: [['hb', 'en', 'win', 'al', 'readings'], ['refused']] },
    { id: 'hb', z: 'f1', type: 'telemetry-heartbeat-watch', timeout: '1h', summaryInterval: '', wires: [['changes'], ['hbSummary']] },
    { id: 'en', z: 'f1', type: 'telemetry-enrich', onMissing: 'pass', reloadInterval: '', rules: [], wires: [['enriched'], ['enRefused']] },
    { id: 'win', z: 'f1', type: 'telemetry-window', windowType: 'tumbling', size: '1m', aggregates: 'count', wires: [['windows'], ['winRefused']] },
    { id: 'al', z: 'f1', type: 'telemetry-alert', rules: [{ field: 'temp', op: 'above', value: '30', value2: '', for: '', clear: '', severity: 'warning' }], wires: [['alerts'], ['alSummary']] },
    { id: 'catcher', z: 'f1', type: 'catch', scope: catchAll, uncaught: false, wires: [['caught']] },
    ...['readings', 'refused', 'changes', 'hbSummary', 'enriched', 'enRefused', 'windows', 'winRefused', 'alerts', 'alSummary', 'caught'].map((id) => ({ id, z: 'f1', type: 'helper' })),
  ];
}

describe('telemetry-ingest format sparkplug (node)', function () {
  this.timeout(10_000);
  fakeClockPerTest(helper, { start: T0 }, (c) => (clock = c));

  it('readings from BIRTH/DATA by alias; DDEATH and NDEATH → heartbeat down at once; other nodes unharmed', async function () {
    await helper.load(NODES, flow());
    const out = Object.fromEntries(['readings', 'refused', 'changes', 'enriched', 'enRefused', 'winRefused', 'caught'].map((id) => [id, collect(id)]));
    const ing = helper.getNode('ing');
    const send = (topic, payload) => ing.receive({ topic, payload: encode(payload) });

    send('spBv1.0/G/NBIRTH/E', { timestamp: T0, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 1 }, { name: 'temp', alias: 1, type: 'Double', value: 20 }] });
    send('spBv1.0/G/DBIRTH/E/D1', { timestamp: T0, seq: 1, metrics: [{ name: 'temp', alias: 2, type: 'Double', value: 21 }] });
    send('spBv1.0/G/DDATA/E/D1', { timestamp: T0 + 1, seq: 2, metrics: [{ alias: 2, type: 'Double', value: 22 }] });
    const readings = await out.readings.next(3);
    assert.deepStrictEqual(readings.map((m) => [m.payload[0].tags.device, m.payload[0].fields.temp]), [['E', 20], ['E/D1', 21], ['E/D1', 22]]);
    await clock.advance(1_000);
    assert.strictEqual(out.changes.seen.length, 0, 'nobody is down yet');

    send('spBv1.0/G/DDEATH/E/D1', { timestamp: T0 + 2, seq: 3 });
    const [death] = await out.readings.next();
    assert.deepStrictEqual(death.payload, []);
    assert.deepStrictEqual(death.liveness, { status: 'down', devices: ['E/D1'], reason: 'DDEATH', source: 'sparkplug' });
    const [down] = await out.changes.next();
    assert.deepStrictEqual([down.payload.device, down.payload.status], ['E/D1', 'down']);

    send('spBv1.0/G/NDEATH/E', { timestamp: T0 + 3, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 1 }] });
    const [nodeDown] = await out.changes.next();
    assert.deepStrictEqual([nodeDown.payload.device, nodeDown.payload.status], ['E', 'down']);

    // Back: its next BIRTH brings it up.
    send('spBv1.0/G/NBIRTH/E', { timestamp: T0 + 4, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 2 }, { name: 'temp', alias: 1, type: 'Double', value: 20 }] });
    const [up] = await out.changes.next();
    assert.deepStrictEqual([up.payload.device, up.payload.status], ['E', 'up']);

    await clock.advance(0);
    const enrichedDeaths = out.enriched.seen.filter((m) => m.liveness);
    assert.strictEqual(enrichedDeaths.length, 2, 'enrich passes death notices on');
    for (const id of ['refused', 'enRefused', 'winRefused', 'caught']) assert.deepStrictEqual(out[id].seen, [], `${id}: ${JSON.stringify(out[id].seen.map((m) => m.error))}`);
  });

  it('garbage and unknown aliases go to output 2 with a reason; the wired ingest asks no rebirth (no broker)', async function () {
    await helper.load(NODES, flow());
    const refused = collect('refused');
    const ing = helper.getNode('ing');
    ing.receive({ topic: 'spBv1.0/G/NDATA/E', payload: Buffer.from([0xff, 0x01, 0x02]) });
    ing.receive({ topic: 'spBv1.0/G/NDATA/E', payload: encode({ seq: 1, metrics: [{ alias: 5, type: 'Int32', value: 1 }] }) });
    ing.receive({ topic: 'not/sparkplug', payload: encode({ seq: 1, metrics: [] }) });
    const msgs = await refused.next(3);
    assert.deepStrictEqual(msgs.map((m) => m.error.code), ['PARSE_ERROR', 'UNKNOWN_ALIAS', 'TOPIC_MISMATCH']);
    for (const m of msgs) assert.ok(m.error.message.length > 10, m.error.message);
  });
});
