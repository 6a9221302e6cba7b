'use strict';
const assert = require('assert');
const { TopicTemplate } = require('../../dist/core/ingest/topic-template');

function compile(text) {
  const t = TopicTemplate.compile(text);
  if (typeof t === 'string') throw new Error(`unexpected compile error: ${t}`);
  return t;
}

describe('ingest topic templates', function () {
  describe('matching', function () {
    const cases = [
      ['sensors/{site}/{device}/telemetry', 'sensors/plant-a/dev-7/telemetry', { tags: { site: 'plant-a', device: 'dev-7' } }],
      ['sensors/+/{device}', 'sensors/anything/dev-7', { tags: { device: 'dev-7' } }],
      ['{measurement}/{device}', 'climate/dev-7', { tags: { device: 'dev-7' }, measurement: 'climate' }],
      ['shellies/{device}/sensor/{field}', 'shellies/ht-1/sensor/temperature', { tags: { device: 'ht-1' }, field: 'temperature' }],
      ['tele/{device}/#', 'tele/tasmota_1/SENSOR', { tags: { device: 'tasmota_1' } }],
      ['tele/{device}/#', 'tele/tasmota_1', { tags: { device: 'tasmota_1' } }],
      ['tele/{device}/#', 'tele/tasmota_1/a/b/c', { tags: { device: 'tasmota_1' } }],
      ['$share/g/sensors/{device}', 'sensors/dev-7', { tags: { device: 'dev-7' } }],
      ['{ device }/x', 'dev-7/x', { tags: { device: 'dev-7' } }],
      ['sensors/{device}', 'sensors/', { tags: { device: '' } }],
      ['{measurement}/{device}', '/dev-7', { tags: { device: 'dev-7' } }],
      ['zigbee2mqtt/{device}', 'zigbee2mqtt/living room', { tags: { device: 'living room' } }],
    ];
    for (const [template, topic, parts] of cases) {
      it(`${template} on ${topic}`, function () {
        assert.deepStrictEqual(compile(template).match(topic), { ok: true, parts });
      });
    }
  });

  describe('topics that do not match', function () {
    const cases = [
      ['sensors/{device}/telemetry', 'sensors/dev-7/status', /does not match the topic template "sensors\/\{device\}\/telemetry"/],
      ['sensors/{device}', 'sensors/dev-7/extra', /does not match/],
      ['sensors/{device}/x', 'sensors/dev-7', /does not match/],
      ['tele/{device}/#', 'tele', /does not match/],
      ['Sensors/{device}', 'sensors/dev-7', /does not match/],
      ['sensors/{device}', undefined, /has no topic/],
      ['sensors/{device}', '', /has no topic/],
    ];
    for (const [template, topic, reason] of cases) {
      it(`${template} refuses ${JSON.stringify(topic)}`, function () {
        const result = compile(template).match(topic);
        assert.strictEqual(result.ok, false);
        assert.match(result.reason, reason);
      });
    }
  });

  describe('invalid templates', function () {
    const cases = [
      ['', /empty/],
      ['   ', /empty/],
      ['a/#/b', /"#" must be the last level/],
      ['a/dev-{device}', /whole level/],
      ['a/b+', /whole level/],
      ['a/{}', /empty placeholder/],
      ['a/{device}/{device}', /appears twice/],
      ['a/{__proto__}', /cannot be a tag name/],
      ['a/{constructor}', /cannot be a tag name/],
      ['a/{time}', /reserves "time"/],
      ['a/{x\\}', /backslash/],
    ];
    for (const [template, reason] of cases) {
      it(`${JSON.stringify(template)}: ${reason}`, function () {
        const result = TopicTemplate.compile(template);
        assert.strictEqual(typeof result, 'string');
        assert.match(result, reason);
      });
    }
  });

  it('lists the tag names it sets', function () {
    assert.deepStrictEqual(compile('{measurement}/{site}/+/{device}/{field}').tagNames, ['site', 'device']);
  });

  it('a topic level named __proto__ is data, never a prototype', function () {
    const result = compile('{device}/x').match('__proto__/x');
    assert.strictEqual(result.parts.tags.device, '__proto__');
    assert.ok(Object.prototype.hasOwnProperty.call(result.parts.tags, 'device'));
    assert.strictEqual(Object.getPrototypeOf(result.parts.tags), Object.prototype);
  });
});
