'use strict';
const assert = require('assert');
const { NOW, run, fixture, codes } = require('../fixtures/ingest/support');

const DEV = 'urn:dev:ow:10e2073a01080063';
const DEV6 = 'urn:dev:ow:10e2073a0108006';
const r = (tags, fields, timestamp) => ({ measurement: 'telemetry', tags, fields, timestamp });

describe('ingest SenML (RFC 8428)', function () {
  describe("the RFC's own examples (§5.1)", function () {
    const cases = [
      {
        name: 'single datapoint: no base name, the whole name is the field',
        file: 'senml-rfc8428-single.json',
        readings: [r({ unit: 'Cel' }, { [DEV]: 23.1 }, NOW)],
      },
      {
        name: 'multiple datapoints: base name → device, one reading per unit',
        file: 'senml-rfc8428-multiple-datapoints.json',
        readings: [r({ device: DEV, unit: 'V' }, { voltage: 120.1 }, NOW), r({ device: DEV, unit: 'A' }, { current: 1.2 }, NOW)],
      },
      {
        name: 'multiple datapoints, units dropped: one reading with both fields',
        file: 'senml-rfc8428-multiple-datapoints.json',
        config: { senmlUnits: 'drop' },
        readings: [r({ device: DEV }, { voltage: 120.1, current: 1.2 }, NOW)],
      },
      {
        name: 'multiple measurements: base time + relative t, base unit, bver ignored',
        file: 'senml-rfc8428-multiple-measurements.json',
        config: { now: 1276020080000 },
        readings: [
          r({ device: DEV6, unit: 'V' }, { voltage: 120.1 }, 1276020076001),
          r({ device: DEV6, unit: 'A' }, { current: 1.2 }, 1276020071001),
          r({ device: DEV6, unit: 'A' }, { current: 1.3 }, 1276020072001),
          r({ device: DEV6, unit: 'A' }, { current: 1.4 }, 1276020073001),
          r({ device: DEV6, unit: 'A' }, { current: 1.5 }, 1276020074001),
          r({ device: DEV6, unit: 'A' }, { current: 1.6 }, 1276020075001),
          r({ device: DEV6, unit: 'A' }, { current: 1.7 }, 1276020076001),
        ],
      },
      {
        name: 'resolved records: absolute times, full names',
        file: 'senml-rfc8428-resolved.json',
        config: { now: 1276020080000 },
        readings: [
          r({ unit: 'V' }, { [`${DEV6}:voltage`]: 120.1 }, 1276020076000),
          r({ unit: 'A' }, { [`${DEV6}:current`]: 1.2 }, 1276020071000),
          r({ unit: 'A' }, { [`${DEV6}:current`]: 1.3 }, 1276020072000),
        ],
      },
      {
        name: 'multiple data types: vs → string, vb → boolean, vd → its base64 text',
        file: 'senml-rfc8428-data-types.json',
        readings: [r({ device: DEV, unit: 'Cel' }, { temp: 23.1 }, NOW), r({ device: DEV }, { label: 'Machine Room', open: false, 'nfc-reader': 'aGkgCg' }, NOW)],
      },
      {
        name: 'collection of resources: base name "2001:db8::2/" → device "2001:db8::2"',
        file: 'senml-rfc8428-collection.json',
        config: { now: 1320078429000 },
        readings: [
          r({ device: '2001:db8::2', unit: 'Cel' }, { temperature: 27.2 }, 1320078429000),
          r({ device: '2001:db8::2', unit: '%RH' }, { humidity: 80 }, 1320078429000),
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, function () {
        const result = run(fixture(c.file), c.config);
        assert.deepStrictEqual(result.rejections, []);
        assert.deepStrictEqual(result.readings, c.readings);
        assert.strictEqual(result.format, 'senml');
        assert.strictEqual(result.multiple, true);
      });
    }

    it('position track: nameless records become field "value", one series per unit', function () {
      const result = run(fixture('senml-rfc8428-position.json'), { now: 1320067464000 + 200_000 });
      assert.deepStrictEqual(result.rejections, []);
      assert.strictEqual(result.readings.length, 13);
      assert.deepStrictEqual(result.readings.slice(0, 3), [
        r({ device: DEV, unit: '%RH' }, { value: 20 }, 1320067464000),
        r({ device: DEV, unit: 'lon' }, { value: 24.30621 }, 1320067464000),
        r({ device: DEV, unit: 'lat' }, { value: 60.07965 }, 1320067464000),
      ]);
      assert.deepStrictEqual(result.readings[9], r({ device: DEV, unit: '%EL' }, { value: 98 }, 1320067614000));
    });

    it('position track with units dropped: same-named values at one time are refused, not merged', function () {
      const result = run(fixture('senml-rfc8428-position.json'), { now: 1320067464000 + 200_000, senmlUnits: 'drop' });
      assert.strictEqual(result.readings.length, 5);
      assert.deepStrictEqual(codes(result), Array(8).fill('DUPLICATE_KEY'));
      assert.deepStrictEqual(result.rejections.map((x) => x.index), [1, 2, 4, 5, 7, 8, 11, 12]);
    });

    it('the same pack is detected as SenML by format auto', function () {
      assert.strictEqual(run(fixture('senml-rfc8428-multiple-datapoints.json'), { format: 'auto' }).format, 'senml');
    });
  });

  describe('resolution rules', function () {
    const cases = [
      ['base value is added to v', [{ bn: 'd:', bv: 100, n: 'a', v: 1 }, { n: 'b', v: 2 }], [r({ device: 'd' }, { a: 101, b: 102 }, NOW)]],
      ['a sum becomes <name>_sum, with the base sum', [{ bn: 'd:', bs: 1000, n: 'energy', s: 100, u: 'Wh' }], [r({ device: 'd', unit: 'Wh' }, { energy_sum: 1100 }, NOW)]],
      ['value and sum in one record', [{ n: 'e', v: 1, s: 2 }], [r({}, { e: 1, e_sum: 2 }, NOW)]],
      ['negative t is seconds before now', [{ n: 'x', v: 1, t: -10 }], [r({}, { x: 1 }, NOW - 10_000)]],
      ['a small base time is relative too', [{ bt: -60, n: 'x', v: 1, t: 30 }], [r({}, { x: 1 }, NOW - 30_000)]],
      ['times keep their milliseconds', [{ n: 'x', v: 1, t: 1714564799.25 }], [r({}, { x: 1 }, NOW - 750)]],
      ['a base-only record just sets the base', [{ bn: 'dev-1/', bt: 1714564790 }, { n: 't', v: 1 }], [r({ device: 'dev-1' }, { t: 1 }, NOW - 10_000)]],
      ['a later bn applies to the records after it', [{ bn: 'a:', n: 't', v: 1 }, { bn: 'b:', n: 't', v: 2 }], [r({ device: 'a' }, { t: 1 }, NOW), r({ device: 'b' }, { t: 2 }, NOW)]],
      ['bn without n: field "value"', [{ bn: 'sensor-9', v: 3 }], [r({ device: 'sensor-9' }, { value: 3 }, NOW)]],
      ['ut, bver and unknown labels are ignored', [{ n: 'x', v: 1, ut: 60, bver: 10, foo: 'bar' }], [r({}, { x: 1 }, NOW)]],
      ['bver 5 (an older version) is read as RFC 8428', [{ bver: 5, n: 'x', v: 1 }], [r({}, { x: 1 }, NOW)]],
      ['a lone record is a pack of one (format senml)', { n: 'x', v: 1 }, [r({}, { x: 1 }, NOW)]],
    ];
    for (const [what, pack, readings] of cases) {
      it(what, function () {
        const result = run(JSON.stringify(pack), { format: 'senml' });
        assert.deepStrictEqual(result.rejections, []);
        assert.deepStrictEqual(result.readings, readings);
      });
    }

    it('the topic template\'s device wins over the base name', function () {
      const result = run('[{"bn":"urn:x:","n":"t","v":1}]', { topic: 'senml/dev-real', topicTemplate: 'senml/{device}' });
      assert.deepStrictEqual(result.readings[0].tags, { device: 'dev-real' });
    });
  });

  describe('malformed packs', function () {
    const cases = [
      ['a must-understand label refuses the whole pack', [{ n: 'x', v: 1 }, { n: 'y', v: 2, crit_: 1 }], [['SENML_MUST_UNDERSTAND', 'message', undefined]], 0],
      // RFC 8428 §4.4: a pack of a higher version than understood MUST NOT be used, whole.
      ['bver 11 (newer than RFC 8428) refuses the whole pack', [{ bver: 11, bn: 'd:', n: 'x', v: 1 }, { n: 'y', v: 2 }], [['SENML_VERSION', 'message', undefined]], 0],
      ['a bver 11 in a later record refuses the whole pack too', [{ bn: 'd:', n: 'x', v: 1 }, { n: 'y', v: 2, bver: 11 }], [['SENML_VERSION', 'message', undefined]], 0],
      ['bver 0 is not a version', [{ bver: 0, n: 'x', v: 1 }], [['SENML_VERSION', 'message', undefined]], 0],
      ['bver 10.5 is not a version', [{ bver: 10.5, n: 'x', v: 1 }], [['SENML_VERSION', 'message', undefined]], 0],
      ['bver as text is not a version', [{ bver: '10', n: 'x', v: 1 }], [['SENML_VERSION', 'message', undefined]], 0],
      ['a record that is not an object', [{ n: 'x', v: 1 }, 5], [['SENML_BAD_RECORD', 'item', 1]], 1],
      ['v as text', [{ n: 'x', v: '1' }], [['SENML_BAD_RECORD', 'item', 0]], 0],
      ['bt as text', [{ bt: '1', n: 'x', v: 1 }], [['SENML_BAD_RECORD', 'item', 0]], 0],
      ['vb not a boolean', [{ n: 'x', vb: 1 }], [['SENML_BAD_RECORD', 'item', 0]], 0],
      ['two values in one record', [{ n: 'x', v: 1, vs: 'a' }], [['SENML_BAD_RECORD', 'item', 0]], 0],
      ['a record without value or sum', [{ n: 'x', u: 'Cel' }, { n: 'y', v: 1 }], [['SENML_NO_VALUE', 'item', 0]], 1],
      ['an empty record', [{}], [['SENML_NO_VALUE', 'item', 0]], 0],
      ['no name at all', [{ v: 1 }], [['SENML_BAD_RECORD', 'item', 0]], 0],
      ['an empty pack', [], [['EMPTY_PAYLOAD', 'message', undefined]], 0],
      ['base records only', [{ bn: 'x:' }], [['EMPTY_PAYLOAD', 'message', undefined]], 0],
      ['not a pack', 'text', [['NOT_AN_OBJECT', 'message', undefined]], 0],
      ['a string too long for InfluxDB', [{ n: 'x', vs: 'y'.repeat(70_000) }, { n: 'z', v: 1 }], [['STRING_TOO_LONG', 'field', 0]], 1],
      ['a time far in the future', [{ n: 'x', v: 1, t: 4102444800 }], [['TIMESTAMP_OUT_OF_RANGE', 'item', 0]], 0],
    ];
    for (const [what, pack, expected, readings] of cases) {
      it(what, function () {
        const result = run(JSON.stringify(pack), { format: 'senml' });
        assert.deepStrictEqual(result.rejections.map((x) => [x.code, x.scope, x.index]), expected);
        assert.strictEqual(result.readings.length, readings);
      });
    }

    it('a newer bver says which version came and which one is understood, with format auto too', function () {
      const result = run(JSON.stringify([{ bver: 11, bn: 'd:', n: 'x', v: 1 }]), { format: 'auto' });
      assert.strictEqual(result.format, 'senml');
      assert.match(result.rejections[0].message, /SenML version 11, newer than version 10 \(RFC 8428\).*§4\.4/);
    });
  });

  describe('what format auto calls SenML', function () {
    const cases = [
      ['[{"n":"t","v":1}]', 'senml'],
      ['[{"bn":"d:","n":"t","v":1},{"n":"h","v":2}]', 'senml'],
      ['[{"bn":"d:","n":"t","v":1,"x_":1}]', 'senml'],
      ['[{"n":3,"temp":4}]', 'json'],
      ['[{"n":"t","v":1,"temperature":2}]', 'json'],
      ['[{"v":1}]', 'json'],
      ['{"n":"t","v":1}', 'json'],
      ['[]', 'json'],
    ];
    for (const [text, format] of cases) {
      it(`${text} → ${format}`, function () {
        assert.strictEqual(run(text).format, format);
      });
    }
  });
});
