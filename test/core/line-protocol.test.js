'use strict';
// Table-driven encode and parse cases for line protocol. What influxd 1.6.7 does with the same text
// was checked by hand against a real server and is noted where it is surprising; the integration
// test (test/integration/line-protocol-influx.test.js) keeps checking the encoder against it.
const assert = require('assert');
const lp = require('../../dist/core/line-protocol');
const { validateReading } = require('../../dist/core/reading');

const { encodeValidReading, encodeReading, encodeReadings, encodeFieldValue, escapeMeasurement, escapeName, parseLine, parseLines, splitLines, LineProtocolError } = lp;

const T = 1_700_000_000_123;
const NOW = 1_800_000_000_000;

function r(measurement, tags, fields, timestamp = T) {
  return { measurement, tags, fields, timestamp };
}

// [title, reading, expected line]
const encodeCases = [
  ['simplest', r('m', {}, { x: 1 }), `m x=1 ${T}`],
  ['the design example', r('telemetry', { device: 'dev-7', site: 'plant-a' }, { temperature: 21.5 }), `telemetry,device=dev-7,site=plant-a temperature=21.5 ${T}`],
  ['tags are sorted by key', r('m', { zeta: '1', alpha: '2', Mid: '3', beta: '4' }, { x: 1 }), `m,Mid=3,alpha=2,beta=4,zeta=1 x=1 ${T}`],
  ['fields keep their order', r('m', {}, { z: 1, a: 2, m: 3 }), `m z=1,a=2,m=3 ${T}`],
  ['empty tag values are left out', r('m', { a: '', b: 'x', c: '' }, { v: 1 }), `m,b=x v=1 ${T}`],
  ['only empty tags → no tag section', r('m', { a: '' }, { v: 1 }), `m v=1 ${T}`],
  ['missing tags property', { measurement: 'm', fields: { v: 1 }, timestamp: T }, `m v=1 ${T}`],
  ['space in measurement', r('my meas', {}, { x: 1 }), `my\\ meas x=1 ${T}`],
  ['comma in measurement', r('a,b', {}, { x: 1 }), `a\\,b x=1 ${T}`],
  ['equals in measurement is not escaped', r('a=b', {}, { x: 1 }), `a=b x=1 ${T}`],
  ['quote in measurement is not escaped', r('a"b', {}, { x: 1 }), `a"b x=1 ${T}`],
  ['measurement starting with a space', r(' m', {}, { x: 1 }), `\\ m x=1 ${T}`],
  ['space, comma, equals in tag key', r('m', { 'a b,c=d': 'v' }, { x: 1 }), `m,a\\ b\\,c\\=d=v x=1 ${T}`],
  ['space, comma, equals in tag value', r('m', { k: 'a b,c=d' }, { x: 1 }), `m,k=a\\ b\\,c\\=d x=1 ${T}`],
  ['space, comma, equals in field key', r('m', {}, { 'a b,c=d': 1 }), `m a\\ b\\,c\\=d=1 ${T}`],
  ['quotes in tag key and value are kept', r('m', { 'k"': '"v"' }, { x: 1 }), `m,k"="v" x=1 ${T}`],
  ['quote in field key is kept', r('m', {}, { 'a"b': 1 }), `m a"b=1 ${T}`],
  ['backslash in names is written as is', r('a\\b', { 'k\\x': 'C:\\dir\\f' }, { 'f\\g': 1 }), `a\\b,k\\x=C:\\dir\\f f\\g=1 ${T}`],
  ['double backslash in names is written as is', r('a\\\\b', {}, { x: 1 }), `a\\\\b x=1 ${T}`],
  ['unicode names', r('température', { 'gerät': 'Küche' }, { '温度': 21.5 }), `température,gerät=Küche 温度=21.5 ${T}`],
  ['emoji names and values', r('🌡️', { '📍': '🏭 a' }, { '🔥': '🔥' }), `🌡️,📍=🏭\\ a 🔥="🔥" ${T}`],
  ['string field', r('m', {}, { s: 'hello world' }), `m s="hello world" ${T}`],
  ['empty string field', r('m', {}, { s: '' }), `m s="" ${T}`],
  ['quotes in a string field', r('m', {}, { s: 'say "hi"' }), `m s="say \\"hi\\"" ${T}`],
  ['backslashes in a string field', r('m', {}, { s: 'C:\\dir\\' }), `m s="C:\\\\dir\\\\" ${T}`],
  ['backslash-quote in a string field', r('m', {}, { s: '\\"' }), `m s="\\\\\\"" ${T}`],
  ['newline in a string field stays a newline', r('m', {}, { s: 'a\nb' }), `m s="a\nb" ${T}`],
  ['CRLF in a string field', r('m', {}, { s: 'a\r\nb' }), `m s="a\r\nb" ${T}`],
  ['comma, equals, space in a string field are not escaped', r('m', {}, { s: 'a=1, b=2' }), `m s="a=1, b=2" ${T}`],
  ['a string that looks like line protocol', r('m', {}, { s: '"\nevil x=1 1\n' }), `m s="\\"\nevil x=1 1\n" ${T}`],
  ['string field "1.2" stays a string', r('m', {}, { s: '1.2' }), `m s="1.2" ${T}`],
  ['booleans', r('m', {}, { on: true, off: false }), `m on=true,off=false ${T}`],
  ['integer-looking number has no i suffix', r('m', {}, { n: 12 }), `m n=12 ${T}`],
  ['zero', r('m', {}, { n: 0 }), `m n=0 ${T}`],
  ['negative zero keeps its sign (influxd stores -0)', r('m', {}, { n: -0 }), `m n=-0 ${T}`],
  ['negative float', r('m', {}, { n: -21.5 }), `m n=-21.5 ${T}`],
  ['small float with exponent', r('m', {}, { n: 1e-7 }), `m n=1e-7 ${T}`],
  ['large float with exponent', r('m', {}, { n: 1.5e21 }), `m n=1.5e+21 ${T}`],
  ['max double', r('m', {}, { n: Number.MAX_VALUE }), `m n=1.7976931348623157e+308 ${T}`],
  ['min double', r('m', {}, { n: Number.MIN_VALUE }), `m n=5e-324 ${T}`],
  ['0.1 + 0.2 keeps every digit', r('m', {}, { n: 0.1 + 0.2 }), `m n=0.30000000000000004 ${T}`],
  ['max safe integer', r('m', {}, { n: Number.MAX_SAFE_INTEGER }), `m n=9007199254740991 ${T}`],
  ['timestamp in ms', r('m', {}, { x: 1 }, 1), 'm x=1 1'],
  ['timestamp 0', r('m', {}, { x: 1 }, 0), 'm x=1 0'],
  ['negative timestamp', r('m', {}, { x: 1 }, -1_000), 'm x=1 -1000'],
  ['timestamp -0', r('m', {}, { x: 1 }, -0), 'm x=1 0'],
  ['mixed field types', r('m', { d: 'x' }, { f: 1.5, b: true, s: 'str' }), `m,d=x f=1.5,b=true,s="str" ${T}`],
  ['hash inside a measurement', r('m#1', {}, { x: 1 }), `m#1 x=1 ${T}`],
  ['__proto__ tag key (JSON.parse)', JSON.parse(`{"measurement":"m","tags":{"__proto__":"p"},"fields":{"toString":1},"timestamp":${T}}`), `m,__proto__=p toString=1 ${T}`],
  ['__proto__ field key (JSON.parse)', JSON.parse(`{"measurement":"__proto__","tags":{},"fields":{"__proto__":"x"},"timestamp":${T}}`), `__proto__ __proto__="x" ${T}`],
  ['tab inside names is kept', r('m\tx', { 't\tk': 'v\t' }, { 'f\tg': 1 }), `m\tx,t\tk=v\t f\tg=1 ${T}`],
];

