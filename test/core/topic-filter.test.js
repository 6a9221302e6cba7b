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

  it('agrees with a plain split-based reference on generated filters and topics', function () {
    const fc = require('fast-check');
    const reference = (filter, topic) => {
      const plain = stripSharePrefix(filter);
      if (topic.startsWith('$') && (plain.startsWith('+') || plain.startsWith('#'))) return false;
      const f = plain.split('/');
      const t = topic.split('/');
      for (let i = 0; i < f.length; i++) {
        if (f[i] === '#') return true;
        if (i >= t.length) return false;
        if (f[i] !== '+' && f[i] !== t[i]) return false;
      }
      return f.length === t.length;
    };
    const level = fc.constantFrom('', 'a', 'b', 'ab', '$x');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
    const filter = fc
      .tuple(fc.array(fc.constantFrom('', 'a', 'b', 'ab', '+', '$x'), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean())
      .map(([l, hash, share]) => (share ? '$share/g/' : '') + (hash ? [...l, '#'] : l).join('/'));
    fc.assert(fc.property(filter, topic, (f, t) => topicMatches(f, t) === reference(f, t)), { numRuns: 20000, seed: 7 });
  });

  it('strips only the share prefix', function () {
    assert.strictEqual(stripSharePrefix('$share/g/a/b'), 'a/b');
    assert.strictEqual(stripSharePrefix('a/b'), 'a/b');
  });
});
