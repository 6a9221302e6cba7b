'use strict';
// WindowEngine with an explicit clock: each scenario is a script of steps and the windows they
// must close (and only those). No timers, no sleeps.
const assert = require('assert');
const { WindowEngine, parseWindowConfig } = require('../../dist/core/window');

const S = 1_000;
const M = 60 * S;
const T0 = Date.UTC(2026, 0, 1); // a minute (and hour) boundary

function engineFor(config) {
  const parsed = parseWindowConfig(config);
  assert.ok(parsed.ok, `config ${JSON.stringify(config)}: ${parsed.problems}`);
  return new WindowEngine(parsed.settings);
}

/** A reading of field v (or the given fields) for a device, at T0 + offset. */
function reading(device, offset, v, extra = {}) {
  return {
    measurement: extra.measurement || 'telemetry',
    tags: device === undefined ? {} : { device, ...(extra.tags || {}) },
    fields: typeof v === 'number' ? { v } : v,
    timestamp: T0 + offset,
  };
}

/** "key start..end n=count" with times relative to T0 in seconds: easy to read in a failure. */
function summary(closed) {
  return closed.map(({ window: w }) => `${w.key} ${(w.start - T0) / S}..${(w.end - T0) / S} n=${w.count}${w.partial ? ' partial' : ''}`);
}

// Steps:
//   ['add', device, offset, value, now?, expectedKind?]   now defaults to T0 + offset
//   ['tick', now]            (relative to T0)
//   ['flush']
//   ['expect', [summaries]]  windows closed since the last expect
function run(config, steps) {
  const engine = engineFor(config);
  let out = [];
  for (const step of steps) {
    const [op, ...args] = step;
    if (op === 'add') {
      const [device, offset, value, now = offset, kind = 'accepted'] = args;
      const outcome = engine.add(reading(device, offset, value), T0 + now, out);
      assert.strictEqual(outcome.kind, kind, `${JSON.stringify(step)}: ${outcome.message || ''}`);
    } else if (op === 'tick') {
      engine.tick(T0 + args[0], out);
    } else if (op === 'flush') {
      engine.flush(out);
    } else if (op === 'expect') {
      assert.deepStrictEqual(summary(out), args[0], `windows closed before ${JSON.stringify(step)}`);
      out = [];
    } else {
      throw new Error(`unknown step ${op}`);
    }
  }
  assert.deepStrictEqual(summary(out), [], 'windows left unchecked at the end');
  return engine;
}

const K = 'telemetry,device=a';
const KB = 'telemetry,device=b';

