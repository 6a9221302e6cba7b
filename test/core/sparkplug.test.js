'use strict';
// Sparkplug B in the ingest core (DESIGN §6, README "Sparkplug B"): topics, births defining
// aliases, DATA by alias, seq gaps, deaths, every metric type, rebirth requests at most once per
// 5 s per edge node (on a fake "now"), memory bounds, and a fuzz of mutated protobuf bytes:
// never a throw, every refusal with a reason. Payloads are encoded with Eclipse Tahu's encoder.
const assert = require('assert');
const fc = require('fast-check');
const tahu = require('sparkplug-payload').get('spBv1.0');
const { SparkplugIngest } = require('../../dist/core/ingest/sparkplug/ingest');
const { parseSparkplugTopic } = require('../../dist/core/ingest/sparkplug/topic');
const sessions = require('../../dist/core/ingest/sparkplug/sessions');
const { parseIngestConfig } = require('../../dist/core/ingest/config');
const { validateReading } = require('../../dist/core/reading');

const NOW = Date.UTC(2026, 11, 5, 8);
const encode = (payload) => Buffer.from(tahu.encodePayload(payload));
const decode = (bytes) => tahu.decodePayload(bytes);
const options = () => parseIngestConfig({ format: 'sparkplug' }).settings.options;

function node() {
  const ing = new SparkplugIngest(options());
  const send = (topic, payload, now = NOW, canRebirth = true) => ing.handle({ topic, payload: encode(payload), now, canRebirth });
  return { ing, send };
}

const nbirth = (seq = 0, bdSeq = 0, extra = []) => ({
  timestamp: NOW,
  seq,
  metrics: [
    { name: 'bdSeq', type: 'UInt64', value: bdSeq },
    { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    { name: 'Properties/Make', type: 'String', value: 'ACME' },
    { name: 'line/speed', alias: 1, type: 'Double', value: 1.25 },
    ...extra,
  ],
});

describe('sparkplug: topics', function () {
  const table = [
    ['spBv1.0/G/NBIRTH/E', { kind: 'data', type: 'NBIRTH', group: 'G', edge: 'E', device: undefined }],
    ['spBv1.0/G/DDATA/E/D', { kind: 'data', type: 'DDATA', group: 'G', edge: 'E', device: 'D' }],
    ['spBv1.0/G/NCMD/E', { kind: 'command', type: 'NCMD' }],
    ['spBv1.0/STATE/host', { kind: 'command', type: 'STATE' }],
  ];
  for (const [topic, want] of table) {
    it(`${topic} → ${want.type}`, function () {
      const got = parseSparkplugTopic(topic);
      assert.strictEqual(got.ok, true);
      for (const key of Object.keys(want)) assert.strictEqual(got[key], want[key]);
    });
  }
  for (const bad of [undefined, '', 'spAv1.0/G/NDATA/E', 'spBv1.0/G/NDATA/E/D', 'spBv1.0/G/DDATA/E', 'spBv1.0/G/XDATA/E', 'spBv1.0//NDATA/E', 'spBv1.0/G/DDATA/E/D/x']) {
    it(`refuses ${JSON.stringify(bad)} with a reason`, function () {
      const got = parseSparkplugTopic(bad);
      assert.strictEqual(got.ok, false);
      assert.ok(got.reason.length > 10);
    });
  }
});

describe('sparkplug: births, aliases and data', function () {
  it('NBIRTH metrics are readings with group, edge and device tags; Node Control metrics are not fields', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NBIRTH/E', nbirth());
    assert.deepStrictEqual(r.rejections, []);
    assert.deepStrictEqual(r.readings, [
      { measurement: 'telemetry', tags: { group: 'G', edge: 'E', device: 'E' }, fields: { bdSeq: 0, 'Properties/Make': 'ACME', 'line/speed': 1.25 }, timestamp: NOW },
    ]);
  });

  it('DDATA by alias resolves to the name its DBIRTH gave; device tag is <edge>/<device>', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth());
    send('spBv1.0/G/DBIRTH/E/D1', { timestamp: NOW, seq: 1, metrics: [{ name: 'temp', alias: 7, type: 'Float', value: 20 }] });
    const r = send('spBv1.0/G/DDATA/E/D1', { timestamp: NOW + 5, seq: 2, metrics: [{ alias: 7, type: 'Float', value: 21.5 }, { alias: 1, type: 'Double', value: 3 }] });
    assert.deepStrictEqual(r.rejections, []);
    assert.deepStrictEqual(r.readings, [{ measurement: 'telemetry', tags: { group: 'G', edge: 'E', device: 'E/D1' }, fields: { temp: 21.5, 'line/speed': 3 }, timestamp: NOW + 5 }]);
    assert.strictEqual(r.rebirth, undefined);
  });

  it('DATA without a datatype takes the one its BIRTH gave', function () {
    const { ing, send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0, 0, [{ name: 'count', alias: 2, type: 'UInt16', value: 1 }]));
    // Tahu's encoder always writes the datatype: drop it through the raw schema.
    const { org } = require('sparkplug-payload/lib/sparkplugPayloadProto');
    const P = org.eclipse.tahu.protobuf.Payload;
    const msg = P.decode(encode({ seq: 1, metrics: [{ alias: 2, type: 'UInt16', value: 65535 }] }));
    delete msg.metrics[0].datatype;
    const out = ing.handle({ topic: 'spBv1.0/G/NDATA/E', payload: P.encode(msg).finish(), now: NOW, canRebirth: true });
    assert.deepStrictEqual(out.rejections, []);
    assert.strictEqual(out.readings[0].fields.count, 65535);
  });

  it('metrics with their own timestamps (historical) make one reading per timestamp, each at its time', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth());
    const r = send('spBv1.0/G/NDATA/E', {
      timestamp: NOW,
      seq: 1,
      metrics: [
        { name: 'line/speed', type: 'Double', value: 1, timestamp: NOW - 2000, isHistorical: true },
        { name: 'line/speed', type: 'Double', value: 2, timestamp: NOW - 1000, isHistorical: true },
        { name: 'other', type: 'Int32', value: -5 },
      ],
    });
    assert.deepStrictEqual(r.rejections, []);
    assert.deepStrictEqual(r.readings.map((x) => [x.timestamp, x.fields]), [
      [NOW - 2000, { 'line/speed': 1 }],
      [NOW - 1000, { 'line/speed': 2 }],
      [NOW, { other: -5 }],
    ]);
  });

  it('no timestamp at all → arrival time', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NDATA/E', { seq: 4, metrics: [{ name: 'x', type: 'Boolean', value: true }] }, NOW + 99);
    assert.strictEqual(r.readings[0].timestamp, NOW + 99);
  });
});