// [title, line, expected reading, precision (default ms)]
const parseCases = [
  ['simplest', 'm x=1 1000', r('m', {}, { x: 1 }, 1000)],
  ['design example', 'telemetry,device=dev-7,site=plant-a temperature=21.5 1700000000123', r('telemetry', { device: 'dev-7', site: 'plant-a' }, { temperature: 21.5 })],
  ['Telegraf cpu line (ns)', 'cpu,cpu=cpu-total,host=telegraf-1 usage_idle=98.5,usage_user=1.2,usage_system=0.3 1700000000123456789', r('cpu', { cpu: 'cpu-total', host: 'telegraf-1' }, { usage_idle: 98.5, usage_user: 1.2, usage_system: 0.3 }), 'ns'],
  ['Telegraf mem line with integers', 'mem,host=h1 total=16777216i,used=8388608i,used_percent=50 1700000000000000000', r('mem', { host: 'h1' }, { total: 16777216, used: 8388608, used_percent: 50 }, 1_700_000_000_000), 'ns'],
  ['Telegraf disk line with escaped spaces and string', 'disk,device=sda1,fstype=ext4,mode=rw,path=/mnt/my\\ disk free=1i,label="Data Disk" 1700000000000000000', r('disk', { device: 'sda1', fstype: 'ext4', mode: 'rw', path: '/mnt/my disk' }, { free: 1, label: 'Data Disk' }, 1_700_000_000_000), 'ns'],
  ['unsigned integer (InfluxDB 2.x)', 'm x=12u 1', r('m', {}, { x: 12 }, 1)],
  ['negative integer', 'm x=-12i 1', r('m', {}, { x: -12 }, 1)],
  // The boundaries of the 64-bit ranges are accepted (as the nearest double: one number type).
  ['int64 max and min are accepted', 'm a=9223372036854775807i,b=-9223372036854775808i 1', r('m', {}, { a: 9223372036854775807, b: -9223372036854775808 }, 1)],
  ['uint64 max and 0u are accepted', 'm a=18446744073709551615u,b=0u 1', r('m', {}, { a: 18446744073709551615, b: 0 }, 1)],
  ['leading zeros do not count toward the range', 'm a=0009223372036854775807i 1', r('m', {}, { a: 9223372036854775807 }, 1)],
  ['booleans t, T, true, True, TRUE', 'm a=t,b=T,c=true,d=True,e=TRUE 1', r('m', {}, { a: true, b: true, c: true, d: true, e: true }, 1)],
  ['booleans f, F, false, False, FALSE', 'm a=f,b=F,c=false,d=False,e=FALSE 1', r('m', {}, { a: false, b: false, c: false, d: false, e: false }, 1)],
  ['floats in every shape influxd accepts', 'm a=.5,b=5.,c=-.5,d=1e5,e=1E5,f=1.5e-3,g=1e+5,h=01,i=00.5 1', r('m', {}, { a: 0.5, b: 5, c: -0.5, d: 1e5, e: 1e5, f: 0.0015, g: 1e5, h: 1, i: 0.5 }, 1)],
  ['negative zero stays -0 as a float (as influxd stores it), -0i is 0', 'm a=-0,b=-0.0,c=-0i,d=-0u,e=0 1', r('m', {}, { a: -0, b: -0, c: 0, d: 0, e: 0 }, 1)],
  ['missing timestamp → now', 'm x=1', r('m', {}, { x: 1 }, NOW)],
  ['missing timestamp with trailing spaces → now', 'm x=1   ', r('m', {}, { x: 1 }, NOW)],
  ['precision s', 'm x=1 1700000000', r('m', {}, { x: 1 }, 1_700_000_000_000), 's'],
  ['precision ms', 'm x=1 1700000000123', r('m', {}, { x: 1 }, 1_700_000_000_123), 'ms'],
  ['precision us', 'm x=1 1700000000123456', r('m', {}, { x: 1 }, 1_700_000_000_123), 'us'],
  ['precision ns', 'm x=1 1700000000123456789', r('m', {}, { x: 1 }, 1_700_000_000_123), 'ns'],
  ['ns just below a ms boundary rounds down (no float rounding up)', 'm x=1 1700000000123999999', r('m', {}, { x: 1 }, 1_700_000_000_123), 'ns'],
  ['negative ns rounds toward the past', 'm x=1 -1500000', r('m', {}, { x: 1 }, -2), 'ns'],
  ['negative us exact', 'm x=1 -3000', r('m', {}, { x: 1 }, -3), 'us'],
  ['negative timestamp in ms', 'm x=1 -1000', r('m', {}, { x: 1 }, -1000)],
  ['escaped space and comma in measurement', 'my\\ meas\\,x y=1 1', r('my meas,x', {}, { y: 1 }, 1)],
  ['influxd unescapes \\= and \\" in a measurement', 'a\\=b\\"c x=1 1', r('a=b"c', {}, { x: 1 }, 1)],
  ['unescaped = and " in a measurement', 'a=b"c x=1 1', r('a=b"c', {}, { x: 1 }, 1)],
  ['other backslashes in a measurement are kept', 'a\\b\\\\c x=1 1', r('a\\b\\\\c', {}, { x: 1 }, 1)],
  ['escaped chars in tags', 'm,a\\ b\\,c\\=d=e\\ f\\,g\\=h x=1 1', r('m', { 'a b,c=d': 'e f,g=h' }, { x: 1 }, 1)],
  ['\\" in a tag is kept (influxd does not unescape it there)', 'm,k\\"=v\\" x=1 1', r('m', { 'k\\"': 'v\\"' }, { x: 1 }, 1)],
  ['quotes in a tag value', 'm,k="v" x=1 1', r('m', { k: '"v"' }, { x: 1 }, 1)],
  ['escaped chars in a field key', 'm a\\ b\\,c\\=d\\"e=1 1', r('m', {}, { 'a b,c=d"e': 1 }, 1)],
  ['string with escaped quotes and backslashes', 'm s="say \\"hi\\" C:\\\\dir\\\\" 1', r('m', {}, { s: 'say "hi" C:\\dir\\' }, 1)],
  ['other backslashes in a string are kept', 'm s="a\\nb\\tc" 1', r('m', {}, { s: 'a\\nb\\tc' }, 1)],
  ['string with spaces, commas, equals', 'm s="a=1, b=2",x=3 1', r('m', {}, { s: 'a=1, b=2', x: 3 }, 1)],
  ['empty string', 'm s="" 1', r('m', {}, { s: '' }, 1)],
  ['unicode and emoji', 'température,📍=🏭 温度=21.5,note="日本語 ✓" 1', r('température', { '📍': '🏭' }, { '温度': 21.5, note: '日本語 ✓' }, 1)],
  ['tags are kept as written (order does not matter)', 'm,z=1,a=2 x=1 1', r('m', { z: '1', a: '2' }, { x: 1 }, 1)],
  ['duplicate field: the last one wins (as influxd)', 'm x=1,x=2 1', r('m', {}, { x: 2 }, 1)],
  ['several spaces between sections', 'm,t=a   x=1   1', r('m', { t: 'a' }, { x: 1 }, 1)],
  ['tab before the fields and the timestamp', 'm \tx=1 \t1', r('m', {}, { x: 1 }, 1)],
  ['__proto__ as tag and field key', 'm,__proto__=p __proto__=1,constructor=2 1', JSON.parse('{"measurement":"m","tags":{"__proto__":"p"},"fields":{"__proto__":1,"constructor":2},"timestamp":1}')],
  ['measurement "time"', 'time x=1 1', r('time', {}, { x: 1 }, 1)],
];

