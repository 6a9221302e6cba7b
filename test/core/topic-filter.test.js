'use strict';
const assert = require('assert');
const { topicMatches, checkTopicFilter, stripSharePrefix } = require('../../dist/core/mqtt/topic-filter');

describe('core/mqtt/topic-filter', function () {
  const cases = [
    ['sensors/+/+/telemetry', 'sensors/plant-a/dev-1/telemetry', true],
    ['sensors/+/+/telemetry', 'sensors/plant-a/dev-1/status', false],
    ['sensors/#', 'sensors', true],
    ['sensors/#', 'sensors/a/b/c', true],
    ['sensors/+', 'sensors/a/b', false],
    ['sensors/+', 'sensors/', true],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/broker/load', false],
    ['+/broker/load', '$SYS/broker/load', false],
    ['$SYS/#', '$SYS/broker/load', true],
    ['$share/g1/sensors/+/x', 'sensors/a/x', true],
    ['$share/g1/sensors/+/x', 'g1/sensors/a/x', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${filter} ${expected ? 'matches' : 'does not match'} ${topic}`, function () {
      assert.strictEqual(topicMatches(filter, topic), expected);
    });
  }

  const invalid = [
    ['', /empty/],
    ['a/#/b', /#/],
    ['a/b#', /#/],
    ['a/b+/c', /\+/],
    ['$share/g', /\$share/],
    ['$share//x', /\$share/],
    ['$share/g+/x', /group/],
  ];
  for (const [filter, reason] of invalid) {
    it(`refuses ${JSON.stringify(filter)}`, function () {
      assert.match(checkTopicFilter(filter), reason);
    });
  }
  for (const filter of ['a/+/b', '#', 'a/#', '$share/group/a/+', '+']) {
    it(`accepts ${filter}`, function () {
      assert.strictEqual(checkTopicFilter(filter), undefined);
    });
  }

  it('strips only the share prefix', function () {
    assert.strictEqual(stripSharePrefix('$share/g/a/b'), 'a/b');
    assert.strictEqual(stripSharePrefix('a/b'), 'a/b');
  });
});
