'use strict';
// Fuzzing a node in the real Node-RED runtime (node-red-node-test-helper): random and mutated
// msgs, wrong types, huge strings, deep objects, prototype-pollution keys. For every msg the node
// must finish exactly once — done() (seen by a Complete node) or done(err) (seen by a Catch
// node) — with a clear error, never crash, never throw out of the runtime, never stay silent;
// rejected msgs on an error output carry `msg.error = { code, message }`; Object.prototype is
// untouched. Used by test/nodes/*-fuzz.test.js.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { sleep } = require('../support/wait');

// ---------------------------------------------------------------------------------------------
// Hostile values

function deepObject(depth, leaf = 1) {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function deepArray(depth) {
  let value = [1];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/**
 * Not in HOSTILE: Node-RED's Catch delivery clones the msg and the getter throws inside the
 * runtime, whatever the node does. Nodes that read payload properties get it in their own tests.
 */
function throwingGetter() {
  const o = { measurement: 'm', tags: {}, timestamp: Date.now() };
  Object.defineProperty(o, 'fields', { enumerable: true, get() { throw new Error('getter exploded'); } });
  return o;
}

function circular() {
  const o = { measurement: 'm', tags: { device: 'd' }, fields: { v: 1 }, timestamp: Date.now() };
  o.self = o;
  o.fields.loop = o;
  return o;
}

/** Named hostile payloads every node meets; each is a function so every use gets a fresh one. */
const HOSTILE = {
  'undefined': () => undefined,
  'null': () => null,
  'NaN': () => NaN,
  'Infinity': () => -Infinity,
  'a function': () => function payload() {},
  'a symbol': () => Symbol('s'),
  'a BigInt': () => 10n ** 30n,
  'a Date': () => new Date(NaN),
  'a RegExp': () => /x/g,
  'an empty object': () => ({}),
  'an empty array': () => [],
  'a 2 MB string': () => 'x'.repeat(2 * 1024 * 1024),
  'a 2 MB string of JSON': () => JSON.stringify({ deviceId: 'd', v: 'y'.repeat(2 * 1024 * 1024) }),
  'a 1 MB Buffer of random bytes': () => Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7919) % 256)),
  // Node-RED's own cloneMessage (lodash cloneDeep: Catch nodes, fan-out) overflows the stack at
  // ~2,000 levels, so a msg object cannot be deeper than that in any flow; 1,500 is as deep as the
  // runtime can carry. Deeper structures arrive as text: 10,000 levels of JSON below.
  'an object nested 1,500 deep': () => deepObject(1_500),
  'an array nested 1,500 deep': () => deepArray(1_500),
  'JSON text nested 10,000 deep': () => '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
  '__proto__ key (JSON.parse)': () => JSON.parse('{"__proto__":{"polluted":"yes"},"deviceId":"d","v":1}'),
  '__proto__ as JSON text': () => '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"v":1}',
  'constructor.prototype key': () => ({ constructor: { prototype: { polluted: 'yes' } }, v: 1 }),
  'reading with __proto__ tags and fields': () =>
    JSON.parse('{"measurement":"m","tags":{"__proto__":{"polluted":"yes"},"device":"d"},"fields":{"__proto__":{"polluted":"yes"},"v":1},"timestamp":1700000000000}'),
  'reading with a __proto__ tag string': () =>
    JSON.parse('{"measurement":"m","tags":{"__proto__":"x","device":"d"},"fields":{"v":1},"timestamp":1700000000000}'),
  'reading named __proto__': () => ({ measurement: '__proto__', tags: { device: '__proto__' }, fields: { constructor: 1 }, timestamp: 1700000000000 }),
  'circular reading': () => circular(),
  'an array of 100,000 numbers': () => Array.from({ length: 100_000 }, (_, i) => i),
  'an array of 20,000 readings with one bad': () =>
    Array.from({ length: 20_000 }, (_, i) => ({ measurement: 'm', tags: { device: `d${i % 50}` }, fields: { v: i === 777 ? 'x'.repeat(70_000) : i }, timestamp: 1700000000000 + i })),
  'null-prototype object': () => Object.assign(Object.create(null), { measurement: 'm', fields: { v: 1 }, timestamp: 1 }),
  'reading with a Map in fields': () => ({ measurement: 'm', tags: {}, fields: new Map([['v', 1]]), timestamp: 1 }),
  'reading with huge numbers': () => ({ measurement: 'm', tags: { device: 'd' }, fields: { a: 1e308, b: -0, c: Number.MAX_SAFE_INTEGER + 2, d: 5e-324 }, timestamp: 8.64e15 }),
  'reading with a 100,000-key fields object': () => ({
    measurement: 'm', tags: { device: 'd' }, fields: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i])), timestamp: 1700000000000,
  }),
};