// [title, line, regex of the error message]
const parseErrors = [
  ['measurement only', 'm', /missing fields/],
  ['measurement and tags only', 'm,t=a', /missing fields/],
  ['no fields before the timestamp', 'm 1000', /invalid field/],
  ['empty measurement', ',t=a x=1 1', /missing measurement/],
  ['line starting with a space (parseLine does not skip it)', ' m x=1', /missing measurement/],
  ['empty tag value', 'm,t= x=1 1', /missing value of tag "t"/],
  ['tag without =', 'm,t x=1 1', /invalid tag/],
  ['empty tag key', 'm,=a x=1 1', /invalid tag/],
  ['unescaped = in a tag value (influxd: invalid tag format)', 'm,t=a=b x=1 1', /unescaped "="/],
  ['duplicate tag (influxd: duplicate tags)', 'm,t=1,t=2 x=1 1', /duplicate tag "t"/],
  ['space before the tags', 'm ,t=a x=1 1', /invalid field/],
  ['field without value', 'm x= 1', /missing field value/],
  ['field without =', 'm x 1', /invalid field/],
  ['empty field key', 'm =1 1', /invalid field/],
  ['trailing comma in fields', 'm x=1, 1', /invalid field/],
  ['space after a comma in fields', 'm x=1, y=2 1', /invalid field/],
  ['unterminated string', 'm s="abc 1', /unterminated string/],
  ['string followed by garbage', 'm s="a"b 1', /invalid timestamp/],
  ['string glued to the timestamp (influxd stores garbage)', 'm s="a"1000', /invalid timestamp/],
  ['bare word value', 'm x=hello 1', /invalid field value "hello"/],
  ['tRUE is not a boolean', 'm x=tRUE 1', /invalid field value/],
  ['leading + (influxd refuses it)', 'm x=+1 1', /invalid field value "\+1"/],
  ['float with i suffix', 'm x=1.5i 1', /invalid field value/],
  ['NaN', 'm x=NaN 1', /invalid field value/],
  ['Inf', 'm x=Inf 1', /invalid field value/],
  ['1e400 overflows', 'm x=1e400 1', /invalid field value/],
  ['hex', 'm x=0x10 1', /invalid field value/],
  ['incomplete exponent', 'm x=1e 1', /invalid field value/],
  ['lone minus', 'm x=- 1', /invalid field value/],
  ['timestamp with + sign', 'm x=1 +1000', /invalid timestamp/],
  ['float timestamp', 'm x=1 1.5', /invalid timestamp/],
  ['two timestamps', 'm x=1 1 2', /invalid timestamp/],
  ['comment after the timestamp', 'm x=1 1 # hi', /invalid timestamp/],
  ['timestamp beyond 2^53 ms', 'm x=1 99999999999999999999', /invalid timestamp/],
  ['tab between value and timestamp', 'm x=1\t1000', /invalid field value/],
  // influxd answers 400 "value out of range" (FIELD-NOTES); never a rounded float.
  ['int64 max + 1', 'm x=9223372036854775808i 1', /value out of range: "9223372036854775808i" does not fit a signed 64-bit integer/],
  ['int64 min - 1', 'm x=-9223372036854775809i 1', /value out of range: "-9223372036854775809i"/],
  ['a 400-digit integer (message shortened)', `m x=${'9'.repeat(400)}i 1`, /value out of range: "9{40}…"/],
  ['uint64 max + 1', 'm x=18446744073709551616u 1', /value out of range: .*unsigned 64-bit/],
  ['a negative unsigned integer', 'm x=-1u 1', /value out of range: "-1u"/],
];

