'use strict';
// ack-after-archive, ingest side: the ackMode/ackTimeout config (table), and the msg ids that
// carry a message's readings — its own, or those of the micro-batches that hold them — which are
// what the AckTracker waits for.
const assert = require('node:assert/strict');
const { parseIngestConfig } = require('../../dist/core/ingest/config');
const { Ingestor } = require('../../dist/nodes/ingest/ingestor');
const { FakeClock } = require('../support/fake-clock');

describe('ingest ackMode', function () {
  describe('config', function () {
    const base = { broker: 'b1', topic: 't/#', qos: 1, format: 'json' };
    const cases = [
      ['absent', {}, undefined, []],
      ['none', { ackMode: 'none' }, undefined, []],
      ['empty', { ackMode: '' }, undefined, []],
      ['archive, default timeout', { ackMode: 'archive' }, { timeoutMs: 30000 }, []],
      ['archive, 5s', { ackMode: 'archive', ackTimeout: '5s' }, { timeoutMs: 5000 }, []],
      ['archive at QoS 2 (subscribes at 1)', { ackMode: 'archive', qos: 2 }, { timeoutMs: 30000 }, []],
      ['archive at QoS 0', { ackMode: 'archive', qos: 0 }, undefined, ['ackNeedsQos']],
      ['archive without a broker', { ackMode: 'archive', broker: '' }, undefined, ['ackNeedsBroker']],
      ['unknown mode', { ackMode: 'always' }, undefined, ['badAckMode']],
      ['timeout too short', { ackMode: 'archive', ackTimeout: '500ms' }, undefined, ['badDuration']],
      ['timeout too long', { ackMode: 'archive', ackTimeout: '2h' }, undefined, ['badDuration']],
      ['timeout not a duration', { ackMode: 'archive', ackTimeout: 'soon' }, undefined, ['badDuration']],
    ];
    for (const [name, raw, ack, problems] of cases) {
      it(name, function () {
        const parsed = parseIngestConfig({ ...base, ...raw });
        assert.deepEqual((parsed.problems || []).map((p) => p.key), problems);
        if (problems.length === 0) assert.deepEqual(parsed.settings.ack, ack);
      });
    }
  });

  describe('msg ids that carry a message', function () {
    function controller(raw) {
      const config = parseIngestConfig({ format: 'json', ...raw }).settings;
      let n = 0;
      const sent = [];
      const c = new Ingestor(config, { send: (o) => sent.push(o), counted: () => undefined, newId: () => `id-${++n}` }, new FakeClock(1_700_000_000_000));
      return { c, sent };
    }
    const payload = (k) => JSON.stringify(Array.from({ length: k }, (_, i) => ({ deviceId: `d${i}`, v: i, ts: 1_700_000_000_000 + i })));

    it('unbatched: the message\'s own _msgid', function () {
      const { c } = controller({});
      assert.deepEqual(c.handle({ _msgid: 'm1', payload: payload(2) }, () => undefined), ['m1']);
    });

    it('nothing accepted: no carrier (acknowledged at once)', function () {
      const { c } = controller({});
      assert.deepEqual(c.handle({ _msgid: 'm2', payload: '{"deviceId":"d","v":{"deep":[1]}}' }, () => undefined), []);
    });

    it('batched: the ids of every batch that holds its readings, and those batches go out with them', function () {
      const { c, sent } = controller({ batchSize: 5, batchInterval: '1h' });
      const out = [];
      const a = c.handle({ payload: payload(3) }, (o) => out.push(o)); // pending batch id-1
      const b = c.handle({ payload: payload(9) }, (o) => out.push(o)); // fills id-1, fills id-2, 2 left in id-3
      assert.deepEqual(a, ['id-1']);
      assert.deepEqual(b, ['id-1', 'id-2', 'id-3']);
      const batches = out.flatMap((o) => [].concat(o[0] || []));
      assert.deepEqual(batches.map((m) => m._msgid), ['id-1', 'id-2']);
      c.flush();
      assert.equal(sent[0][0]._msgid, 'id-3');
      assert.equal(sent[0][0].payload.length, 2);
    });
  });
});