describe('sparkplug: metric types', function () {
  const cases = [
    ['Int8', -128, -128], ['Int16', -32768, -32768], ['Int32', -2147483648, -2147483648],
    ['UInt8', 255, 255], ['UInt16', 65535, 65535], ['UInt32', 4294967295, 4294967295],
    ['Int64', -9007199254740991, -9007199254740991], ['UInt64', 9007199254740991, 9007199254740991],
    ['Float', 1.5, 1.5], ['Double', 1e300, 1e300], ['Boolean', false, false],
    ['String', 'ok', 'ok'], ['Text', 'long text', 'long text'], ['UUID', '0b7c0d8e-0000-4000-8000-000000000000', '0b7c0d8e-0000-4000-8000-000000000000'],
    ['DateTime', NOW - 1, NOW - 1],
  ];
  for (const [type, value, want] of cases) {
    it(`${type} ${value} → ${JSON.stringify(want)}`, function () {
      const { send } = node();
      const r = send('spBv1.0/G/NDATA/E', { timestamp: NOW, seq: 1, metrics: [{ name: 'm', type, value }] });
      assert.deepStrictEqual(r.rejections, []);
      assert.strictEqual(r.readings[0].fields.m, want);
    });
  }

  it('Int64/UInt64 beyond ±2^53 are refused (PRECISION_LOSS) with the exact value in the reason', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NDATA/E', {
      seq: 1,
      metrics: [
        { name: 'big', type: 'UInt64', value: '18446744073709551615' },
        { name: 'neg', type: 'Int64', value: '-9223372036854775808' },
        { name: 'ok', type: 'Int64', value: 1 },
      ],
    });
    assert.deepStrictEqual(r.readings[0].fields, { ok: 1 });
    assert.deepStrictEqual(r.rejections.map((x) => [x.code, x.field]), [['PRECISION_LOSS', 'big'], ['PRECISION_LOSS', 'neg']]);
    assert.match(r.rejections[0].message, /18446744073709551615/);
    assert.match(r.rejections[1].message, /-9223372036854775808/);
  });

  it('Templates are flattened to <metric>/<member>; definitions give no field', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NBIRTH/E', {
      seq: 0,
      metrics: [
        { name: 'Motor', type: 'Template', value: { isDefinition: true, metrics: [{ name: 'rpm', type: 'Int32', value: 0 }] } },
        { name: 'm1', type: 'Template', value: { templateRef: 'Motor', metrics: [{ name: 'rpm', type: 'Int32', value: 1450 }, { name: 'inner', type: 'Template', value: { templateRef: 'X', metrics: [{ name: 'on', type: 'Boolean', value: true }] } }] } },
      ],
    });
    assert.deepStrictEqual(r.rejections, []);
    assert.deepStrictEqual(r.readings[0].fields, { 'm1/rpm': 1450, 'm1/inner/on': true });
  });

  it('DataSet, Bytes, File, PropertySet and null metrics are refused with a reason; the rest is kept', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NDATA/E', {
      seq: 1,
      metrics: [
        { name: 'ds', type: 'DataSet', value: { numOfColumns: 1, columns: ['c'], types: ['Int32'], rows: [[1]] } },
        { name: 'b', type: 'Bytes', value: Buffer.from([1, 2]) },
        { name: 'f', type: 'File', value: Buffer.from([1]) },
        { name: 'ps', type: 'PropertySet', value: { a: { type: 'Int32', value: 1 } } },
        { name: 'n', type: 'Double', value: null },
        { name: 'ok', type: 'Double', value: 1 },
      ],
    });
    assert.deepStrictEqual(r.readings[0].fields, { ok: 1 });
    assert.deepStrictEqual(r.rejections.map((x) => x.code), ['UNSUPPORTED_TYPE', 'UNSUPPORTED_TYPE', 'UNSUPPORTED_TYPE', 'UNSUPPORTED_TYPE', 'NULL_VALUE']);
    for (const x of r.rejections) assert.ok(x.message.includes(`"${x.field}"`), x.message);
  });
});