describe('core/window engine: tumbling windows (event time)', function () {
  const C = { windowType: 'tumbling', size: '1m' };
  const scenarios = [
    ['are epoch-aligned: [floor(t/size)·size, +size)', C, [['add', 'a', 90 * S, 1], ['add', 'a', 120 * S, 2], ['expect', [`${K} 60..120 n=1`]]]],
    ['close when the watermark reaches the end, not before', C, [['add', 'a', 0, 1], ['add', 'a', 59_999, 2], ['expect', []], ['add', 'a', 60 * S, 3], ['expect', [`${K} 0..60 n=2`]]]],
    ['keep each device apart', C, [['add', 'a', 0, 1], ['add', 'b', 1, 1], ['add', 'b', 61 * S, 1], ['expect', [`${KB} 0..60 n=1`]], ['add', 'a', 60 * S, 1], ['expect', [`${K} 0..60 n=1`]]]],
    ['skip empty windows after a jump', C, [['add', 'a', 0, 1], ['add', 'a', 10 * M, 2], ['expect', [`${K} 0..60 n=1`]], ['add', 'a', 11 * M, 3], ['expect', [`${K} 600..660 n=1`]]]],
    ['take out-of-order readings while their window is open', C, [['add', 'a', 30 * S, 1], ['add', 'a', 10 * S, 2], ['add', 'a', 60 * S, 3], ['expect', [`${K} 0..60 n=2`]]]],
    ['send a reading for a closed window to late', C, [['add', 'a', 0, 1], ['add', 'a', 60 * S, 2], ['expect', [`${K} 0..60 n=1`]], ['add', 'a', 59 * S, 3, 61 * S, 'late']]],
    [
      'hold windows open for allowedLateness',
      { ...C, allowedLateness: '10s' },
      [['add', 'a', 0, 1], ['add', 'a', 65 * S, 2], ['add', 'a', 59 * S, 3], ['expect', []], ['add', 'a', 70 * S, 4], ['expect', [`${K} 0..60 n=2`]], ['add', 'a', 58 * S, 5, 71 * S, 'late']],
    ],
    [
      'close a quiet key by the wall clock after size + allowedLateness',
      { ...C, allowedLateness: '5s' },
      [['add', 'a', 10 * S, 1], ['tick', 74_999], ['expect', []], ['tick', 75 * S], ['expect', [`${K} 0..60 n=1`]]],
    ],
    ['measure silence from the last reading, late ones too', C, [['add', 'a', 10 * S, 1], ['add', 'b', 50 * S, 1], ['tick', 70 * S], ['expect', [`${K} 0..60 n=1`]], ['tick', 110 * S], ['expect', [`${KB} 0..60 n=1`]]]],
    [
      'never reopen a window closed by silence (no duplicate point)',
      C,
      [['add', 'a', 10 * S, 1], ['tick', 70 * S], ['expect', [`${K} 0..60 n=1`]], ['add', 'a', 20 * S, 2, 80 * S, 'late'], ['add', 'a', 61 * S, 3, 81 * S]],
    ],
  ];
  for (const [title, config, steps] of scenarios) {
    it(title, () => {
      const engine = run(config, steps);
      engine.flush([]);
    });
  }
});

describe('core/window engine: hopping windows', function () {
  const C = { windowType: 'hopping', size: '1m', slide: '20s' };
  it('a reading lands in size ÷ slide windows, each closing at its own end', () => {
    const engine = run(C, [
      ['add', 'a', 50 * S, 1],
      ['add', 'a', 60 * S, 2],
      ['expect', [`${K} 0..60 n=1`]],
      ['add', 'a', 80 * S, 3],
      ['expect', [`${K} 20..80 n=2`]],
      ['add', 'a', 100 * S, 3],
      ['expect', [`${K} 40..100 n=3`]],
      ['flush'],
      ['expect', [`${K} 60..120 n=3 partial`, `${K} 80..140 n=2 partial`, `${K} 100..160 n=1 partial`]],
    ]);
    assert.strictEqual(engine.stats().openWindows, 0);
  });

  it('a reading whose newest window is still open is not late', () => {
    run(C, [
      ['add', 'a', 0, 1],
      ['add', 'a', 70 * S, 2],
      ['expect', [`${K} -40..20 n=1`, `${K} -20..40 n=1`, `${K} 0..60 n=1`]],
      ['add', 'a', 45 * S, 5],
      ['add', 'a', 100 * S, 6],
      ['expect', [`${K} 20..80 n=2`, `${K} 40..100 n=2`]],
      ['add', 'a', 39 * S, 1, 101 * S, 'late'],
      ['flush'],
      ['expect', [`${K} 60..120 n=2 partial`, `${K} 80..140 n=1 partial`, `${K} 100..160 n=1 partial`]],
    ]);
  });

  it('computes each window from its own readings', () => {
    const engine = engineFor({ ...C, aggregates: 'sum' });
    const out = [];
    for (const [offset, v] of [[5, 1], [25, 10], [45, 100], [65, 1000]]) engine.add(reading('a', offset * S, v), T0, out);
    engine.flush(out);
    const sums = out.map((c) => [(c.window.start - T0) / S, c.reading.fields.v_sum]);
    assert.deepStrictEqual(sums, [[-40, 1], [-20, 11], [0, 111], [20, 1110], [40, 1100], [60, 1000]]);
  });
});

