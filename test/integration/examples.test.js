'use strict';
// Every importable example flow (Import ▸ Examples) is valid flow JSON, uses only node types
// the runtime knows, and deploys into a real Node-RED without a single error in its log.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startInflux, startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { sleep } = require('../support/wait');

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();

describe('example flows', function () {
  this.timeout(60000);
  let red;
  let mosquitto;
  let influx;

  before(async function () {
    mosquitto = await startMosquitto(this);
    influx = await startInflux(this);
    red = await startNodeRed({ flows: [], mochaCtx: this });
  });

  it('there is one example per node and a full pipeline', function () {
    const types = new Set(files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')).map((n) => n.type)));
    const pkg = require('../../package.json');
    for (const type of Object.keys(pkg['node-red'].nodes)) assert.ok(types.has(type), `no example uses ${type}`);
    assert.ok(files.includes('full-pipeline.json'));
  });

  for (const file of files) {
    describe(file, function () {
      const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));

      it('is well-formed flow JSON (unique ids, wires and tabs that exist, no credentials)', function () {
        assert.ok(Array.isArray(flow) && flow.length > 0);
        const ids = new Set(flow.map((n) => n.id));
        assert.strictEqual(ids.size, flow.length, 'duplicate node ids');
        for (const node of flow) {
          assert.ok(typeof node.type === 'string' && node.type, `node ${node.id} has no type`);
          if (node.z) assert.ok(ids.has(node.z), `${node.id} is on a missing tab ${node.z}`);
          for (const port of node.wires || []) for (const target of port) assert.ok(ids.has(target), `${node.id} wires to missing ${target}`);
          assert.strictEqual(node.credentials, undefined, `${node.id} carries credentials`);
        }
        assert.ok(flow.some((n) => n.type === 'comment'), 'an example teaches with comment nodes');
      });

      it('deploys into a real Node-RED with no error or unknown type', async function () {
        const local = flow.map((node) => {
          if (node.type === 'telemetry-mqtt-broker') return { ...node, url: mosquitto.url };
          if (node.type === 'telemetry-influxdb') return { ...node, url: influx.url };
          return node;
        });
        const from = red.logLines().length;
        await red.deploy(local);
        await sleep(1500); // let connections open and first timers fire
        const lines = red.logLines().slice(from);
        const bad = lines.filter((l) => /\[error\]|Waiting for missing types|Unknown type/i.test(l));
        assert.deepStrictEqual(bad, []);
        const deployed = await red.api('GET', '/flows');
        const types = new Set((deployed.flows || deployed).map((n) => n.type));
        for (const node of local) assert.ok(types.has(node.type), `${node.type} missing after deploy`);
      });
    });
  }
});
