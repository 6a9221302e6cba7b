'use strict';
const assert = require('assert');
const { NOW, run, fixture, codes } = require('../fixtures/ingest/support');

const T = (iso) => Date.parse(iso);

describe('ingest JSON', function () {
  describe('real-world payloads', function () {
    const cases = [
      {
        name: 'Tasmota tele/…/SENSOR with an energy meter (nested → ENERGY_*)',
        file: 'tasmota-sensor-energy.json',
        config: { topic: 'tele/tasmota_1/SENSOR', topicTemplate: 'tele/{device}/+', format: 'json' },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'tasmota_1' },
            fields: {
              Time: '2024-05-01T12:00:00', ENERGY_TotalStartTime: '2023-11-29T23:41:00', ENERGY_Total: 12.345, ENERGY_Yesterday: 0.123,
              ENERGY_Today: 0.456, ENERGY_Period: 3, ENERGY_Power: 45, ENERGY_ApparentPower: 60, ENERGY_ReactivePower: 40,
              ENERGY_Factor: 0.75, ENERGY_Voltage: 231, ENERGY_Current: 0.26,
            },
            timestamp: NOW,
          },
        ],
        rejections: [],
      },
      {
        name: 'Tasmota SENSOR with timestampKey "Time" (a zone-less time is read as UTC)',
        file: 'tasmota-sensor-bme280.json',
        config: { topic: 'tele/tasmota_2/SENSOR', topicTemplate: 'tele/{device}/#', timestampKey: 'Time', now: NOW + 5_000 },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'tasmota_2' },
            fields: { BME280_Temperature: 21.3, BME280_Humidity: 45.2, BME280_DewPoint: 8.9, BME280_Pressure: 1013.2, PressureUnit: 'hPa', TempUnit: 'C' },
            timestamp: NOW,
          },
        ],
        rejections: [],
      },
      {
        name: 'Tasmota tele/…/STATE (strings stay strings)',
        file: 'tasmota-state.json',
        config: { topic: 'tele/tasmota_1/STATE', topicTemplate: 'tele/{device}/+', measurement: 'device_state' },
        readings: [
          {
            measurement: 'device_state',
            tags: { device: 'tasmota_1' },
            fields: {
              Time: '2024-05-01T12:00:00', Uptime: '0T01:02:03', UptimeSec: 3723, Heap: 25, SleepMode: 'Dynamic', Sleep: 50, LoadAvg: 19,
              MqttCount: 1, POWER: 'ON', Wifi_AP: 1, Wifi_SSId: 'home', Wifi_BSSId: 'AA:BB:CC:DD:EE:FF', Wifi_Channel: 6, Wifi_Mode: '11n',
              Wifi_RSSI: 70, Wifi_Signal: -65, Wifi_LinkCount: 1, Wifi_Downtime: '0T00:00:03',
            },
            timestamp: NOW,
          },
        ],
        rejections: [],
      },
      {
        name: 'Shelly Gen2 NotifyStatus: nested ts as timestampKey, the by_minute array refused alone',
        file: 'shelly-gen2-notifystatus.json',
        config: { topic: 'shellyplus1pm-a8032ab12345/events/rpc', topicTemplate: '{device}/events/rpc', timestampKey: 'params_ts' },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'shellyplus1pm-a8032ab12345' },
            fields: {
              src: 'shellyplus1pm-a8032ab12345', dst: 'shellyplus1pm-a8032ab12345/events', method: 'NotifyStatus',
              'params_switch:0_id': 0, 'params_switch:0_apower': 12.3, 'params_switch:0_current': 0.06, 'params_switch:0_voltage': 230.1,
              'params_switch:0_aenergy_total': 1234.567, 'params_switch:0_aenergy_minute_ts': 1714564800,
            },
            timestamp: 1714564800120,
          },
        ],
        rejections: [{ code: 'BAD_FIELD_TYPE', scope: 'field', field: 'params_switch:0_aenergy_by_minute' }],
      },
      {
        name: 'Shelly Gen2 status/switch:0 with the component from the topic',
        file: 'shelly-gen2-status-switch.json',
        config: { topic: 'shellyplus1pm-x/status/switch:0', topicTemplate: '{device}/status/{component}' },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'shellyplus1pm-x', component: 'switch:0' },
            fields: {
              id: 0, source: 'init', output: false, apower: 0, voltage: 230.5, current: 0, aenergy_total: 0, aenergy_minute_ts: 1714564800,
              temperature_tC: 45.2, temperature_tF: 113.4,
            },
            timestamp: NOW,
          },
        ],
        rejections: [{ code: 'BAD_FIELD_TYPE', scope: 'field', field: 'aenergy_by_minute' }],
      },
      {
        name: 'Zigbee2MQTT Aqara weather sensor: device object flattened, last_seen with an offset',
        file: 'zigbee2mqtt-aqara-weather.json',
        config: { topic: 'zigbee2mqtt/living_room_sensor', topicTemplate: 'zigbee2mqtt/{device}', timestampKey: 'last_seen', now: T('2024-05-01T10:00:01Z') },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'living_room_sensor' },
            fields: {
              battery: 97, humidity: 45.3, linkquality: 120, pressure: 1012.3, temperature: 21.45, voltage: 2985,
              device_friendlyName: 'living_room_sensor', device_model: 'WSDCGQ11LM', device_ieeeAddr: '0x00158d0001234567',
            },
            timestamp: T('2024-05-01T10:00:00Z'),
          },
        ],
        rejections: [],
      },
      {
        name: 'Zigbee2MQTT light: color object flattened, update_available null refused alone',
        file: 'zigbee2mqtt-light.json',
        config: { topic: 'zigbee2mqtt/kitchen_light', topicTemplate: 'zigbee2mqtt/{device}' },
        readings: [
          {
            measurement: 'telemetry',
            tags: { device: 'kitchen_light' },
            fields: {
              brightness: 254, color_x: 0.3131, color_y: 0.3232, color_mode: 'xy', color_temp: 250, linkquality: 87, state: 'ON',
              update_installed_version: 16777241, update_latest_version: 16777241, update_state: 'idle',
            },
            timestamp: NOW,
          },
        ],
        rejections: [{ code: 'BAD_FIELD_TYPE', scope: 'field', field: 'update_available' }],
      },
      {
        name: 'Zigbee2MQTT button action',
        file: 'zigbee2mqtt-button.json',
        config: { topic: 'zigbee2mqtt/hall_button', topicTemplate: 'zigbee2mqtt/{device}', measurement: 'events' },
        readings: [
          { measurement: 'events', tags: { device: 'hall_button' }, fields: { action: 'single', battery: 100, linkquality: 65, voltage: 3025 }, timestamp: NOW },
        ],
        rejections: [],
      },
    ];
    for (const c of cases) {
      it(c.name, function () {
        const result = run(fixture(c.file), c.config);
        assert.deepStrictEqual(result.readings, c.readings);
        assert.deepStrictEqual(
          result.rejections.map(({ code, scope, field }) => ({ code, scope, ...(field ? { field } : {}) })),
          c.rejections,
        );
        assert.strictEqual(result.format, 'json');
      });
    }
  });

  describe('objects and arrays', function () {
    it('an object is one reading, not an array', function () {
      const result = run('{"temperature":21.5}');
      assert.strictEqual(result.multiple, false);
      assert.deepStrictEqual(result.readings, [{ measurement: 'telemetry', tags: {}, fields: { temperature: 21.5 }, timestamp: NOW }]);
    });

    it('an array gives one reading per element and is marked multiple', function () {
      const result = run('[{"deviceId":"a","t":1},{"deviceId":"b","t":2}]');
      assert.strictEqual(result.multiple, true);
      assert.deepStrictEqual(result.readings.map((r) => [r.tags.device, r.fields.t]), [['a', 1], ['b', 2]]);
    });

    it('array elements that are not objects are refused one by one, with their index', function () {
      const result = run('[{"t":1},42,"x",null,[1],{"t":2}]');
      assert.strictEqual(result.readings.length, 2);
      assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.index]), [['NOT_AN_OBJECT', 1], ['NOT_AN_OBJECT', 2], ['NOT_AN_OBJECT', 3], ['NOT_AN_OBJECT', 4]]);
    });

    it('an empty array is an empty payload', function () {
      assert.deepStrictEqual(codes(run('[]')), ['EMPTY_PAYLOAD']);
    });

    it('an empty object has no fields', function () {
      assert.deepStrictEqual(codes(run('{}')), ['NO_FIELDS']);
    });

    it('a bare number is not JSON enough for format json', function () {
      const result = run('21.5', { format: 'json' });
      assert.deepStrictEqual(codes(result), ['NOT_AN_OBJECT']);
      assert.match(result.rejections[0].message, /use format "value" or "auto"/);
    });

    it('invalid JSON is a parse error with the parser\'s reason', function () {
      const result = run('{"t":', { format: 'json' });
      assert.deepStrictEqual(codes(result), ['PARSE_ERROR']);
      assert.match(result.rejections[0].message, /not valid JSON/);
    });

    it('an object shaped like a reading is taken as one', function () {
      const result = run({ measurement: 'climate', tags: { device: 'd1' }, fields: { t: 1, deep: { x: 2 } }, timestamp: 1714564790 });
      assert.deepStrictEqual(result.readings, [{ measurement: 'climate', tags: { device: 'd1' }, fields: { t: 1, deep_x: 2 }, timestamp: 1714564790000 }]);
    });

    it('a reading-shaped object with an unknown key is ordinary JSON', function () {
      const result = run({ fields: { t: 1 }, extra: 2 });
      assert.deepStrictEqual(result.readings[0].fields, { fields_t: 1, extra: 2 });
    });
  });

  describe('fields', function () {
    const cases = [
      ['strings stay strings, never coerced', { v: '1.2', on: 'true' }, { v: '1.2', on: 'true' }, []],
      ['booleans and numbers', { a: true, b: -0.5, c: 1e21 }, { a: true, b: -0.5, c: 1e21 }, []],
      ['nested objects flatten with _', { a: { b: { c: 1 } }, a_d: 2 }, { a_b_c: 1, a_d: 2 }, []],
      ['null refused alone', { t: 1, x: null }, { t: 1 }, [['BAD_FIELD_TYPE', 'x']]],
      ['arrays refused alone', { t: 1, x: [1, 2] }, { t: 1 }, [['BAD_FIELD_TYPE', 'x']]],
      ['a flattened name that clashes is refused', { a_b: 1, a: { b: 2 } }, { a_b: 1 }, [['DUPLICATE_KEY', 'a_b']]],
      ['"time" is reserved by InfluxDB', { ts: 1714564800, time: 'x', t: 1 }, { t: 1 }, [['RESERVED_KEY', 'time']]],
      ['an empty key', { '': 1, t: 1 }, { t: 1 }, [['EMPTY_KEY', '']]],
      ['a key with a line break', { 'a\nb': 1, t: 1 }, { t: 1 }, [['UNENCODABLE', 'a\nb']]],
      ['a string over 64 KiB', { big: 'x'.repeat(65 * 1024), t: 1 }, { t: 1 }, [['STRING_TOO_LONG', 'big']]],
      ['a string of exactly 64 KiB is fine', { big: 'x'.repeat(64 * 1024) }, { big: 'x'.repeat(64 * 1024) }, []],
    ];
    for (const [what, payload, fields, refused] of cases) {
      it(what, function () {
        const result = run(JSON.stringify(payload));
        assert.deepStrictEqual(result.readings.map((r) => r.fields), [fields]);
        assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.field]), refused);
        for (const r of result.rejections) assert.strictEqual(r.scope, 'field');
      });
    }

    it('NaN and Infinity in a wired object are refused alone', function () {
      const result = run({ t: 1, a: NaN, b: -Infinity });
      assert.deepStrictEqual(result.readings[0].fields, { t: 1 });
      assert.deepStrictEqual(codes(result), ['NON_FINITE', 'NON_FINITE']);
    });

    it('objects that are not plain (Buffer, Map, class instances) are refused alone', function () {
      const result = run({ t: 1, b: Buffer.from('x'), m: new Map(), c: new (class Foo {})() });
      assert.deepStrictEqual(result.readings[0].fields, { t: 1 });
      assert.deepStrictEqual(result.rejections.map((r) => r.field), ['b', 'm', 'c']);
    });

    it('nesting deeper than 16 levels is refused, the rest kept', function () {
      let deep = { v: 1 };
      for (let i = 0; i < 20; i++) deep = { n: deep };
      const result = run({ t: 1, deep });
      assert.deepStrictEqual(result.readings[0].fields, { t: 1 });
      assert.deepStrictEqual(codes(result), ['TOO_DEEP']);
    });

    it('a cyclic wired object ends at the depth limit instead of looping', function () {
      const cyclic = { t: 1 };
      cyclic.self = cyclic;
      const result = run(cyclic);
      assert.deepStrictEqual(codes(result), ['TOO_DEEP']);
      assert.strictEqual(result.readings.length, 1);
    });

    it('fields beyond 1,000 per reading are refused', function () {
      const wide = {};
      for (let i = 0; i < 1005; i++) wide[`f${i}`] = i;
      const result = run(JSON.stringify(wide));
      assert.strictEqual(Object.keys(result.readings[0].fields).length, 1000);
      assert.deepStrictEqual(codes(result), Array(5).fill('TOO_MANY_FIELDS'));
    });

    it('a reading whose every field is refused is refused as a whole too', function () {
      const result = run('{"a":null,"b":[]}');
      assert.deepStrictEqual(result.readings, []);
      assert.deepStrictEqual(codes(result), ['BAD_FIELD_TYPE', 'BAD_FIELD_TYPE', 'NO_FIELDS']);
      assert.match(result.rejections[2].message, /every field of the reading was refused/);
    });
  });

  describe('tags', function () {
    it('deviceId becomes tag device; numbers and booleans become text', function () {
      const result = run('{"deviceId":17,"site":true,"t":1}');
      assert.deepStrictEqual(result.readings[0].tags, { device: '17', site: 'true' });
      assert.deepStrictEqual(result.readings[0].fields, { t: 1 });
    });

    it('an explicit device wins over deviceId', function () {
      assert.deepStrictEqual(run('{"deviceId":"a","device":"b","t":1}').readings[0].tags, { device: 'b' });
    });

    it('tag keys are matched against flattened names', function () {
      const result = run('{"meta":{"room":"kitchen"},"t":1}', { tagKeys: 'meta_room' });
      assert.deepStrictEqual(result.readings[0].tags, { meta_room: 'kitchen' });
    });

    it('an empty tagKeys makes every key a field', function () {
      assert.deepStrictEqual(run('{"device":"d","t":1}', { tagKeys: '' }).readings[0].fields, { device: 'd', t: 1 });
    });

    it('a tag value that is null or an array is refused alone', function () {
      const result = run('{"site":null,"device":[1],"t":1}');
      assert.deepStrictEqual(result.readings[0].tags, {});
      assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.field]), [['BAD_TAG', 'site'], ['BAD_TAG', 'device']]);
    });

    it('a tag from the topic wins over the payload\'s (the broker authorises topics, not payloads)', function () {
      const result = run('{"device":"spoofed","t":1}', { topic: 's/real', topicTemplate: 's/{device}' });
      assert.deepStrictEqual(result.readings[0].tags, { device: 'real' });
      assert.deepStrictEqual(result.rejections, []);
    });

    it('a payload field named like a topic tag is refused alone', function () {
      const result = run('{"room":"x","t":1}', { topic: 's/kitchen', topicTemplate: 's/{room}' });
      assert.deepStrictEqual(result.readings[0], { measurement: 'telemetry', tags: { room: 'kitchen' }, fields: { t: 1 }, timestamp: NOW });
      assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.field]), [['DUPLICATE_KEY', 'room']]);
    });

    it('{measurement} in the topic sets the measurement', function () {
      assert.strictEqual(run('{"t":1}', { topic: 'climate/d1', topicTemplate: '{measurement}/{device}' }).readings[0].measurement, 'climate');
    });
  });

  describe('timestamps', function () {
    const cases = [
      ['ts in seconds', { ts: 1714564790, v: 1 }, {}, NOW - 10_000],
      ['timestamp in ms', { timestamp: NOW - 1, v: 1 }, {}, NOW - 1],
      ['time as ISO text', { time: '2024-05-01T11:59:00Z', v: 1 }, {}, NOW - 60_000],
      ['ts wins over timestamp and time', { time: '2020-01-01T00:00:00Z', timestamp: 1, ts: NOW - 5, v: 1 }, {}, undefined],
      ['a configured key', { at: '1714564799000000000', v: 1 }, { timestampKey: 'at' }, NOW - 1000],
      ['a configured key replaces the defaults (ts is then a field)', { at: NOW - 2, ts: 5, v: 1 }, { timestampKey: 'at' }, NOW - 2],
      ['no timestamp: arrival time', { v: 1 }, {}, NOW],
    ];
    for (const [what, payload, config, expected] of cases) {
      it(what, function () {
        const result = run(JSON.stringify(payload), config);
        if (expected === undefined) {
          // the two losers stay, and "time" is refused as a field name
          assert.strictEqual(result.readings[0].timestamp, NOW - 5);
          assert.deepStrictEqual(result.readings[0].fields, { timestamp: 1, v: 1 });
        } else {
          assert.strictEqual(result.readings[0].timestamp, expected);
        }
      });
    }

    it('an unreadable timestamp refuses the reading (never silently arrival time)', function () {
      const result = run('[{"ts":"yesterday","v":1},{"v":2}]');
      assert.deepStrictEqual(result.readings.map((r) => r.fields.v), [2]);
      assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.scope, r.index]), [['BAD_TIMESTAMP', 'item', 0]]);
      assert.match(result.rejections[0].message, /"ts": timestamp "yesterday" is neither/);
    });

    it('a timestamp too far in the future is refused with the bound', function () {
      const result = run(JSON.stringify({ ts: (NOW + 2 * 86_400_000) / 1000, v: 1 }));
      assert.deepStrictEqual(codes(result), ['TIMESTAMP_OUT_OF_RANGE']);
      assert.match(result.rejections[0].message, /2 days in the future \(maxFuture allows 24 h\)/);
    });

    it('a timestamp too far in the past is refused (an RTC that was never set)', function () {
      assert.deepStrictEqual(codes(run('{"ts":"2000-01-01T00:00:00Z","v":1}')), ['TIMESTAMP_OUT_OF_RANGE']);
    });

    it('bounds are configurable, and empty means none', function () {
      assert.deepStrictEqual(codes(run('{"ts":"2000-01-01T00:00:00Z","v":1}', { maxPast: '9000d' })), []);
      assert.deepStrictEqual(codes(run('{"ts":"1990-01-01T00:00:00Z","v":1}', { maxPast: '' })), []);
      assert.deepStrictEqual(codes(run(JSON.stringify({ ts: NOW + 120_000, v: 1 }), { maxFuture: '1m' })), ['TIMESTAMP_OUT_OF_RANGE']);
    });

    it('a Date object in a wired payload is a timestamp', function () {
      assert.strictEqual(run({ ts: new Date(NOW - 7), v: 1 }).readings[0].timestamp, NOW - 7);
    });
  });

  describe('prototype pollution', function () {
    afterEach(function () {
      assert.strictEqual({}.polluted, undefined, 'Object.prototype was polluted');
      assert.strictEqual(Object.prototype.polluted, undefined);
    });

    const hostile = [
      '{"__proto__":{"polluted":"yes"},"t":1}',
      '{"constructor":{"prototype":{"polluted":"yes"}},"t":1}',
      '{"a":{"__proto__":{"polluted":"yes"}},"t":1}',
      '[{"__proto__":{"polluted":"yes"},"t":1}]',
      '{"measurement":"m","tags":{"__proto__":"x"},"fields":{"__proto__":{"polluted":"yes"},"t":1}}',
      '{"prototype":1,"t":1}',
    ];
    for (const text of hostile) {
      it(`${text}: the key is refused, the rest accepted, nothing polluted`, function () {
        const result = run(text, { tagKeys: 'deviceId,device,site,__proto__x' });
        assert.deepStrictEqual(result.readings.map((r) => r.fields), [{ t: 1 }]);
        assert.ok(result.rejections.length >= 1);
        for (const r of result.rejections) assert.strictEqual(r.code, 'UNSAFE_KEY');
        for (const reading of result.readings) {
          for (const obj of [reading, reading.tags, reading.fields]) {
            assert.strictEqual(Object.getPrototypeOf(obj), Object.prototype);
            assert.ok(!Object.prototype.hasOwnProperty.call(obj, '__proto__'));
          }
        }
      });
    }

    it('"__proto__" as a tag key or timestamp key is a config error', function () {
      const { parseIngestConfig } = require('../../dist/core/ingest/config');
      assert.deepStrictEqual(parseIngestConfig({ tagKeys: '__proto__' }).problems.map((p) => p.key), ['badTagKey']);
      assert.deepStrictEqual(parseIngestConfig({ timestampKey: 'constructor' }).problems.map((p) => p.key), ['badTimestampKey']);
    });
  });
});
