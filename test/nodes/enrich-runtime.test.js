'use strict';
// telemetry-enrich in a real Node-RED process (this package installed in its user directory):
// a CSV table given relative to the user directory, edited and broken while the flow runs,
// with the runtime's own message catalog in the log. Driven over HTTP (http in → enrich →
// http response), so nothing of the test helper stands between the node and the runtime.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startNodeRed } = require('../support/node-red-process');

const TAB = 'f0e1000000000001';

function flows() {
  const node = (id, props) => ({ id, z: TAB, ...props });
  return [
    { id: TAB, type: 'tab', label: 'enrich runtime test' },
    node('f0e1000000000002', { type: 'http in', url: '/enrich', method: 'post', wires: [['f0e1000000000003']] }),
    node('f0e1000000000003', {
      type: 'telemetry-enrich',
      onMissing: 'output2',
      reloadInterval: '100ms',
      rules: [
        { type: 'lookup', key: 'device', file: 'tables/sites.csv', as: 'tags' },
        { type: 'convert', field: 'temperature', unit: 'F->C' },
      ],
      wires: [['f0e1000000000004'], ['f0e1000000000005']],
    }),
    node('f0e1000000000004', { type: 'http response', statusCode: '', wires: [] }), // msg.statusCode, else 200
    node('f0e1000000000005', {
      type: 'change',
      rules: [
        { t: 'set', p: 'statusCode', pt: 'msg', to: '422', tot: 'num' },
        { t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' },
      ],
      wires: [['f0e1000000000004']],
    }),
  ];
}

describe('telemetry-enrich in a real Node-RED', function () {
  this.timeout(60000);
  let nr;
  let userDir;
  let table;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrich-runtime-'));
    fs.mkdirSync(path.join(userDir, 'tables'));
    table = path.join(userDir, 'tables', 'sites.csv');
    fs.writeFileSync(table, 'device,site\ndev-1,plant-a\ndev-2,plant-b\n');
    nr = await startNodeRed({ flows: flows(), userDir, mochaCtx: this });
  });

  after(async function () {
    if (nr) await nr.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function post(device, temperature = 212) {
    const reading = { measurement: 'telemetry', tags: { device }, fields: { temperature }, timestamp: Date.now() };
    const res = await fetch(`${nr.url}/enrich`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reading) });
    return { status: res.status, body: await res.json() };
  }

  it('loads the table relative to the user directory and logs it with the runtime message catalog', async function () {
    await nr.waitForLog(/loaded sites\.csv: 2 rows/);
    const { status, body } = await post('dev-1');
    assert.strictEqual(status, 200);
    assert.deepStrictEqual([body.tags.site, body.fields.temperature], ['plant-a', 100]);
  });

  it('sends an unknown device to output 2 with msg.error', async function () {
    const { status, body } = await post('dev-9');
    assert.strictEqual(status, 422);
    assert.strictEqual(body.code, 'LOOKUP_MISS');
  });

  it('uses the edited file without a redeploy', async function () {
    const from = nr.logLines().length;
    fs.writeFileSync(table, 'device,site\ndev-1,plant-moved\ndev-2,plant-b\ndev-9,plant-new\n');
    await nr.waitForLog(/loaded sites\.csv: 3 rows/, { from });
    assert.strictEqual((await post('dev-1')).body.tags.site, 'plant-moved');
    assert.strictEqual((await post('dev-9')).body.tags.site, 'plant-new');
  });

  it('keeps serving the last good table when the file breaks, with one warning', async function () {
    const from = nr.logLines().length;
    fs.writeFileSync(table, 'device,site\ndev-1,"unclosed\n');
    await nr.waitForLog(/invalid CSV.*still using the last good table \(3 rows\)/, { from });
    await new Promise((resolve) => setTimeout(resolve, 500)); // five more polls of the broken file
    assert.strictEqual(nr.logLines().slice(from).filter((l) => /still using the last good table/.test(l)).length, 1);
    assert.strictEqual((await post('dev-1')).body.tags.site, 'plant-moved');
  });
});
