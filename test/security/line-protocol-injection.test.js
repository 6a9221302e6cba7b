'use strict';
// Security: line-protocol injection. An attacker who controls a device (its MQTT topic, its JSON
// keys and values, its SenML names, its line-protocol text) must never make the archive write an
// extra point, a point in another measurement or series, or a changed value. Each hostile string
// is put into every position of a reading, through the ingest parsers and straight into the
// encoder; everything accepted is written to a real InfluxDB in one batch, interleaved with
// canary points, and read back.
const assert = require('node:assert/strict');
const { startInflux } = require('../support/services');
const { validateReading } = require('../../dist/core/reading');
const { encodeValidReading, parseLines, splitLines } = require('../../dist/core/line-protocol');
const { ingest } = require('../../dist/core/ingest/ingest');
const { parseIngestConfig } = require('../../dist/core/ingest/config');

const DB = 'injection';
const T0 = Date.now() - 60_000;

// What an attacker would try: line breaks that start a new point, quotes that end a string early,
// backslashes that eat an escape, separators that start a new tag or field, comment markers,
// whitespace InfluxDB skips, Unicode line separators, NUL.
const ATTACKS = [
  '\n',
  '\r\n',
  'x\nevil,device=pwned value=1 1',
  'x\r\nevil value=1',
  '"',
  '"\nevil value=1\n"',
  'x" ,evil=1',
  'x",evil="1',
  '\\',
  'x\\',
  'x\\ y',
  'x\\,y',
  'x\\=y',
  'x\\"y',
  'x\\\\',
  'x\\n',
  ' ',
  'x y=1',
  'x,y=1',
  'x=y',
  ',',
  '=',
  'x y=1 1\nevil v=1',
  '#evil v=1',
  '\tx',
  '\0x',
  'x\0y',
  'x\u2028y\u2029',
  'x\u0085y',
  '\ud83d\ude00 emoji',
  "x'y",
  'time',
  '__proto__',
  'constructor',
];

/** Readings with `attack` in one position each; `case` tags identify them. */
function hostileReadings(attack, caseId) {
  const base = () => ({ measurement: 'm', tags: { case: caseId, device: 'd' }, fields: { v: 1 }, timestamp: T0 });
  const withTag = (key, value) => {
    const r = base();
    r.tags[key] = value;
    return r;
  };
  const withField = (key, value) => {
    const r = base();
    r.fields[key] = value;
    return r;
  };
  const r1 = base();
  r1.measurement = `m${attack}`;
  return [
    ['measurement', r1],
    ['measurement alone', { ...base(), measurement: attack }],
    ['tag value', withTag('device', attack)],
    ['tag key', withTag(`k${attack}`, 'v')],
    ['field key', withField(`f${attack}`, 1)],
    ['string field value', withField('s', attack)],
    ['string field value (twice)', withField('s', `${attack}${attack}`)],
  ];
}

