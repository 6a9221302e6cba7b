'use strict';
const assert = require('assert');
const { NOW, run, codes } = require('../fixtures/ingest/support');

describe('ingest payload kinds, bare values and format auto', function () {
  describe('format auto detects', function () {
    const cases = [
      ['{"t":1}', 'json'],
      ['  [{"t":1}]\n', 'json'],
      ['[{"n":"t","v":1}]', 'senml'],
      ['m v=1', 'line'],
      ['m,host=a v=1 1714564799\nm,host=b v=2', 'line'],
      ['21.5', 'value'],
      ['-3e2', 'value'],
      ['.5', 'value'],
      ['true', 'value'],
      ['FALSE', 'value'],
    ];
    for (const [text, format] of cases) {
      it(`${JSON.stringify(text)} as ${format}`, function () {
        const result = run(text);
        assert.deepStrictEqual(result.rejections, []);
        assert.strictEqual(result.format, format);
      });
    }
  });

  describe('format auto refuses', function () {
    const cases = [
      ['ON', 'UNKNOWN_FORMAT'],
      ['hello world', 'UNKNOWN_FORMAT'],
      ['NaN', 'UNKNOWN_FORMAT'],
      ['"quoted"', 'UNKNOWN_FORMAT'],
      ['{"t":', 'PARSE_ERROR'],
      ['[1,2', 'PARSE_ERROR'],
      ['', 'EMPTY_PAYLOAD'],
      ['   \n ', 'EMPTY_PAYLOAD'],
    ];
    for (const [text, code] of cases) {
      it(`${JSON.stringify(text)} with ${code}`, function () {
        const result = run(text);
        assert.deepStrictEqual(codes(result), [code]);
        assert.deepStrictEqual(result.readings, []);
      });
    }

    describe('JSON syntax errors are explained in words, with the position counted from 1', function () {
      const cases = [
        ['{"t":', 'it ends before the JSON is complete'],
        ['[new Date(1)]', 'unexpected character "e"'],
        ['{a:1}', "expected property name or '}' at character 2"],
        ['{"a":1}x', 'extra text after the JSON at character 8'],
      ];
      for (const [text, reason] of cases) {
        it(`${text} → ${reason}`, function () {
          assert.strictEqual(run(text).rejections[0].message, `the payload is not valid JSON: ${reason}`);
        });
      }
    });

    it('UNKNOWN_FORMAT quotes the payload and the line-protocol reason', function () {
      assert.match(run('ON').rejections[0].message, /^"ON" is neither JSON, SenML, line protocol nor a bare number or boolean \(as line protocol: missing fields/);
    });

    it('text with some valid lines is line protocol with the bad lines refused', function () {
      const result = run('m v=1\nnot line protocol');
      assert.strictEqual(result.format, 'line');
      assert.deepStrictEqual(codes(result), ['PARSE_ERROR']);
      assert.strictEqual(result.readings.length, 1);
    });
  });

  describe('bare values (format value)', function () {
    const cases = [
      ['21.5', 21.5],
      [' 21.5\n', 21.5],
      ['-0.25', -0.25],
      ['1e3', 1000],
      ['true', true],
      ['False', false],
      ['ON', 'ON'],
      ['"on"', 'on'],
      ['"unterminated', '"unterminated'],
      ['1.2.3', '1.2.3'],
    ];
    for (const [text, value] of cases) {
      it(`${JSON.stringify(text)} → ${JSON.stringify(value)}`, function () {
        const result = run(text, { format: 'value' });
        assert.deepStrictEqual(result.readings, [{ measurement: 'telemetry', tags: {}, fields: { value }, timestamp: NOW }]);
      });
    }

    it('{field} in the topic template names the field', function () {
      const result = run('21.5', { format: 'value', topic: 'shellies/ht-1/sensor/temperature', topicTemplate: 'shellies/{device}/sensor/{field}' });
      assert.deepStrictEqual(result.readings, [{ measurement: 'telemetry', tags: { device: 'ht-1' }, fields: { temperature: 21.5 }, timestamp: NOW }]);
    });

    it('Tasmota stat/…/POWER "ON" as a string field', function () {
      const result = run(Buffer.from('ON'), { format: 'value', topic: 'stat/plug-1/POWER', topicTemplate: 'stat/{device}/{field}' });
      assert.deepStrictEqual(result.readings[0].fields, { POWER: 'ON' });
    });

    it('a number that overflows is refused (the field, and so the reading)', function () {
      assert.deepStrictEqual(codes(run('1e999', { format: 'value' })), ['NON_FINITE', 'NO_FIELDS']);
    });

    it('an object is not a bare value', function () {
      assert.deepStrictEqual(codes(run({ a: 1 }, { format: 'value' })), ['BAD_PAYLOAD']);
    });
  });

  describe('payload kinds', function () {
    it('a Buffer of UTF-8 text is read as text', function () {
      assert.deepStrictEqual(run(Buffer.from('{"t":"ü"}')).readings[0].fields, { t: 'ü' });
    });

    it('a UTF-8 byte-order mark is dropped', function () {
      assert.strictEqual(run(Buffer.from('\uFEFF{"t":1}')).format, 'json');
      assert.strictEqual(run('\uFEFF{"t":1}').format, 'json');
    });

    it('bytes that are not UTF-8 are refused as such, not turned into U+FFFD', function () {
      const result = run(Buffer.from([0x08, 0x96, 0x01, 0xff]));
      assert.deepStrictEqual(codes(result), ['BAD_ENCODING']);
      assert.match(result.rejections[0].message, /4 bytes/);
    });

    it('a number payload is a bare value (format auto)', function () {
      assert.deepStrictEqual(run(7).readings[0].fields, { value: 7 });
    });

    it('a boolean payload is a bare value (format value)', function () {
      assert.deepStrictEqual(run(false, { format: 'value' }).readings[0].fields, { value: false });
    });

    it('a number payload is refused by format json', function () {
      assert.deepStrictEqual(codes(run(7, { format: 'json' })), ['NOT_AN_OBJECT']);
    });

    for (const [what, payload, code] of [
      ['undefined', undefined, 'EMPTY_PAYLOAD'],
      ['null', null, 'EMPTY_PAYLOAD'],
      ['a Date', new Date(), 'BAD_PAYLOAD'],
      ['a function', () => 1, 'BAD_PAYLOAD'],
      ['a BigInt', 10n, 'BAD_PAYLOAD'],
      ['a Symbol', Symbol('x'), 'BAD_PAYLOAD'],
      ['an empty Buffer', Buffer.alloc(0), 'EMPTY_PAYLOAD'],
    ]) {
      it(`${what} is refused with ${code}`, function () {
        assert.deepStrictEqual(codes(run(payload)), [code]);
      });
    }

    it('an object whose getter throws is refused, not thrown', function () {
      const payload = { t: 1 };
      Object.defineProperty(payload, 'bad', { enumerable: true, get() { throw new Error('boom'); } });
      const result = run(payload);
      assert.deepStrictEqual(codes(result), ['INTERNAL_ERROR']);
      assert.match(result.rejections[0].message, /boom/);
    });

    it('a topic that does not match the template refuses the message before parsing', function () {
      const result = run('not even json', { topic: 'a/b/c', topicTemplate: 'a/{device}' });
      assert.deepStrictEqual(codes(result), ['TOPIC_MISMATCH']);
    });
  });
});