describe('sparkplug: unknown aliases, seq gaps and rebirth requests', function () {
  it('an unknown alias is refused and asks for a rebirth through NCMD Node Control/Rebirth = true', function () {
    const { send } = node();
    const r = send('spBv1.0/G/DDATA/E/D1', { timestamp: NOW, seq: 3, metrics: [{ alias: 9, type: 'Float', value: 1 }, { name: 'named', type: 'Float', value: 2 }] });
    assert.deepStrictEqual(r.readings.map((x) => x.fields), [{ named: 2 }]);
    assert.deepStrictEqual(r.rejections.map((x) => [x.code, x.field]), [['UNKNOWN_ALIAS', 'alias 9']]);
    assert.strictEqual(r.rebirth.topic, 'spBv1.0/G/NCMD/E');
    const cmd = decode(r.rebirth.payload);
    assert.deepStrictEqual(cmd.metrics.map((m) => [m.name, m.type, m.value]), [['Node Control/Rebirth', 'Boolean', true]]);
  });

  it('at most one rebirth request per 5 s per edge node (fake time), each edge node on its own', function () {
    const { send } = node();
    const data = (seq) => ({ seq, metrics: [{ alias: 9, type: 'Float', value: 1 }] });
    const asked = [];
    for (const [t, topic] of [[0, 'E'], [1000, 'E'], [1000, 'F'], [4999, 'E'], [5000, 'E'], [9999, 'E'], [10000, 'E']]) {
      const r = send(`spBv1.0/G/NDATA/${topic}`, data(t % 256), NOW + t);
      if (r.rebirth) asked.push(`${topic}@${t}`);
    }
    assert.deepStrictEqual(asked, ['E@0', 'F@1000', 'E@5000', 'E@10000']);
  });

  it('no rebirth request when the ingest cannot publish (wired input)', function () {
    const { send } = node();
    const r = send('spBv1.0/G/NDATA/E', { seq: 1, metrics: [{ alias: 9, type: 'Float', value: 1 }] }, NOW, false);
    assert.strictEqual(r.rejections[0].code, 'UNKNOWN_ALIAS');
    assert.strictEqual(r.rebirth, undefined);
  });

  it('a seq gap is refused with a reason, asks a rebirth, and alias metrics wait for the next NBIRTH', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0));
    assert.deepStrictEqual(send('spBv1.0/G/NDATA/E', { seq: 1, metrics: [{ alias: 1, type: 'Double', value: 1 }] }).rejections, []);
    const gap = send('spBv1.0/G/NDATA/E', { seq: 5, metrics: [{ alias: 1, type: 'Double', value: 2 }, { name: 'byName', type: 'Double', value: 3 }] });
    assert.deepStrictEqual(gap.rejections.map((x) => x.code), ['SEQ_GAP', 'UNKNOWN_ALIAS']);
    assert.match(gap.rejections[0].message, /seq 5, expected 2/);
    assert.deepStrictEqual(gap.readings.map((x) => x.fields), [{ byName: 3 }]);
    assert.ok(gap.rebirth);
    // Still out of sync (the next seq is fine, but a BIRTH may have been lost).
    assert.strictEqual(send('spBv1.0/G/NDATA/E', { seq: 6, metrics: [{ alias: 1, type: 'Double', value: 4 }] }).rejections[0].code, 'UNKNOWN_ALIAS');
    send('spBv1.0/G/NBIRTH/E', nbirth(0, 1));
    const back = send('spBv1.0/G/NDATA/E', { seq: 1, metrics: [{ alias: 1, type: 'Double', value: 5 }] });
    assert.deepStrictEqual(back.rejections, []);
    assert.deepStrictEqual(back.readings[0].fields, { 'line/speed': 5 });
  });

  it('seq wraps from 255 to 0 without a gap', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0));
    let r;
    for (let i = 1; i <= 260; i++) r = send('spBv1.0/G/NDATA/E', { seq: i % 256, metrics: [{ alias: 1, type: 'Double', value: i }] });
    assert.deepStrictEqual(r.rejections, []);
  });
});