describe('core/line-protocol encode', function () {
  for (const [title, reading, expected] of encodeCases) {
    it(title, function () {
      assert.strictEqual(validateReading(reading), undefined, 'the case must be a valid reading');
      assert.strictEqual(encodeValidReading(reading), expected);
      assert.strictEqual(encodeReading(reading), expected);
    });
  }

  it('has at least 40 encode cases', function () {
    assert.ok(encodeCases.length >= 40, String(encodeCases.length));
  });

  it('encodeReading refuses an invalid reading with its reason code', function () {
    assert.throws(() => encodeReading(r('m', {}, {})), /^Error: NO_FIELDS: /);
    assert.throws(() => encodeReading(r('m', {}, { x: NaN })), /NON_FINITE/);
    assert.throws(() => encodeReading(r('#m', {}, { x: 1 })), /UNENCODABLE/);
    assert.throws(() => encodeReading(r('m', { t: 'a\nb' }, { x: 1 })), /UNENCODABLE/);
  });

  it('encodeReadings joins lines with \\n, no trailing newline', function () {
    const text = encodeReadings([r('a', {}, { x: 1 }, 1), r('b', { t: 'v' }, { s: 'x\ny' }, 2)]);
    assert.strictEqual(text, 'a x=1 1\nb,t=v s="x\ny" 2');
    assert.strictEqual(encodeReadings([]), '');
  });

  it('encodeReadings refuses the whole batch when one reading is invalid', function () {
    assert.throws(() => encodeReadings([r('a', {}, { x: 1 }), r('', {}, { x: 1 })]), /EMPTY_MEASUREMENT/);
  });

  it('escape helpers', function () {
    assert.strictEqual(escapeMeasurement('a b,c=d"e\\'), 'a\\ b\\,c=d"e\\');
    assert.strictEqual(escapeName('a b,c=d"e\\'), 'a\\ b\\,c\\=d"e\\');
    assert.strictEqual(encodeFieldValue('a"b\\c\nd'), '"a\\"b\\\\c\nd"');
    assert.strictEqual(encodeFieldValue(1), '1');
    assert.strictEqual(encodeFieldValue(false), 'false');
  });

  it('does not modify the reading (tag order, values)', function () {
    const reading = r('m', { b: '1', a: '2' }, { y: 1, x: 2 });
    encodeValidReading(reading);
    assert.deepStrictEqual(Object.keys(reading.tags), ['b', 'a']);
  });
});

