'use strict';
// Fuzzing the ingest core: 100,000 random and mutated payloads (real-world seeds, JSON trees
// with __proto__/constructor/prototype keys, arbitrary text and bytes, hostile wired objects)
// through every format. Nothing may throw, nothing may pollute a prototype, every input must
// be accounted for (readings + refusals), and every reading must be valid.
// Fixed seed for reproducible CI; FC_SEED=<n> explores other corners.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const fc = require('fast-check');
const { ingest } = require('../../dist/core/ingest/ingest');
const { parseIngestConfig } = require('../../dist/core/ingest/config');
const { validateReading } = require('../../dist/core/reading');

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 3_000_003;
const NOW = Date.UTC(2024, 4, 1, 12);
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'ingest');
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);
// Taken before each test: other test files (should.js via the test helper) extend it on purpose.
let protoKeys;

const CONFIGS = [
  {},
  { format: 'json' },
  { format: 'senml', senmlUnits: 'drop' },
  { format: 'line' },
  { format: 'value' },
  { topicTemplate: '{measurement}/{device}/#', tagKeys: 'deviceId,device,site,__x' },
  { format: 'json', timestampKey: 'params_ts', maxFuture: '', maxPast: '' },
].map((raw) => parseIngestConfig(raw).settings.options);
const TOPICS = [undefined, '', 'm/dev-1', 'm/dev-1/x/y', '__proto__/constructor', 'a'];

const SEEDS = fs
  .readdirSync(FIXTURES)
  .filter((f) => /\.(json|lp)$/.test(f))
  .map((f) => fs.readFileSync(path.join(FIXTURES, f), 'utf8'))
  .concat([
    '{"__proto__":{"polluted":"yes"},"t":1}',
    '{"constructor":{"prototype":{"polluted":"yes"}},"ts":1714564800}',
    '[{"__proto__":{"polluted":1}},{"prototype":{"x":1},"v":2}]',
    '{"measurement":"m","tags":{"__proto__":"x"},"fields":{"constructor":1,"v":2},"timestamp":"2024-05-01T12:00:00Z"}',
    'm,__proto__=x constructor=1,v=2 1714564800000000000',
    '21.5',
    'true',
    '"on"',
  ]);
const HOSTILE = [
  '"__proto__":', '{"__proto__":{"polluted":1}}', '"constructor":{"prototype":{"polluted":1}},', '"prototype":',
  ',', '{', '}', '[', ']', '"', '\\', '\n', ' ', '=', 'null', '1e999', '-0', '"ts":', '"time":"x",', '"bn":"d:",', '"x_":1,',
  '"n":"v",', '\u0000', '\uD800', '\uFEFF', 'é', 'i', '9999999999999999999999',
];

function checkResult(payload, options, result) {
  assert.ok(Array.isArray(result.readings) && Array.isArray(result.rejections));
  assert.ok(result.readings.length + result.rejections.length >= 1, 'an input vanished without a trace');
  for (const r of result.rejections) {
    assert.strictEqual(typeof r.code, 'string');
    assert.ok(typeof r.message === 'string' && r.message.length > 0);
    assert.ok(['message', 'item', 'field'].includes(r.scope));
    assert.notStrictEqual(r.code, 'INTERNAL_ERROR', `internal error: ${r.message}`);
  }
  if (result.rejections.some((r) => r.scope === 'message')) {
    assert.strictEqual(result.readings.length, 0);
    assert.strictEqual(result.rejections.length, 1);
  }
  for (const reading of result.readings) {
    assert.strictEqual(validateReading(reading), undefined);
    for (const obj of [reading, reading.tags, reading.fields]) {
      assert.strictEqual(Object.getPrototypeOf(obj), Object.prototype);
      for (const key of Object.keys(obj)) assert.ok(!UNSAFE.has(key), `unsafe key ${key} accepted`);
    }
    if (options.maxFutureMs !== undefined) assert.ok(reading.timestamp - NOW <= options.maxFutureMs);
    if (options.maxPastMs !== undefined) assert.ok(NOW - reading.timestamp <= options.maxPastMs);
  }
  if (!result.multiple) assert.ok(result.readings.length <= 1);
  // Counts add up: each element of a JSON array is a reading or exactly one item refusal.
  if (result.format === 'json' && result.multiple) {
    const arr = typeof payload === 'string' || Buffer.isBuffer(payload) ? JSON.parse(String(payload).replace(/^\uFEFF/, '').trim()) : payload;
    const itemRefusals = result.rejections.filter((r) => r.scope === 'item').length;
    assert.strictEqual(result.readings.length + itemRefusals, arr.length);
  }
  // …and a line-protocol payload that was read at all yields a reading or an item refusal per line.
  if (result.format === 'line' && !result.rejections.some((r) => r.scope === 'message')) {
    const itemRefusals = result.rejections.filter((r) => r.scope === 'item').length;
    assert.ok(result.readings.length + itemRefusals >= 1);
    if (!result.multiple) assert.strictEqual(result.readings.length + itemRefusals, 1);
  }
}