describe('core/window engine: session windows', function () {
  const C = { windowType: 'session', gap: '30s' };
  const scenarios = [
    [
      'end a gap after the last reading; timestamp = first reading',
      C,
      [['add', 'a', 0, 1], ['add', 'a', 20 * S, 1], ['add', 'a', 49_999, 1], ['expect', []], ['add', 'a', 80 * S, 1], ['expect', [`${K} 0..79.999 n=3`]]],
    ],
    [
      'merge two sessions when a reading bridges them',
      { ...C, allowedLateness: '1m' },
      [['add', 'a', 0, 1], ['add', 'a', 50 * S, 1], ['add', 'a', 25 * S, 1], ['add', 'a', 200 * S, 1], ['expect', [`${K} 0..80 n=3`]]],
    ],
    [
      'merge three sessions with one reading',
      { ...C, allowedLateness: '2m' },
      [['add', 'a', 0, 1], ['add', 'a', 80 * S, 1], ['add', 'a', 40 * S, 1], ['expect', []], ['add', 'a', 20 * S, 1], ['add', 'a', 60 * S, 1], ['add', 'a', 400 * S, 1], ['expect', [`${K} 0..110 n=5`]]],
    ],
    ['close by the wall clock after gap + allowedLateness', C, [['add', 'a', 0, 1], ['tick', 29_999], ['expect', []], ['tick', 30 * S], ['expect', [`${K} 0..30 n=1`]]]],
    ['a reading inside a closed session is late', C, [['add', 'a', 0, 1], ['add', 'a', 40 * S, 1], ['expect', [`${K} 0..30 n=1`]], ['add', 'a', 5 * S, 1, 41 * S, 'late']]],
    ['a reading whose own session would already be over is late', C, [['add', 'a', 100 * S, 1], ['add', 'a', 60 * S, 1, 101 * S, 'late']]],
  ];
  for (const [title, config, steps] of scenarios) it(title, () => run(config, steps).flush([]));

  it('merged sessions merge their aggregates', () => {
    const engine = engineFor({ ...C, allowedLateness: '1m', aggregates: 'count,sum,min,max,first,last,stddev,median' });
    const out = [];
    for (const [offset, v] of [[0, 1], [50, 3], [25, 2], [200, 9]]) engine.add(reading('a', offset * S, v), T0, out);
    assert.strictEqual(out.length, 1);
    assert.deepStrictEqual(out[0].reading.fields, { v_count: 3, v_sum: 6, v_min: 1, v_max: 3, v_first: 1, v_last: 3, v_stddev: 1, v_median: 2 });
  });
});

describe('core/window engine: count windows', function () {
  it('close after `count` readings, bounded by the first and last reading', () => {
    run({ windowType: 'count', count: 3, gap: '' }, [
      ['add', 'a', 0, 1],
      ['add', 'a', 10 * S, 1],
      ['expect', []],
      ['add', 'a', 5 * S, 1],
      ['expect', [`${K} 0..10 n=3`]],
      ['add', 'a', 20 * S, 1],
      ['tick', 10 * M],
      ['expect', []],
      ['flush'],
      ['expect', [`${K} 20..20 n=1 partial`]],
    ]);
  });

  it('emit a part-filled window after `gap` of silence', () => {
    run({ windowType: 'count', count: 3, gap: '1m' }, [['add', 'a', 0, 1], ['add', 'b', 1, 1], ['tick', 59_999], ['expect', []], ['tick', 60 * S], ['expect', [`${K} 0..0 n=1`]]]).flush([]);
  });

  it('never call a reading late', () => {
    run({ windowType: 'count', count: 2 }, [['add', 'a', 100 * S, 1], ['add', 'a', 0, 1], ['expect', [`${K} 0..100 n=2`]], ['add', 'a', 0, 1]]).flush([]);
  });
});

