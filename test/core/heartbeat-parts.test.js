'use strict';
// The small pure parts around the tracker: the deadline heap, the snapshot check, which
// devices a msg is a heartbeat from, and the device_status reading.
const assert = require('assert');
const fc = require('fast-check');
const { DeadlineHeap } = require('../../dist/core/heartbeat/deadline-heap');
const { parseSnapshot, SNAPSHOT_FORMAT } = require('../../dist/core/heartbeat/snapshot');
const { readHeartbeats, messageTimeout } = require('../../dist/core/heartbeat/heartbeats');
const { statusReading } = require('../../dist/core/heartbeat/status-reading');
const { validateReading } = require('../../dist/core/reading');

describe('core/heartbeat DeadlineHeap', function () {
  function drain(heap) {
    const out = [];
    while (heap.length > 0) {
      const slot = heap.peekSlot();
      out.push([slot, heap.peekKey()]);
      heap.remove(slot);
    }
    return out;
  }

  it('is empty at first: no slot, infinite key', function () {
    const heap = new DeadlineHeap(4);
    assert.deepStrictEqual([heap.length, heap.peekSlot(), heap.peekKey(), heap.keyOf(2), heap.has(2)], [0, -1, Infinity, Infinity, false]);
  });

  it('pops by key, ties by slot', function () {
    const heap = new DeadlineHeap(8);
    for (const [slot, key] of [[5, 30], [1, 10], [7, 10], [0, 20], [3, 10]]) heap.set(slot, key);
    assert.deepStrictEqual(drain(heap), [[1, 10], [3, 10], [7, 10], [0, 20], [5, 30]]);
  });

  it('moves a slot when its key changes (up and down), one entry per slot', function () {
    const heap = new DeadlineHeap(4);
    heap.set(0, 10);
    heap.set(1, 20);
    heap.set(2, 30);
    heap.set(2, 5);
    heap.set(0, 40);
    assert.strictEqual(heap.length, 3);
    assert.deepStrictEqual(drain(heap), [[2, 5], [1, 20], [0, 40]]);
  });

  it('an infinite key removes the slot', function () {
    const heap = new DeadlineHeap(2);
    heap.set(1, 3);
    heap.set(1, Infinity);
    assert.deepStrictEqual([heap.length, heap.has(1)], [0, false]);
  });

  it('grows keeping its entries', function () {
    const heap = new DeadlineHeap(2);
    heap.set(0, 2);
    heap.set(1, 1);
    heap.grow(10);
    heap.set(9, 0);
    assert.deepStrictEqual(drain(heap), [[9, 0], [1, 1], [0, 2]]);
  });

  it('matches a sorted list under random sets and removes', function () {
    const action = fc.record({ slot: fc.nat(31), key: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 200 }), (actions) => {
        const heap = new DeadlineHeap(32);
        const model = new Map();
        for (const { slot, key } of actions) {
          if (key === null) {
            heap.remove(slot);
            model.delete(slot);
          } else {
            heap.set(slot, key);
            model.set(slot, key);
          }
        }
        const expected = [...model].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        assert.deepStrictEqual(drain(heap), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('core/heartbeat parseSnapshot', function () {
  const good = () => ({ format: SNAPSHOT_FORMAT, savedAt: 5, devices: ['a', 'b'], lastSeen: [1, null], down: '01', timeouts: [0, 500] });

  it('accepts a well-formed snapshot', function () {
    assert.deepStrictEqual(parseSnapshot(good()), { ok: true, snapshot: good() });
  });

  const bad = [
    ['not an object', () => 'x', 'not an object'],
    ['another format', () => ({ ...good(), format: 'v0' }), 'unknown format'],
    ['no savedAt', () => ({ ...good(), savedAt: null }), 'savedAt'],
    ['a missing column', () => ({ ...good(), lastSeen: undefined }), 'column is missing'],
    ['columns of different lengths', () => ({ ...good(), down: '0' }), 'differ in length'],
    ['an empty device id', () => ({ ...good(), devices: ['a', ''] }), 'no id'],
    ['a lastSeen that is not a time', () => ({ ...good(), lastSeen: [1, 'yesterday'] }), 'bad lastSeen'],
    ['a status other than 0/1', () => ({ ...good(), down: '0x' }), 'bad status'],
    ['timeouts not in pairs', () => ({ ...good(), timeouts: [0] }), 'pairs'],
    ['a timeout naming no device', () => ({ ...good(), timeouts: [2, 100] }), 'names no device'],
    ['a timeout that is not positive', () => ({ ...good(), timeouts: [0, 0] }), 'positive'],
  ];
  for (const [title, make, reason] of bad) {
    it(`refuses ${title}`, function () {
      const result = parseSnapshot(make());
      assert.strictEqual(result.ok, false);
      assert.ok(result.reason.includes(reason), result.reason);
    });
  }
});

describe('core/heartbeat readHeartbeats', function () {
  const rules = { devicePath: ['tags', 'device'], timeoutTag: '', timeoutTable: new Map() };
  const reading = (device, extra = {}) => ({ measurement: 'm', tags: { device, ...extra }, fields: { v: 1 }, timestamp: 1 });
  const cases = [
    ['one reading', reading('a'), undefined, undefined, rules, [['a', undefined]], []],
    ['a batch: one heartbeat per reading', [reading('a'), reading('b'), reading('a')], undefined, undefined, rules, [['a', undefined], ['b', undefined], ['a', undefined]], []],
    ['falls back to msg.topic when the key is missing', { temperature: 3 }, 'dev/7', undefined, rules, [['dev/7', undefined]], []],
    ['a bare value with a topic', 42, 'dev-9', undefined, rules, [['dev-9', undefined]], []],
    ['an empty batch with a topic', [], 'dev-9', undefined, rules, [['dev-9', undefined]], []],
    ['a numeric device id becomes text', { tags: { device: 7 } }, undefined, undefined, rules, [['7', undefined]], []],
    ['an invalid reading still proves the device alive', { measurement: '', tags: { device: 'a' }, fields: { v: NaN } }, undefined, undefined, rules, [['a', undefined]], []],
    ['another device key path', { id: 'z' }, undefined, undefined, { ...rules, devicePath: ['id'] }, [['z', undefined]], []],
    ['no device and no topic', { v: 1 }, undefined, undefined, rules, [], ['NO_DEVICE']],
    ['an empty device and an empty topic', reading(''), '', undefined, rules, [], ['NO_DEVICE']],
    ['some items without a device: the rest still count', [reading('a'), 5], undefined, undefined, rules, [['a', undefined]], ['NO_DEVICE']],
    ['a device id that is too long', reading('x'.repeat(257)), undefined, undefined, rules, [], ['DEVICE_TOO_LONG']],
    ['msg.timeout as text applies to every item', [reading('a'), reading('b')], undefined, '2m', rules, [['a', 120_000], ['b', 120_000]], []],
    ['msg.timeout in ms', reading('a'), undefined, 1500, rules, [['a', 1_500]], []],
    ['a bad msg.timeout: heartbeats count with the usual timeout', reading('a'), undefined, 'soon', rules, [['a', undefined]], ['BAD_TIMEOUT']],
    ['a zero msg.timeout is refused the same way', reading('a'), undefined, 0, rules, [['a', undefined]], ['BAD_TIMEOUT']],
    ['timeouts table by device id', [reading('a'), reading('b')], undefined, undefined, { ...rules, timeoutTable: new Map([['a', 60_000]]) }, [['a', 60_000], ['b', undefined]], []],
    ['timeouts table by a tag', [reading('a', { kind: 'battery' }), reading('b', { kind: 'mains' })], undefined, undefined, { ...rules, timeoutTag: 'kind', timeoutTable: new Map([['battery', 3_600_000]]) }, [['a', 3_600_000], ['b', undefined]], []],
    ['msg.timeout wins over the table', reading('a'), undefined, '1s', { ...rules, timeoutTable: new Map([['a', 60_000]]) }, [['a', 1_000]], []],
  ];
  for (const [title, payload, topic, timeout, theRules, beats, problems] of cases) {
    it(title, function () {
      const result = readHeartbeats(payload, topic, timeout, theRules);
      assert.deepStrictEqual(result.beats.map((b) => [b.device, b.timeoutMs]), beats);
      assert.deepStrictEqual(result.problems.map((p) => p.code), problems);
    });
  }

  it('says how many items had no device, where it looked', function () {
    const [problem] = readHeartbeats([reading('a'), 5, null], undefined, undefined, rules).problems;
    assert.deepStrictEqual(problem.params, { count: 2, total: 3, key: 'tags.device' });
  });

  const timeouts = [[undefined, undefined], [null, undefined], ['', undefined], [250, 250], ['1h', 3_600_000], ['1m30s', 90_000]];
  for (const [input, ms] of timeouts) {
    it(`messageTimeout(${JSON.stringify(input)}) → ${ms}`, () => assert.strictEqual(messageTimeout(input), ms));
  }
});

describe('core/heartbeat statusReading', function () {
  const change = (status) => ({ device: 'dev 1', status, lastSeen: 0, silentMs: 5, timeoutMs: 5, at: 1_700_000_000_123.7 });
  it('down → device_status up=0, a valid reading at the detection time', function () {
    const reading = statusReading(change('down'));
    assert.deepStrictEqual(reading, { measurement: 'device_status', tags: { device: 'dev 1' }, fields: { up: 0 }, timestamp: 1_700_000_000_123 });
    assert.strictEqual(validateReading(reading), undefined);
  });
  it('up → up=1', () => assert.strictEqual(statusReading(change('up')).fields.up, 1));
  it('retired → no reading', () => assert.strictEqual(statusReading(change('retired')), undefined));
});