describe('core/line-protocol parseLine', function () {
  for (const [title, line, expected, precision = 'ms'] of parseCases) {
    it(title, function () {
      const got = parseLine(line, NOW, precision);
      assert.deepStrictEqual(got, expected);
      assert.strictEqual(Object.getPrototypeOf(got.tags), Object.prototype);
      assert.strictEqual(Object.getPrototypeOf(got.fields), Object.prototype);
    });
  }

  it('default precision is ns', function () {
    assert.strictEqual(parseLine('m x=1 1700000000123456789', NOW).timestamp, 1_700_000_000_123);
  });

  it('a __proto__ key does not touch any prototype', function () {
    const got = parseLine('m,__proto__=x __proto__=1 1', NOW, 'ms');
    assert.ok(Object.prototype.hasOwnProperty.call(got.tags, '__proto__'));
    assert.strictEqual(({}).x, undefined);
    assert.strictEqual(Object.getPrototypeOf(got.fields), Object.prototype);
  });

  for (const [title, line, message] of parseErrors) {
    it(`error: ${title}`, function () {
      assert.throws(
        () => parseLine(line, NOW, 'ms'),
        (err) => {
          assert.ok(err instanceof LineProtocolError, String(err));
          assert.match(err.message, message);
          assert.strictEqual(err.line, line);
          return true;
        },
      );
    });
  }

  it('error messages shorten very long lines', function () {
    const line = `m s="${'x'.repeat(10_000)}`;
    assert.throws(() => parseLine(line, NOW), (err) => err.message.length < 250 && err.message.includes('…'));
  });

  it('has at least 40 parse cases', function () {
    assert.ok(parseCases.length + parseErrors.length >= 40);
  });
});