describe('core/window engine: processing time', function () {
  it('places readings by arrival and closes windows when the clock passes their end', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '10s', timeMode: 'processing' });
    const out = [];
    // Event times far in the past do not matter in processing time.
    engine.add(reading('a', -5 * M, 1), T0 + 1 * S, out);
    engine.add(reading('b', -9 * M, 1), T0 + 9 * S, out);
    assert.strictEqual(engine.nextDeadline(), T0 + 10 * S);
    engine.tick(T0 + 9_999, out);
    assert.deepStrictEqual(summary(out), []);
    engine.tick(T0 + 10 * S, out);
    assert.deepStrictEqual(summary(out), [`${K} 0..10 n=1`, `${KB} 0..10 n=1`]);
    assert.strictEqual(engine.nextDeadline(), undefined);
    assert.strictEqual(engine.stats().trackedKeys, 0, 'no tombstones without lateness');
  });

  it('processing-time sessions close after gap of silence', () => {
    const engine = engineFor({ windowType: 'session', gap: '5s', timeMode: 'processing' });
    const out = [];
    engine.add(reading('a', 0, 1), T0, out);
    engine.add(reading('a', 0, 2), T0 + 4 * S, out);
    assert.strictEqual(engine.nextDeadline(), T0 + 9 * S);
    engine.tick(T0 + 9 * S, out);
    assert.deepStrictEqual(summary(out), [`${K} 0..9 n=2`]);
  });
});

describe('core/window engine: deadlines for the single timer', function () {
  it('nextDeadline is the earliest quiet-key deadline', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', allowedLateness: '10s' });
    assert.strictEqual(engine.nextDeadline(), undefined);
    engine.add(reading('a', 0, 1), T0 + 5 * S, []);
    engine.add(reading('b', 0, 1), T0 + 7 * S, []);
    assert.strictEqual(engine.nextDeadline(), T0 + 5 * S + 70 * S);
    engine.add(reading('a', 1, 1), T0 + 8 * S, []);
    assert.strictEqual(engine.nextDeadline(), T0 + 7 * S + 70 * S, 'a heard again: b is now the oldest');
  });
});