describe('security: line protocol cannot be injected', function () {
  this.timeout(60000);
  let influx;
  const cases = []; // { id, where, attack, reading }
  const refused = [];

  before(async function () {
    influx = await startInflux(this, { databases: DB });
    let n = 0;
    for (const attack of ATTACKS) {
      for (const [where, reading] of hostileReadings(attack, '')) {
        const id = `c${n++}`;
        reading.tags.case = id;
        const problem = validateReading(reading);
        if (problem) refused.push({ id, where, attack, problem });
        else cases.push({ id, where, attack, reading });
      }
    }
  });

  it('every hostile reading is either refused with a reason or accepted (never thrown)', function () {
    assert.ok(cases.length > 100, `${cases.length} accepted`);
    assert.ok(refused.length > 20, `${refused.length} refused`);
    for (const r of refused) {
      assert.match(r.problem.code, /^(UNENCODABLE|RESERVED_KEY|EMPTY_MEASUREMENT|EMPTY_KEY)$/, `${r.where} ${JSON.stringify(r.attack)}`);
      assert.ok(r.problem.message.length > 10);
    }
  });

  it('a line break in any name is refused, never written', function () {
    for (const c of cases) {
      const { measurement, tags, fields } = c.reading;
      const names = [measurement, ...Object.keys(tags), ...Object.values(tags), ...Object.keys(fields)];
      assert.ok(!names.some((s) => /[\n\r]/.test(s)), `${c.where} ${JSON.stringify(c.attack)} was accepted`);
    }
  });

  it('each accepted reading encodes to exactly one line that parses back to itself', function () {
    for (const c of cases) {
      const line = encodeValidReading(c.reading);
      assert.equal(splitLines(line).length, 1, `${c.where} ${JSON.stringify(c.attack)}: ${JSON.stringify(line)}`);
      const parsed = parseLines(line, 0, 'ms');
      assert.deepEqual(parsed.errors, []);
      assert.equal(parsed.readings.length, 1);
      assert.deepEqual(parsed.readings[0], { ...c.reading, tags: { ...c.reading.tags } });
    }
  });

  describe('written to a real InfluxDB, interleaved with canaries', function () {
    let rows;
    let canaries;

    before(async function () {
      // canary before and after every hostile line: a swallowed or split line shows as a missing canary.
      const lines = [];
      let seq = 0;
      for (const c of cases) {
        lines.push(`canary seq=${seq} ${T0 + seq}`);
        seq++;
        lines.push(encodeValidReading(c.reading));
      }
      lines.push(`canary seq=${seq} ${T0 + seq}`);
      seq++;
      await influx.write(lines.join('\n'), { db: DB });
      canaries = seq;
      rows = await influx.rows('SELECT * FROM /.*/ GROUP BY *', { db: DB });
    });

    it('every canary arrived unchanged (no line was swallowed or split)', async function () {
      const seqs = (await influx.rows('SELECT seq FROM canary', { db: DB })).map((r) => r.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: canaries }, (_, i) => i));
    });

    it('exactly one point per accepted reading, no extra point', function () {
      assert.equal(rows.length, cases.length + canaries);
    });

    it('no measurement other than the intended ones exists', async function () {
      const [res] = await influx.query('SHOW MEASUREMENTS', { db: DB });
      const got = res.series[0].values.map((v) => v[0]).sort();
      const want = [...new Set(['canary', ...cases.map((c) => c.reading.measurement)])].sort();
      // Names such as `x" ,evil=1` are in the list because a reading asked for exactly that name.
      assert.deepEqual(got, want);
    });

    it('each hostile point is in exactly its intended series with exactly its values', async function () {
      for (const c of cases) {
        const mine = rows.filter((r) => r.case === c.id);
        assert.equal(mine.length, 1, `${c.where} ${JSON.stringify(c.attack)}`);
        const row = mine[0];
        assert.equal(row.$measurement, c.reading.measurement);
        assert.equal(row.time, c.reading.timestamp);
        for (const [k, v] of Object.entries(c.reading.tags)) assert.equal(row[k], v, `tag ${JSON.stringify(k)} of ${c.id}`);
        for (const [k, v] of Object.entries(c.reading.fields)) assert.equal(row[k], v, `field ${JSON.stringify(k)} of ${c.id}`);
        // Nothing else: other columns of the measurement are empty for this point (no injected tag or field).
        for (const [k, v] of Object.entries(row)) {
          if (k === 'time' || k in c.reading.tags || k in c.reading.fields) continue;
          assert.ok(v === '' || v === null, `${c.id} (${c.where} ${JSON.stringify(c.attack)}) has an extra ${JSON.stringify(k)}=${JSON.stringify(v)}`);
        }
      }
    });
  });

  describe('through the ingest parsers (what a device controls)', function () {
    const options = (raw) => {
      const parsed = parseIngestConfig({ format: 'auto', ...raw });
      assert.ok(parsed.ok, JSON.stringify(parsed.problems));
      return parsed.settings.options;
    };
    const jsonOpts = options({ topicTemplate: 'sensors/{site}/{device}' });
    const lineOpts = options({ format: 'line' });
    const senmlOpts = options({ format: 'senml' });
    const payloads = [];

    before(async function () {
      let i = 0;
      for (const attack of ATTACKS) {
        const marker = `p${i++}`;
        // MQTT topic levels may hold anything but '/', '+', '#' and NUL.
        const level = attack.replace(/[/+#\0]/g, '_');
        payloads.push({ opts: jsonOpts, topic: `sensors/${level}/${marker}`, payload: JSON.stringify({ temperature: 1, note: attack }) });
        payloads.push({ opts: jsonOpts, topic: `sensors/s/${marker}`, payload: JSON.stringify({ deviceId: attack, [`k${attack}`]: 2, probe: marker }) });
        payloads.push({ opts: jsonOpts, topic: `sensors/s/${marker}`, payload: JSON.stringify({ site: attack, nested: { [attack]: 3 }, probe: marker }) });
        payloads.push({ opts: senmlOpts, topic: `t/${marker}`, payload: JSON.stringify([{ bn: `${attack}:`, n: attack, v: 4 }, { n: 'probe', vs: marker }]) });
        payloads.push({ opts: lineOpts, topic: `t/${marker}`, payload: `m${attack},device=${marker} v=5 ${T0}` });
        payloads.push({ opts: lineOpts, topic: `t/${marker}`, payload: `m,device=${marker} s="${attack.replace(/["\\]/g, '\\$&')}" ${T0}` });
      }
    });

    it('ingest never throws, and every reading it accepts is valid and encodes to one line', function () {
      let accepted = 0;
      for (const p of payloads) {
        const result = ingest({ payload: p.payload, topic: p.topic, now: T0 }, p.opts);
        for (const r of result.readings) {
          assert.equal(validateReading(r), undefined, JSON.stringify(r));
          assert.equal(splitLines(encodeValidReading(r)).length, 1, JSON.stringify(r));
          accepted++;
        }
        for (const rej of result.rejections) assert.ok(rej.code && rej.message, JSON.stringify(rej));
      }
      assert.ok(accepted > payloads.length / 2, `${accepted} readings from ${payloads.length} payloads`);
    });

    it('written to InfluxDB, the ingested readings are exactly the points stored (no injected measurement)', async function () {
      const db = 'injection_ingest';
      await influx.createDatabase(db);
      const readings = payloads.flatMap((p) => ingest({ payload: p.payload, topic: p.topic, now: T0 }, p.opts).readings);
      // Points with the same series and time overwrite each other: count distinct keys.
      const keys = new Set(readings.map((r) => encodeValidReading({ ...r, fields: { x: 0 } })));
      await influx.write(readings.map(encodeValidReading).join('\n'), { db });
      const [res] = await influx.query('SHOW MEASUREMENTS', { db });
      const got = res.series[0].values.map((v) => v[0]).sort();
      assert.deepEqual(got, [...new Set(readings.map((r) => r.measurement))].sort());
      const stored = await influx.rows('SELECT * FROM /.*/ GROUP BY *', { db });
      assert.equal(stored.length, keys.size);
    });
  });
});