describe('sparkplug: deaths', function () {
  it('NDEATH names the edge node and every device it had; DDEATH one device; no readings', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0, 3));
    send('spBv1.0/G/DBIRTH/E/D1', { seq: 1, metrics: [{ name: 'a', alias: 5, type: 'Int32', value: 1 }] });
    send('spBv1.0/G/DBIRTH/E/D2', { seq: 2, metrics: [{ name: 'b', alias: 6, type: 'Int32', value: 1 }] });
    const dd = send('spBv1.0/G/DDEATH/E/D2', { seq: 3 });
    assert.deepStrictEqual(dd.readings, []);
    assert.deepStrictEqual(dd.rejections, []);
    assert.deepStrictEqual(dd.liveness, { status: 'down', devices: ['E/D2'], reason: 'DDEATH', source: 'sparkplug' });
    const nd = send('spBv1.0/G/NDEATH/E', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
    assert.deepStrictEqual(nd.liveness.devices, ['E', 'E/D1']);
    assert.deepStrictEqual(nd.rejections, []);
  });

  it('an NDEATH with another bdSeq than the NBIRTH (a late will of an earlier connection) is refused, not a death', function () {
    const { send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0, 4));
    const nd = send('spBv1.0/G/NDEATH/E', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] });
    assert.strictEqual(nd.liveness, undefined);
    assert.strictEqual(nd.rejections[0].code, 'STALE_DEATH');
  });

  it('NDEATH frees the alias map: DATA by alias afterwards is unknown', function () {
    const { ing, send } = node();
    send('spBv1.0/G/NBIRTH/E', nbirth(0, 0));
    assert.strictEqual(ing.sessions.aliasCount, 1);
    send('spBv1.0/G/NDEATH/E', { metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] });
    assert.strictEqual(ing.sessions.aliasCount, 0);
    assert.strictEqual(ing.sessions.size, 0);
    assert.strictEqual(send('spBv1.0/G/NDATA/E', { seq: 1, metrics: [{ alias: 1, type: 'Double', value: 1 }] }).rejections[0].code, 'UNKNOWN_ALIAS');
  });

  it('commands and STATE are ignored: neither readings nor refusals', function () {
    const { send } = node();
    for (const topic of ['spBv1.0/G/NCMD/E', 'spBv1.0/G/DCMD/E/D', 'spBv1.0/STATE/host']) {
      const r = send(topic, { metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
      assert.deepStrictEqual([r.readings, r.rejections, r.ignored], [[], [], true]);
    }
  });
});