/** Runs that produced at least one reading: the fuzz must exercise acceptance, not only refusal. */
let withReadings = 0;

function property(arbitrary) {
  withReadings = 0;
  return fc.property(arbitrary, fc.nat(CONFIGS.length - 1), fc.nat(TOPICS.length - 1), (payload, c, t) => {
    const options = CONFIGS[c];
    let result;
    assert.doesNotThrow(() => {
      result = ingest({ payload, topic: TOPICS[t], now: NOW }, options);
    });
    checkResult(payload, options, result);
    if (result.readings.length > 0) withReadings++;
  });
}

function assertNotPolluted() {
  assert.strictEqual({}.polluted, undefined, 'Object.prototype.polluted');
  assert.strictEqual(Object.getOwnPropertyNames(Object.prototype).sort().join(), protoKeys, 'Object.prototype changed');
  assert.strictEqual([].polluted, undefined);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), text: fc.constantFrom(...HOSTILE) }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('replace'), at: fc.nat(), text: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
);
function mutate(seed, ops) {
  let text = seed;
  for (const op of ops) {
    const at = text.length === 0 ? 0 : op.at % (text.length + 1);
    if (op.kind === 'insert') text = text.slice(0, at) + op.text + text.slice(at);
    else if (op.kind === 'delete') text = text.slice(0, at) + text.slice(at + op.length);
    else if (op.kind === 'replace') text = text.slice(0, at) + op.text + text.slice(at + 1);
    else text = text.slice(0, at);
  }
  return text;
}

const key = fc.oneof(
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'ts', 'timestamp', 'time', 'deviceId', 'device', 'site', 'n', 'bn', 'v', 'vs', 'bt', 't', 'fields', 'tags', 'measurement', 'params'), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 6 }), weight: 5 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 4 }), weight: 1 },
);
const leaf = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(1714564800, 1714564800123, '1714564800123456789', '2024-05-01T12:00:00Z', 'yesterday', 0, -1, 1e300),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 6 })),
}));

describe('ingest fuzz: 100,000 payloads', function () {
  this.timeout(120_000);
  beforeEach(() => {
    protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join();
  });
  afterEach(assertNotPolluted);

  it('30,000 mutated real-world and hostile seeds', function () {
    fc.assert(property(fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { maxLength: 6 })).map(([s, ops]) => mutate(s, ops))), { numRuns: 30_000, seed: SEED });
    assert.ok(withReadings > 3_000, `only ${withReadings} runs produced readings`);
  });

  it('25,000 random JSON trees with prototype-polluting keys, as text', function () {
    fc.assert(property(tree.map((v) => JSON.stringify(v) ?? 'null')), { numRuns: 25_000, seed: SEED + 1 });
    assert.ok(withReadings > 2_500, `only ${withReadings} runs produced readings`);
  });

  it('15,000 random JSON trees as wired objects (NaN, Infinity, null, -0 included)', function () {
    fc.assert(property(tree), { numRuns: 15_000, seed: SEED + 2 });
  });

  it('20,000 arbitrary strings (unicode, line-protocol-like)', function () {
    const lpChar = fc.constantFrom('m', 'v', '=', ',', ' ', '"', '\\', '\n', '1', '.', 'i', 't', '#', '_');
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: lpChar, maxLength: 60 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));
    fc.assert(property(text), { numRuns: 20_000, seed: SEED + 3 });
  });

  it('10,000 arbitrary byte buffers', function () {
    fc.assert(property(fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))), { numRuns: 10_000, seed: SEED + 4 });
  });
});