describe('core/line-protocol parseLines', function () {
  it('several lines, blank lines, comments, indentation', function () {
    const text = [
      '# a comment',
      '',
      'cpu,host=a usage=1 1000',
      '   ',
      '  # indented comment',
      '\tmem,host=a used=2i 2000',
      '  disk,host=a free=3 3000',
      '',
    ].join('\n');
    const { readings, errors } = parseLines(text, NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings, [
      r('cpu', { host: 'a' }, { usage: 1 }, 1000),
      r('mem', { host: 'a' }, { used: 2 }, 2000),
      r('disk', { host: 'a' }, { free: 3 }, 3000),
    ]);
  });

  it('CRLF line ends are forgiven (influxd answers "bad timestamp")', function () {
    const { readings, errors } = parseLines('m x=1 1000\r\nm x=2 2000\r\n\r\n', NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings.map((x) => x.timestamp), [1000, 2000]);
  });

  it('a newline inside a quoted string field does not split the line', function () {
    const { readings, errors } = parseLines('m s="line1\nline2\n# not a comment" 1000\nm s="x" 2000', NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings, [r('m', {}, { s: 'line1\nline2\n# not a comment' }, 1000), r('m', {}, { s: 'x' }, 2000)]);
  });

  it('an escaped quote inside a string does not end it', function () {
    const { readings } = parseLines('m s="a\\"\nb" 1\nm x=1 2', NOW, 'ms');
    assert.deepStrictEqual(readings, [r('m', {}, { s: 'a"\nb' }, 1), r('m', {}, { x: 1 }, 2)]);
  });

  it('a string ending in a backslash ends at its quote', function () {
    const { readings } = parseLines('m s="C:\\\\" 1\nm x=1 2', NOW, 'ms');
    assert.deepStrictEqual(readings, [r('m', {}, { s: 'C:\\' }, 1), r('m', {}, { x: 1 }, 2)]);
  });

  it('a " inside a tag value or measurement does not swallow the next line', function () {
    const { readings, errors } = parseLines('m,t=a"b x=1 1\nm"x,t=c y=2 2\nm z=3 3', NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings, [r('m', { t: 'a"b' }, { x: 1 }, 1), r('m"x', { t: 'c' }, { y: 2 }, 2), r('m', {}, { z: 3 }, 3)]);
  });

  it('a " in a field key does not swallow the next line', function () {
    const { readings, errors } = parseLines('m a"b=1 1\nm x=2 2', NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings, [r('m', {}, { 'a"b': 1 }, 1), r('m', {}, { x: 2 }, 2)]);
  });

  it('a stray " in a field value costs only its own line (influxd loses the following ones)', function () {
    const { readings, errors } = parseLines('m x=1,y=a"b 1\nm x=2 2\nm x=3 3', NOW, 'ms');
    assert.strictEqual(errors.length, 1);
    assert.deepStrictEqual(readings.map((x) => x.fields.x), [2, 3]);
  });

  it('malformed lines are reported in errors, not thrown; good lines still come through', function () {
    const text = 'good x=1 1\nbad\nm,t= x=1 1\nm x=hello 1\ngood y=2 2\nm s="unterminated 3';
    const { readings, errors } = parseLines(text, NOW, 'ms');
    assert.deepStrictEqual(readings, [r('good', {}, { x: 1 }, 1), r('good', {}, { y: 2 }, 2)]);
    assert.strictEqual(errors.length, 4);
    for (const err of errors) assert.ok(err instanceof LineProtocolError);
    assert.deepStrictEqual(errors.map((e) => e.line), ['bad', 'm,t= x=1 1', 'm x=hello 1', 'm s="unterminated 3']);
  });

  it('an unterminated string swallows the rest of the text as one bad line', function () {
    const { readings, errors } = parseLines('m s="abc 1\nm x=1 2', NOW, 'ms');
    assert.deepStrictEqual(readings, []);
    assert.strictEqual(errors.length, 1);
  });

  it('missing timestamps get `now`, per line', function () {
    const { readings } = parseLines('m x=1\nm x=2 5', NOW, 'ms');
    assert.deepStrictEqual(readings.map((x) => x.timestamp), [NOW, 5]);
  });

  it('precision applies to every line', function () {
    const { readings } = parseLines('m x=1 1\nm x=2 2', NOW, 's');
    assert.deepStrictEqual(readings.map((x) => x.timestamp), [1000, 2000]);
  });

  it('empty text and only comments give nothing', function () {
    assert.deepStrictEqual(parseLines('', NOW), { readings: [], errors: [] });
    assert.deepStrictEqual(parseLines('# x\n#y\n\n', NOW), { readings: [], errors: [] });
  });

  it('a measurement starting with U+00A0 or U+2028 is kept (only space, tab, NUL are skipped)', function () {
    const { readings } = parseLines('\u00A0m x=1 1\n\u2028n x=1 1\n\u0000o x=1 1', NOW, 'ms');
    assert.deepStrictEqual(readings.map((x) => x.measurement), ['\u00A0m', '\u2028n', 'o']);
  });

  it('round trips a batch from encodeReadings', function () {
    const batch = [
      r('m 1', { 'a,b': 'c=d', e: '' }, { s: 'x\n"y"\\', n: 1.5, b: false }, 1),
      r('m#2', {}, { 'k"': 'v' }, 2),
      r('m3', { t: '"' }, { s: '\n' }, 3),
    ];
    const { readings, errors } = parseLines(encodeReadings(batch), NOW, 'ms');
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(readings, [
      r('m 1', { 'a,b': 'c=d' }, { s: 'x\n"y"\\', n: 1.5, b: false }, 1),
      r('m#2', {}, { 'k"': 'v' }, 2),
      r('m3', { t: '"' }, { s: '\n' }, 3),
    ]);
  });
});

describe('core/line-protocol splitLines', function () {
  const table = [
    ['a\nb', ['a', 'b']],
    ['a\n', ['a', '']],
    ['m s="x\ny" 1\nn', ['m s="x\ny" 1', 'n']],
    ['m,t="x\nn', ['m,t="x', 'n']],
    ['m a"b=1\nn', ['m a"b=1', 'n']],
    ['m s="\\"\n" 1\nn', ['m s="\\"\n" 1', 'n']],
    ['m s="\\\\"\nn', ['m s="\\\\"', 'n']],
    ['m\\ x s="\n"\nn', ['m\\ x s="\n"', 'n']],
  ];
  for (const [text, lines] of table) {
    it(JSON.stringify(text), function () {
      assert.deepStrictEqual(splitLines(text), lines);
    });
  }
});
