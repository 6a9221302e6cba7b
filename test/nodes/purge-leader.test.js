'use strict';
// Scheduled purges on one member at a time (src/nodes/purge/leader.ts): the member owning
// partition 0 of the runtime's partition group runs them; the others skip and say so. The
// partition node is stood in for by a PartitionOwner attached to the runtime's real registry
// (parta's interface); InfluxDB is a closed port, so a run that happens ends in a SERVER error
// (scheduled runs report errors to Catch) — what matters is whether it happens.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const { catalogTranslator } = require('../support/i18n');
const purgeModule = catalogTranslator('telemetry-purge').withCatalog(require('../../nodes/telemetry-purge.js'));
const influxNode = require('../../nodes/telemetry-influxdb.js');
const { installFakeClock } = require('../support/fake-clock');
const { freePort } = require('../support/free-port');
const { partitionRuntime } = require('../../dist/nodes/shared/partition-registry');
const { scheduleTurn } = require('../../dist/nodes/purge/leader');
const { collect } = require('../support/collect');

const H = 3_600_000;

function flow(url) {
  return [
    { id: 'f1', type: 'tab', label: 'purge' },
    { id: 's1', type: 'telemetry-influxdb', url, database: 'test', retentionPolicy: '', timeout: 2000 },
    { id: 'p1', type: 'telemetry-purge', z: 'f1', server: 's1', measurements: 'cpu', olderThan: '30d', schedule: '1h', dryRun: true, wires: [[]] },
    { id: 'catcher', type: 'catch', z: 'f1', scope: ['p1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

const owner = { layout: { partitions: 4, partitionOf: () => 0 }, holderAdded: async () => undefined, holderRemoving: async () => undefined, checkpointSoon: () => undefined };

describe('telemetry-purge: scheduled runs on one member at a time (partition 0 leads)', function () {
  this.timeout(10_000);
  let detach;
  afterEach(async function () {
    detach?.();
    detach = undefined;
    await helper.unload();
  });

  it('no partition node in the runtime: every scheduled run goes ahead', async function () {
    const clock = installFakeClock(helper, { start: Date.now() });
    await helper.load([influxNode, purgeModule], flow(`http://127.0.0.1:${await freePort()}`));
    const caught = collect('caught', 5_000);
    await clock.advance(H);
    const [msg] = await caught.next();
    assert.equal(msg.purge.trigger, 'schedule');
  });

  it('another member owns partition 0: the run is skipped with a status; owning it, the next run goes ahead', async function () {
    const clock = installFakeClock(helper, { start: Date.now() });
    await helper.load([influxNode, purgeModule], flow(`http://127.0.0.1:${await freePort()}`));
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(owner);
    await registry.adoptPartition(1, {});
    const caught = collect('caught', 5_000);
    const p1 = helper.getNode('p1');
    const statuses = [];
    const original = p1.status.bind(p1);
    p1.status = (s) => {
      statuses.push(s);
      original(s);
    };
    await clock.advance(H);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(caught.seen.length, 0, 'no run');
    assert.match(statuses.at(-1).text, /left to the member owning partition 0 of "pipeline"/);
    assert.deepEqual(scheduleTurn(partitionRuntime({ events: helper._events })), { lead: false, group: 'pipeline' });
    await registry.adoptPartition(0, {});
    await clock.advance(H);
    const [msg] = await caught.next();
    assert.equal(msg.purge.trigger, 'schedule');
  });
});