describe('core/window engine: control and limits', function () {
  it('flush closes every open window, marked partial; a later reading for it is late', () => {
    const engine = run({ windowType: 'tumbling', size: '1m' }, [
      ['add', 'a', 0, 1],
      ['add', 'b', 0, 1],
      ['flush'],
      ['expect', [`${K} 0..60 n=1 partial`, `${KB} 0..60 n=1 partial`]],
      ['add', 'a', 30 * S, 1, 30 * S, 'late'],
    ]);
    assert.strictEqual(engine.stats().openWindows, 0);
  });

  it('reset drops windows and counters without emitting', () => {
    const engine = run({ windowType: 'tumbling', size: '1m' }, [['add', 'a', 0, 1], ['add', 'a', 60 * S, 1], ['expect', [`${K} 0..60 n=1`]], ['add', 'a', 0, 1, 61 * S, 'late']]);
    engine.reset();
    assert.deepStrictEqual(engine.stats(), { openWindows: 0, keys: 0, trackedKeys: 0, late: 0, refused: 0, emitted: 0, atKeyLimit: false });
    const out = [];
    assert.strictEqual(engine.add(reading('a', 0, 1), T0, out).kind, 'accepted', 'the old watermark is gone too');
  });

  it('refuses a new key beyond maxKeys, with a reason naming the key', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', maxKeys: 2 });
    const out = [];
    engine.add(reading('a', 0, 1), T0, out);
    engine.add(reading('b', 0, 1), T0, out);
    const outcome = engine.add(reading('c', 0, 1), T0, out);
    assert.strictEqual(outcome.kind, 'refused');
    assert.strictEqual(outcome.code, 'MAX_KEYS');
    assert.match(outcome.message, /maxKeys.*telemetry,device=c/);
    assert.strictEqual(engine.stats().atKeyLimit, true);
    assert.strictEqual(engine.add(reading('a', 1, 1), T0, out).kind, 'accepted', 'known keys go on');
  });

  it('evicts the oldest tombstone to make room for a new key', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', maxKeys: 2 });
    const out = [];
    engine.add(reading('a', 0, 1), T0, out);
    engine.add(reading('b', 0, 1), T0 + 5 * S, out);
    engine.tick(T0 + 61 * S, out); // a closes by silence and becomes a tombstone
    assert.strictEqual(out.length, 1);
    assert.strictEqual(engine.add(reading('c', 70 * S, 1), T0 + 70 * S, out).kind, 'accepted');
    assert.deepStrictEqual(engine.stats().trackedKeys, 2);
  });

  it('refuses a reading without a numeric field to aggregate', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', fields: 'temperature' });
    const outcome = engine.add(reading('a', 0, { temperature: 'warm', humidity: 40 }), T0, []);
    assert.deepStrictEqual([outcome.kind, outcome.code], ['refused', 'NO_NUMERIC_FIELDS']);
    assert.match(outcome.message, /temperature/);
  });

  it('aggregates only the listed fields, skipping strings and booleans', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', fields: '*', aggregates: 'max' });
    const out = [];
    engine.add(reading('a', 0, { t: 1, ok: true, state: 'on', h: 5 }), T0, out);
    engine.flush(out);
    assert.deepStrictEqual(out[0].reading.fields, { t_max: 1, h_max: 5 });
  });

  it('refuses a reading that would take a window past 256 fields', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m' });
    const many = (from) => Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${from + i}`, i]));
    assert.strictEqual(engine.add(reading('a', 0, many(0)), T0, []).kind, 'accepted');
    const outcome = engine.add(reading('a', 1, many(100)), T0, []);
    assert.deepStrictEqual([outcome.kind, outcome.code], ['refused', 'TOO_MANY_FIELDS']);
    assert.strictEqual(engine.add(reading('a', 2, many(50)), T0, []).kind, 'accepted', 'known fields are fine');
  });
});

describe('core/window engine: output readings and msg.window', function () {
  it('tags = group-by tags, fields = <field>_<aggregate>, timestamp = window start', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '5m', groupBy: 'device,site', aggregates: 'mean,count' });
    const out = [];
    engine.add(reading('a', 61 * S, { temperature: 20 }, { tags: { site: 'p1', room: 'x' } }), T0, out);
    engine.add(reading('a', 62 * S, { temperature: 22 }, { tags: { site: 'p1', room: 'y' } }), T0, out);
    engine.flush(out);
    assert.deepStrictEqual(out[0].reading, {
      measurement: 'telemetry_5m',
      tags: { device: 'a', site: 'p1' },
      fields: { temperature_mean: 21, temperature_count: 2 },
      timestamp: T0,
    });
    assert.deepStrictEqual(out[0].window, { start: T0, end: T0 + 5 * M, count: 2, key: 'telemetry,device=a,site=p1', partial: true });
  });

  it('a missing group-by tag groups with the empty one and is left out of the output', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', groupBy: 'device' });
    const out = [];
    engine.add(reading(undefined, 0, 1), T0, out);
    engine.add(reading('', 1, 1), T0, out);
    engine.flush(out);
    assert.strictEqual(out.length, 1);
    assert.deepStrictEqual([out[0].reading.tags, out[0].window.key, out[0].window.count], [{}, 'telemetry', 2]);
  });

  it('measurements are separate keys and the template sees each', () => {
    const engine = engineFor({ windowType: 'session', gap: '10s', outputMeasurement: '{measurement}_{type}_{size}' });
    const out = [];
    engine.add(reading('a', 0, 1, { measurement: 'power' }), T0, out);
    engine.add(reading('a', 0, 1, { measurement: 'water' }), T0, out);
    engine.flush(out);
    assert.deepStrictEqual(out.map((c) => c.reading.measurement), ['power_session_10s', 'water_session_10s']);
  });

  it('group-by keys cannot collide whatever their characters', () => {
    const engine = engineFor({ windowType: 'tumbling', size: '1m', groupBy: 'x,y' });
    const out = [];
    engine.add({ measurement: 'm', tags: { x: 'a|1:b', y: '' }, fields: { v: 1 }, timestamp: T0 }, T0, out);
    engine.add({ measurement: 'm', tags: { x: 'a', y: 'b' }, fields: { v: 1 }, timestamp: T0 }, T0, out);
    engine.flush(out);
    assert.strictEqual(out.length, 2);
  });
});