describe('sparkplug: memory bounds', function () {
  it(`at most ${sessions.MAX_METRICS} metrics (aliases) per edge node; beyond, STATE_FULL and no rebirth loop`, function () {
    const { ing, send } = node();
    const metrics = [];
    for (let i = 0; i < sessions.MAX_METRICS + 5; i++) metrics.push({ name: `m${i}`, alias: i + 1, type: 'Int32', value: i });
    const birth = send('spBv1.0/G/NBIRTH/E', { seq: 0, metrics: metrics.slice(0, 1_000) });
    assert.strictEqual(birth.readings.length, 1);
    // 1,000 fields per reading at most (draft.ts): the rest comes in DBIRTHs of 1,000 each.
    let last;
    for (let d = 1; d * 1_000 < metrics.length; d++) last = send(`spBv1.0/G/DBIRTH/E/D${d}`, { seq: d, metrics: metrics.slice(d * 1_000, (d + 1) * 1_000) });
    assert.strictEqual(last.readings[0].fields.m10004, 10004, 'beyond the bound, BIRTH metrics are still readings');
    assert.match(last.rejections.find((x) => x.code === 'STATE_FULL').message, /5 alias\(es\)/);
    const data = send('spBv1.0/G/DDATA/E/D10', { seq: 11, metrics: [{ alias: sessions.MAX_METRICS + 3, type: 'Int32', value: 1 }] });
    assert.strictEqual(data.rejections[0].code, 'STATE_FULL');
    assert.strictEqual(data.rebirth, undefined, 'a rebirth would define the same aliases again');
    assert.strictEqual(ing.sessions.aliasCount, sessions.MAX_METRICS);
  });

  it(`at most ${sessions.MAX_EDGE_NODES} edge nodes; a further one still gives readings by name`, function () {
    const { ing, send } = node();
    for (let i = 0; i < sessions.MAX_EDGE_NODES; i++) ing.sessions.get('G', `E${i}`);
    const r = send('spBv1.0/G/NDATA/Z', { seq: 1, metrics: [{ name: 'x', type: 'Int32', value: 1 }, { alias: 3, type: 'Int32', value: 1 }] });
    assert.deepStrictEqual(r.readings[0].fields, { x: 1 });
    assert.strictEqual(r.rejections[0].code, 'STATE_FULL');
    assert.strictEqual(r.rebirth, undefined);
  });
});

describe('sparkplug: garbage and fuzz', function () {
  it('not protobuf, text, objects, nothing: refused with a reason', function () {
    const ing = new SparkplugIngest(options());
    for (const payload of [Buffer.from([0xff, 0xff, 0xff]), Buffer.alloc(0), undefined, { a: 1 }, 42, 'hello']) {
      const r = ing.handle({ topic: 'spBv1.0/G/NDATA/E', payload, now: NOW, canRebirth: true });
      assert.strictEqual(r.readings.length, 0);
      assert.ok(r.rejections.length > 0 && r.rejections.every((x) => x.code && x.message), JSON.stringify(r.rejections));
    }
  });

  it('20,000 mutated protobuf payloads on random topics: never throws, every reading valid, every refusal has a reason', function () {
    const seeds = [
      encode(nbirth(0, 0, [{ name: 'm1', alias: 2, type: 'Template', value: { metrics: [{ name: 'x', type: 'Int64', value: -1 }] } }])),
      encode({ timestamp: NOW, seq: 1, metrics: [{ alias: 1, type: 'Double', value: 2 }, { name: 'ds', type: 'DataSet', value: { numOfColumns: 1, columns: ['c'], types: ['String'], rows: [['x']] } }] }),
      encode({ seq: 2, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 1 }, { name: 's', type: 'String', value: 'text' }, { name: 'n', type: 'Int8', value: null }] }),
    ];
    const topics = ['spBv1.0/G/NBIRTH/E', 'spBv1.0/G/NDATA/E', 'spBv1.0/G/DBIRTH/E/D', 'spBv1.0/G/DDATA/E/D', 'spBv1.0/G/NDEATH/E', 'spBv1.0/G/DDEATH/E/D', 'spBv1.0/G/XX/E'];
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { maxLength: 6 })).map(([seed, edits]) => {
      let bytes = Buffer.from(seed);
      for (const [at, value, op] of edits) {
        const i = at % Math.max(1, bytes.length);
        if (op === 'set') bytes[i] = value;
        else if (op === 'cut') bytes = bytes.subarray(0, i);
        else bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
      }
      return bytes;
    });
    const ing = new SparkplugIngest(options());
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.oneof(mutated, fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))), (topic, payload) => {
        const r = ing.handle({ topic, payload, now: NOW, canRebirth: true });
        for (const reading of r.readings) assert.strictEqual(validateReading(reading), undefined);
        for (const x of r.rejections) assert.ok(typeof x.code === 'string' && typeof x.message === 'string' && x.message.length > 0);
        assert.ok(r.readings.length > 0 || r.rejections.length > 0 || r.liveness || r.ignored, 'accounted for');
        assert.ok(!r.rejections.some((x) => x.code === 'INTERNAL_ERROR'), JSON.stringify(r.rejections));
      }),
      { seed: 19_019, numRuns: 20_000 },
    );
  });
});