/** A valid reading's mutations: wrong types in each place, one at a time. */
const WRONG = [undefined, null, NaN, Infinity, -1, 1.5, '', ' ', '\n', 'x'.repeat(70_000), true, [], {}, [1], { a: 1 }, () => 1, Symbol('x'), 1n];

function mutations(valid) {
  const out = [];
  for (const key of ['measurement', 'tags', 'fields', 'timestamp']) {
    for (const wrong of WRONG) out.push({ ...valid, [key]: wrong });
  }
  for (const wrong of WRONG) {
    out.push({ ...valid, tags: { ...valid.tags, device: wrong } });
    out.push({ ...valid, fields: { ...valid.fields, v: wrong } });
    out.push({ ...valid, fields: { [String(wrong)]: 1 } });
  }
  out.push({ ...valid, extra: { deep: deepObject(1_000) } });
  return out;
}

/** Random msgs: anything fast-check can make, as payload, topic, control and extra properties. */
function randomMsgs(count, seed) {
  const value = fc.anything({ maxDepth: 4, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true, withObjectString: true });
  const msg = fc.record(
    {
      payload: fc.oneof(value, fc.string({ unit: 'binary', maxLength: 200 }), fc.json(), fc.constantFrom(...Object.values(HOSTILE).slice(0, 12).map((f) => f()))),
      topic: fc.oneof(fc.string({ maxLength: 40 }), value),
      control: fc.oneof(fc.constant(undefined), fc.constantFrom('flush', 'reset', 'status', 'FLUSH', '', '__proto__'), value),
      extra: value,
    },
    // A msg itself is always an ordinary object in Node-RED (the runtime calls msg.hasOwnProperty).
    { requiredKeys: ['payload'], noNullPrototype: true },
  );
  return fc.sample(msg, { numRuns: count, seed }).map((m) => {
    if (!('control' in m) || m.control === undefined) delete m.control;
    return m;
  });
}

// ---------------------------------------------------------------------------------------------
// Running a node under fuzz

const UNCLEAR = /Cannot read prop|Cannot set prop|is not a function|is not iterable|undefined is not|Maximum call stack|of undefined|of null|\[object Object\]/;

/**
 * Loads `nodeModules` with the node under test `n1` (config `config`, `outputs` outputs), a
 * Complete and a Catch node scoped to it, and sends every msg of `msgs`. Resolves with
 * `{ completed, caught, outputs: [[msgs of output 1], …], logged }` once each input has finished
 * (exactly once, checked), or rejects.
 */
async function fuzzNode(helper, { nodeModules, type, config = {}, extraNodes = [], credentials, outputs = 2, msgs, settleMs = 15_000, pace = 50 }) {
  const outIds = Array.from({ length: outputs }, (_, i) => `out${i + 1}`);
  const flow = [
    { id: 'f1', type: 'tab', label: 'fuzz' },
    { id: 'n1', type, z: 'f1', ...config, wires: outIds.map((id) => [id]) },
    ...outIds.map((id) => ({ id, type: 'helper', z: 'f1' })),
    { id: 'cmp', type: 'complete', z: 'f1', scope: ['n1'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'f1' },
    { id: 'cat', type: 'catch', z: 'f1', scope: ['n1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
    ...extraNodes.map((n) => ({ z: 'f1', ...n })),
  ];
  const uncaught = [];
  const onUncaught = (err) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  try {
    await helper.load(nodeModules, flow, credentials || {});
    const n1 = helper.getNode('n1');
    const logged = [];
    for (const level of ['error', 'warn']) {
      const original = n1[level].bind(n1);
      n1[level] = (m, msg) => {
        logged.push({ level, text: m instanceof Error ? m.message : String(m) });
        return original(m, msg);
      };
    }
    const finished = new Map(); // _msgid -> [how]
    const seenOutputs = outIds.map(() => []);
    outIds.forEach((id, i) => helper.getNode(id).on('input', (m) => seenOutputs[i].push(m)));
    const caught = [];
    const completed = [];
    helper.getNode('completed').on('input', (m) => {
      completed.push(m);
      finished.set(m._msgid, [...(finished.get(m._msgid) || []), 'done']);
    });
    helper.getNode('caught').on('input', (m) => {
      caught.push(m);
      finished.set(m._msgid, [...(finished.get(m._msgid) || []), `error: ${m.error && m.error.message}`]);
    });

    const ids = [];
    for (let i = 0; i < msgs.length; i++) {
      const msg = msgs[i];
      msg._msgid = `fuzz-${i}`;
      // Outputs that are new msgs (rejectedMsg drops _msgid) keep other properties: this one.
      msg.fuzzSeq = i;
      ids.push(msg._msgid);
      try {
        n1.receive(msg);
      } catch (err) {
        throw new Error(`receive() threw on msg ${i}: ${err && err.stack}`);
      }
      if (i % pace === pace - 1) await new Promise((r) => setImmediate(r));
    }
    const deadline = Date.now() + settleMs;
    while (ids.some((id) => !finished.has(id)) && Date.now() < deadline) await sleep(20);
    await sleep(50); // a second done() would show up now

    assert.deepEqual(uncaught.map((e) => String(e && e.stack)), [], 'uncaught exceptions or unhandled rejections');
    const silent = ids.filter((id) => !finished.has(id));
    assert.deepEqual(silent.slice(0, 5).map((id) => describeMsg(msgs[Number(id.slice(5))])), [], `${silent.length} msgs never finished (no done, no error)`);
    const twice = [...finished].filter(([, how]) => how.length > 1);
    assert.deepEqual(twice.slice(0, 5), [], `${twice.length} msgs finished more than once`);
    for (const m of caught) {
      const text = m.error && m.error.message;
      assert.ok(typeof text === 'string' && text.length >= 8, `unclear error ${JSON.stringify(text)}`);
      assert.ok(!UNCLEAR.test(text), `error looks like a defect, not a refusal: ${text}`);
    }
    for (const entry of logged) assert.ok(!UNCLEAR.test(entry.text), `logged ${entry.level} looks like a defect: ${entry.text}`);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore, 'Object.prototype changed');
    assert.equal({}.polluted, undefined, 'Object.prototype polluted');
    return { completed, caught, outputs: seenOutputs, logged, finished };
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
}

function describeMsg(msg) {
  try {
    const text = JSON.stringify(msg, (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'symbol' ? String(v) : v));
    return text === undefined ? String(msg) : text.slice(0, 200);
  } catch {
    return `${Object.prototype.toString.call(msg.payload)} payload`;
  }
}

/** Every msg on an error output names a code and a reason. */
function assertRejectedShape(rejected) {
  for (const m of rejected) {
    assert.ok(m.error && typeof m.error.code === 'string' && m.error.code.length > 0, `rejected msg without error.code: ${describeMsg(m)}`);
    assert.ok(typeof m.error.message === 'string' && m.error.message.length >= 8, `rejected msg without a clear message: ${describeMsg(m)}`);
    assert.ok(!UNCLEAR.test(m.error.message), `rejection looks like a defect: ${m.error.message}`);
  }
}

/** The standard corpus: hostile payloads, mutations of `valid`, random msgs. */
function corpus({ valid, random = 300, seed = 12, wrap = (payload) => ({ payload }) }) {
  const msgs = [];
  for (const make of Object.values(HOSTILE)) msgs.push(wrap(make()));
  for (const m of mutations(valid)) msgs.push(wrap(m));
  msgs.push(wrap([valid, ...mutations(valid).slice(0, 20), valid]));
  msgs.push(...randomMsgs(random, seed));
  return msgs;
}

module.exports = { throwingGetter, fuzzNode, corpus, mutations, randomMsgs, HOSTILE, deepObject, assertRejectedShape, describeMsg };
