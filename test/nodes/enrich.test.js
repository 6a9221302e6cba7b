'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('../support/helper');
const registerEnrich = require('../../nodes/telemetry-enrich.js');
const { catalogTranslator } = require('../support/i18n');
const injectNode = helper.coreNode('common/20-inject.js');
const debugNode = helper.coreNode('common/21-debug.js');
const commentNode = helper.coreNode('common/90-comment.js');
const catchNode = helper.coreNode('common/25-catch.js');
const { unitFamilies } = require('../../dist/core/enrich/units');
const { installFakeClock } = require('../support/fake-clock');

/** Runs the nodes loaded next on a fake clock (status throttle, status ticker, file polls). */
function useFakeClock(settings = {}) {
  return installFakeClock(helper, { settings });
}

const TAB = 'tab1';

// Texts as users see them; a key missing from the catalogue fails the test that needs it.
const { translate: lookUp, missingKeys } = catalogTranslator('telemetry-enrich');
function translate(key, params) {
  const text = lookUp(key, params);
  if (missingKeys.has(key)) throw new Error(`no message for ${key}`);
  return text;
}
function enrichNode(RED) {
  RED._ = translate;
  return registerEnrich(RED);
}

function flow(config, extra = []) {
  return [
    { id: TAB, type: 'tab', env: [{ name: 'PLANT', value: 'plant-env', type: 'str' }] },
    { id: 'enrich', z: TAB, type: 'telemetry-enrich', onMissing: 'pass', reloadInterval: '2s', rules: [], wires: [['out'], ['refused']], ...config },
    { id: 'out', z: TAB, type: 'helper' },
    { id: 'refused', z: TAB, type: 'helper' },
    ...extra,
  ];
}

function reading(device = 'dev-1', fields = { temperature: 21.5 }) {
  return { measurement: 'telemetry', tags: { device }, fields, timestamp: 1_700_000_000_000 };
}

/** Resolves with the next msg a helper node receives. */
function next(id) {
  return new Promise((resolve) => helper.getNode(id).once('input', resolve));
}

/** Resolves when `predicate(call.args)` holds for a call of node[method] (log, warn, error, status). */
function called(node, method, predicate = () => true) {
  return new Promise((resolve) => {
    const listener = (call) => {
      if (!predicate(call.args)) return;
      node.removeListener(`call:${method}`, listener);
      resolve(call.args);
    };
    node.on(`call:${method}`, listener);
  });
}

/** Fires the file poll due next and waits (real time: its stat) until it has armed the one after. */
async function polled(clock, everyMs) {
  const armed = clock.nextAt();
  await clock.advanceTo(armed);
  const end = Date.now() + 3_000;
  while (clock.nextAt() !== armed + everyMs) {
    if (Date.now() > end) throw new Error('the poll did not finish');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends msgs until `check(enrichedMsg)` holds (a file reload is picked up), at most ~5 s. */
async function sendUntil(node, makeMsg, check) {
  for (let i = 0; i < 100; i++) {
    const got = next('out');
    node.receive(makeMsg());
    const msg = await got;
    if (check(msg)) return msg;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the new table was never used');
}

const SITES = { 'dev-1': { site: 'plant-a', floor: 2 }, 'dev-2': { site: 'plant-b' } };
const LOOKUP = { type: 'lookup', key: 'device', table: SITES };

describe('telemetry-enrich node', function () {
  let dir;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enrich-test-'));
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('readings', function () {
    it('enriches one reading and sends one reading on output 1', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP] }));
      const out = next('out');
      helper.getNode('enrich').receive({ topic: 't/1', payload: reading() });
      const msg = await out;
      assert.deepStrictEqual(msg.payload.tags, { device: 'dev-1', site: 'plant-a', floor: '2' });
      assert.strictEqual(msg.topic, 't/1');
    });

    it('enriches a batch and sends it as an array', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP] }));
      const out = next('out');
      helper.getNode('enrich').receive({ payload: [reading('dev-2'), reading('dev-1')] });
      const msg = await out;
      assert.deepStrictEqual(msg.payload.map((r) => r.tags.site), ['plant-b', 'plant-a']);
    });

    it('sends a refused single reading to output 2 as it came in, with msg.error', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP], onMissing: 'output2' }));
      const refused = next('refused');
      const input = reading('dev-9');
      helper.getNode('enrich').receive({ topic: 'keep-me', payload: input });
      const msg = await refused;
      assert.deepStrictEqual(msg.payload, input);
      assert.strictEqual(msg.topic, 'keep-me');
      assert.strictEqual(msg.error.code, 'LOOKUP_MISS');
      assert.match(msg.error.message, /no row for device "dev-9"/);
    });

    it('splits a batch: good readings on output 1, refused ones on output 2 with a reason each', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP, { type: 'convert', field: 'temperature', unit: 'F->C' }], onMissing: 'output2' }));
      const out = next('out');
      const refused = next('refused');
      helper.getNode('enrich').receive({ payload: [reading('dev-9'), reading('dev-1', { temperature: 212 }), reading('dev-2', { temperature: 'hot' })] });
      const [ok, bad] = await Promise.all([out, refused]);
      assert.deepStrictEqual(ok.payload.map((r) => r.fields.temperature), [100]);
      assert.strictEqual(bad.payload.length, 2);
      assert.deepStrictEqual(bad.errors.map((e) => [e.index, e.code]), [[0, 'LOOKUP_MISS'], [2, 'NOT_NUMERIC']]);
      assert.strictEqual(bad.error.code, 'LOOKUP_MISS');
      assert.match(bad.error.message, /2 of 3 readings refused/);
    });

    it('refuses a payload that is not a reading on output 2', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP] }));
      const refused = next('refused');
      helper.getNode('enrich').receive({ payload: 'hello' });
      const msg = await refused;
      assert.strictEqual(msg.error.code, 'NOT_A_READING');
      assert.strictEqual(msg.payload, 'hello');
    });

    it('warns once per refusal code, so an unwired output 2 is never silent', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP], onMissing: 'output2' }));
      const node = helper.getNode('enrich');
      const warned = [];
      node.on('call:warn', (call) => warned.push(call.args[0]));
      for (let i = 0; i < 3; i++) {
        const refused = next('refused');
        node.receive({ payload: reading('dev-9') });
        await refused;
      }
      await new Promise((r) => setImmediate(r));
      assert.strictEqual(warned.filter((w) => /LOOKUP_MISS/.test(w)).length, 1);
    });

    it('drops readings with onMissing "drop" and counts them in the status, at most one status a second', async function () {
      const clock = useFakeClock();
      await helper.load(enrichNode, flow({ rules: [LOOKUP], onMissing: 'drop' }));
      const node = helper.getNode('enrich');
      const out = next('out');
      node.receive({ payload: [reading('dev-9'), reading('dev-1')] });
      assert.strictEqual((await out).payload.length, 1);
      const dropped = () => node.status.getCalls().filter((c) => /dropped/.test(c.args[0].text));
      await clock.advance(999);
      assert.strictEqual(dropped().length, 0);
      await clock.advance(1);
      assert.deepStrictEqual(dropped().map((c) => c.args[0].text), ['2 readings/s · 1 dropped']);
    });
  });

  describe('deadband', function () {
    const DEADBAND = { type: 'deadband', field: 'temperature', delta: 0.1, maxSilence: '10m' };
    const at = (value, minute, device = 'dev-1') => ({ ...reading(device, { temperature: value }), timestamp: 1_700_000_000_000 + minute * 60_000 });

    it('passes only what moved (or the keep-alive), sends nothing to output 2 and counts the rest as suppressed', async function () {
      const clock = useFakeClock();
      await helper.load(enrichNode, flow({ rules: [DEADBAND] }));
      const node = helper.getNode('enrich');
      const passed = [];
      const refused = [];
      helper.getNode('out').on('input', (msg) => passed.push(msg.payload.fields.temperature));
      helper.getNode('refused').on('input', (msg) => refused.push(msg));
      const sequence = [[20, 0], [20.05, 1], [20.2, 2], [20.2, 3], [20.2, 12], [20.25, 13]];
      for (const [value, minute] of sequence) {
        node.receive({ payload: at(value, minute) });
        await new Promise((r) => setImmediate(r));
      }
      await clock.advance(1_000);
      assert.deepStrictEqual(passed, [20, 20.2, 20.2]);
      assert.strictEqual(refused.length, 0);
      const texts = node.status.getCalls().map((c) => c.args[0].text);
      assert.strictEqual(texts[texts.length - 1], '6 readings/s · 3 suppressed');
    });

    it('says when a rule reaches its series limit: a warning once and the status, the rest passes uncompressed', async function () {
      this.timeout(20_000);
      const clock = useFakeClock();
      await helper.load(enrichNode, flow({ rules: [{ ...DEADBAND, delta: 1 }] }));
      const node = helper.getNode('enrich');
      const warned = [];
      node.on('call:warn', (call) => warned.push(call.args[0]));
      const batch = Array.from({ length: 100_001 }, (_, i) => at(20, 0, `dev-${i}`));
      let out = next('out');
      node.receive({ payload: batch });
      assert.strictEqual((await out).payload.length, 100_001);
      out = next('out');
      node.receive({ payload: [at(20, 1, 'dev-100000'), at(20, 1, 'dev-0')] });
      assert.deepStrictEqual((await out).payload.map((r) => r.tags.device), ['dev-100000']);
      await clock.advance(1_000);
      assert.deepStrictEqual(warned, ['rule 1 (deadband temperature) remembers 100,000 series, its limit: readings of further series pass through uncompressed']);
      const last = node.status.lastCall.args[0];
      assert.deepStrictEqual([last.fill, / · deadband full$/.test(last.text)], ['yellow', true]);
    });
  });

  describe('values and JSONata', function () {
    it('evaluates JSONata with the reading as $ and the msg as $msg', async function () {
      const rules = [
        LOOKUP,
        { type: 'set', target: 'tags', name: 'band', valueType: 'jsonata', value: 'fields.temperature > 30 ? "hot" : "normal"' },
        { type: 'set', target: 'fields', name: 'source', valueType: 'jsonata', value: '$msg.topic & "/" & tags.site' },
      ];
      await helper.load(enrichNode, flow({ rules }));
      const out = next('out');
      helper.getNode('enrich').receive({ topic: 'line-1', payload: [reading('dev-1', { temperature: 35 }), reading('dev-2', { temperature: 20 })] });
      const msg = await out;
      assert.deepStrictEqual(msg.payload.map((r) => r.tags.band), ['hot', 'normal']);
      assert.deepStrictEqual(msg.payload.map((r) => r.fields.source), ['line-1/plant-a', 'line-1/plant-b']);
    });

    it("gives JSONata Node-RED's functions ($env, $flowContext)", async function () {
      const rules = [
        { type: 'set', target: 'tags', name: 'plant', valueType: 'jsonata', value: '$env("PLANT")' },
        { type: 'set', target: 'tags', name: 'line', valueType: 'jsonata', value: '$flowContext("line")' },
      ];
      await helper.load(enrichNode, flow({ rules }));
      const node = helper.getNode('enrich');
      node.context().flow.set('line', 'L4');
      const out = next('out');
      node.receive({ payload: reading() });
      const msg = await out;
      assert.deepStrictEqual(msg.payload.tags, { device: 'dev-1', plant: 'plant-env', line: 'L4' });
    });

    it('keeps each msg its own $msg when evaluations overlap', async function () {
      const rules = [{ type: 'set', target: 'tags', name: 'topic', valueType: 'jsonata', value: '$msg.topic' }];
      await helper.load(enrichNode, flow({ rules }));
      const node = helper.getNode('enrich');
      const seen = [];
      const all = new Promise((resolve) => {
        helper.getNode('out').on('input', (msg) => {
          seen.push([msg.topic, msg.payload[0].tags.topic]);
          if (seen.length === 20) resolve();
        });
      });
      for (let i = 0; i < 20; i++) node.receive({ topic: `t${i}`, payload: [reading(), reading()] });
      await all;
      for (const [topic, tag] of seen) assert.strictEqual(tag, topic);
    });

    it('sends a reading whose JSONata result cannot be stored to output 2 (BAD_VALUE)', async function () {
      const rules = [{ type: 'set', target: 'fields', name: 'meta', valueType: 'jsonata', value: '{"a": 1}' }];
      await helper.load(enrichNode, flow({ rules }));
      const refused = next('refused');
      helper.getNode('enrich').receive({ payload: reading() });
      const msg = await refused;
      assert.strictEqual(msg.error.code, 'BAD_VALUE');
    });

    it('sends a reading whose JSONata fails to output 2 (EXPRESSION_FAILED)', async function () {
      const rules = [{ type: 'set', target: 'fields', name: 'x', valueType: 'jsonata', value: 'tags.device + 1' }];
      await helper.load(enrichNode, flow({ rules }));
      const refused = next('refused');
      helper.getNode('enrich').receive({ payload: reading() });
      const msg = await refused;
      assert.strictEqual(msg.error.code, 'EXPRESSION_FAILED');
      assert.match(msg.error.message, /JSONata/);
    });

    it('sets values from msg, flow, global and env', async function () {
      const rules = [
        { type: 'set', target: 'tags', name: 'a', valueType: 'msg', value: 'meta.site' },
        { type: 'set', target: 'tags', name: 'b', valueType: 'flow', value: 'line' },
        { type: 'set', target: 'fields', name: 'c', valueType: 'global', value: 'factor' },
        { type: 'set', target: 'tags', name: 'd', valueType: 'env', value: 'PLANT' },
        { type: 'set', target: 'fields', name: 'e', valueType: 'num', value: '2.5' },
      ];
      await helper.load(enrichNode, flow({ rules }));
      const node = helper.getNode('enrich');
      node.context().flow.set('line', 'L2');
      node.context().global.set('factor', 1.25);
      const out = next('out');
      node.receive({ meta: { site: 'from-msg' }, payload: reading() });
      const msg = await out;
      assert.deepStrictEqual(msg.payload.tags, { device: 'dev-1', a: 'from-msg', b: 'L2', d: 'plant-env' });
      assert.deepStrictEqual(msg.payload.fields, { temperature: 21.5, c: 1.25, e: 2.5 });
    });
  });

  describe('configuration errors', function () {
    it('shows a bad rule in red, logs it, and refuses msgs through done(err) so Catch nodes see them', async function () {
      const rules = [{ type: 'set', target: 'tags', name: 'x', valueType: 'jsonata', value: '$$$ (' }];
      const extra = [{ id: 'catcher', z: TAB, type: 'catch', scope: null, uncaught: false, wires: [['caught']] }, { id: 'caught', z: TAB, type: 'helper' }];
      await helper.load([enrichNode, catchNode], flow({ rules }, extra));
      const node = helper.getNode('enrich');
      const errorCall = node.error.getCalls().find((c) => /invalid configuration: rule 1: invalid JSONata expression/.test(c.args[0]));
      assert.ok(errorCall, 'node.error was called with the reason');
      assert.ok(node.status.getCalls().some((c) => c.args[0].fill === 'red'));
      const caught = next('caught');
      node.receive({ payload: reading() });
      const msg = await caught;
      assert.match(msg.error.message, /invalid configuration/);
    });

    const bad = [
      ['an unknown onMissing', { onMissing: 'ignore' }, /onMissing must be one of/],
      ['a bad reloadInterval', { reloadInterval: 'soon' }, /reloadInterval: invalid duration/],
      ['a lookup without table', { rules: [{ type: 'lookup', key: 'device' }] }, /rule 1: a lookup needs a table or a file/],
    ];
    for (const [what, config, reason] of bad) {
      it(`reports ${what} without crashing`, async function () {
        await helper.load(enrichNode, flow(config));
        const node = helper.getNode('enrich');
        assert.ok(node.error.getCalls().some((c) => reason.test(c.args[0])), `node.error(${reason})`);
      });
    }
  });

  describe('file tables', function () {
    it('reads a CSV file relative to the user directory', async function () {
      fs.writeFileSync(path.join(dir, 'sites.csv'), 'device,site\ndev-1,plant-csv\n');
      helper.settings({ userDir: dir });
      await helper.load(enrichNode, flow({ rules: [{ type: 'lookup', key: 'device', file: 'sites.csv' }] }));
      const out = next('out');
      helper.getNode('enrich').receive({ payload: reading() });
      assert.strictEqual((await out).payload.tags.site, 'plant-csv');
    });

    it('sees an edited CSV file at its next poll, without a redeploy (fake clock)', async function () {
      const clock = useFakeClock();
      const file = path.join(dir, 'sites.csv');
      fs.writeFileSync(file, 'device,site\ndev-1,plant-a\n');
      await helper.load(enrichNode, flow({ reloadInterval: '1m', rules: [{ type: 'lookup', key: 'device', file }] }));
      const node = helper.getNode('enrich');
      const first = next('out');
      node.receive({ payload: reading() });
      assert.strictEqual((await first).payload.tags.site, 'plant-a');
      assert.strictEqual(clock.nextAt(), clock.now() + 1_000); // the status ticker; the poll comes at 1 min

      fs.writeFileSync(file, 'device,site\ndev-1,plant-b-renamed\n');
      await clock.advance(59_999);
      const same = next('out');
      node.receive({ payload: reading() });
      assert.strictEqual((await same).payload.tags.site, 'plant-a');
      const reloaded = called(node, 'log', ([text]) => /loaded sites\.csv/.test(text));
      await clock.advance(1);
      await reloaded; // the file is read for real
      const after = next('out');
      node.receive({ payload: reading() });
      assert.strictEqual((await after).payload.tags.site, 'plant-b-renamed');
    });

    it('keeps the last good table when the file breaks, reporting it once in the log and the status', async function () {
      const clock = useFakeClock();
      const file = path.join(dir, 'sites.json');
      fs.writeFileSync(file, JSON.stringify(SITES));
      await helper.load(enrichNode, flow({ reloadInterval: '30ms', rules: [{ type: 'lookup', key: 'device', file }] }));
      const node = helper.getNode('enrich');
      await sendUntil(node, () => ({ payload: reading() }), (msg) => msg.payload.tags.site === 'plant-a');

      const warned = [];
      node.on('call:warn', (call) => warned.push(call.args[0]));
      const status = called(node, 'status', ([s]) => /broken, using last good \(2 rows\)/.test(s.text));
      fs.writeFileSync(file, '{"dev-1": ');
      await clock.advance(30);
      await status;
      for (let poll = 0; poll < 5; poll++) {
        await polled(clock, 30); // several polls of the same broken file (each stat is real I/O)
      }
      assert.strictEqual(warned.length, 1, warned.join('\n'));
      assert.match(warned[0], /sites\.json: invalid JSON.*still using the last good table \(2 rows\)/);

      const out = next('out');
      node.receive({ payload: reading() });
      assert.strictEqual((await out).payload.tags.site, 'plant-a');
    });

    it('refuses readings as TABLE_UNAVAILABLE when the file never loaded, with an error and a red status', async function () {
      await helper.load(enrichNode, flow({ rules: [{ type: 'lookup', key: 'device', file: path.join(dir, 'missing.csv') }] }));
      const node = helper.getNode('enrich');
      const refused = next('refused');
      node.receive({ payload: reading() });
      const msg = await refused;
      assert.strictEqual(msg.error.code, 'TABLE_UNAVAILABLE');
      assert.ok(node.error.getCalls().some((c) => /lookup table not loaded: cannot read .*missing\.csv: no such file/.test(c.args[0])));
      assert.ok(node.status.getCalls().some((c) => c.args[0].fill === 'red' && /missing\.csv: not loaded/.test(c.args[0].text)));
    });

    it('re-reads its files at once on msg.control = "reload" and forwards nothing', async function () {
      const file = path.join(dir, 'sites.csv');
      fs.writeFileSync(file, 'device,site\ndev-1,before\n');
      await helper.load(enrichNode, flow({ reloadInterval: '0', rules: [{ type: 'lookup', key: 'device', file }] }));
      const node = helper.getNode('enrich');
      const sent = [];
      helper.getNode('out').on('input', (msg) => sent.push(msg));
      await sendUntil(node, () => ({ payload: reading() }), (msg) => msg.payload.tags.site === 'before');
      fs.writeFileSync(file, 'device,site\ndev-1,after\n');
      const count = sent.length;
      const done = called(node, 'log', ([text]) => /loaded sites\.csv/.test(text));
      node.receive({ control: 'reload' });
      await done;
      assert.strictEqual(sent.length, count);
      const out = next('out');
      node.receive({ payload: reading() });
      assert.strictEqual((await out).payload.tags.site, 'after');
    });
  });

  describe('lifecycle', function () {
    it('sends outputs in the order the msgs came in, even when later ones finish first', async function () {
      // 'b' is refused by the first rule without any promise; 'a' and 'c' wait for JSONata.
      const rules = [{ type: 'convert', field: 'temperature', unit: 'F->C' }, { type: 'set', target: 'tags', name: 'x', valueType: 'jsonata', value: '$msg.topic' }];
      await helper.load(enrichNode, flow({ rules }));
      const node = helper.getNode('enrich');
      const order = [];
      const all = new Promise((resolve) => {
        const record = (msg) => {
          order.push(msg.topic);
          if (order.length === 3) resolve();
        };
        helper.getNode('out').on('input', record);
        helper.getNode('refused').on('input', record);
      });
      const text = reading('dev-1', { temperature: 'text' });
      node.receive({ topic: 'a', payload: [reading(), reading(), reading()] });
      node.receive({ topic: 'b', payload: text });
      node.receive({ topic: 'c', payload: reading() });
      await all;
      assert.deepStrictEqual(order, ['a', 'b', 'c']);
    });

    it('forwards other control msgs unchanged for the nodes downstream', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP] }));
      const out = next('out');
      helper.getNode('enrich').receive({ control: 'flush' });
      const msg = await out;
      assert.deepStrictEqual([msg.control, msg.payload], ['flush', undefined]);
    });

    it('still enriches the readings of a control msg that carries some', async function () {
      await helper.load(enrichNode, flow({ rules: [LOOKUP] }));
      const out = next('out');
      helper.getNode('enrich').receive({ control: 'flush', payload: reading() });
      const msg = await out;
      assert.deepStrictEqual([msg.control, msg.payload.tags.site], ['flush', 'plant-a']);
    });

    it('clears every timer on close', async function () {
      const clock = useFakeClock();
      const file = path.join(dir, 'sites.csv');
      fs.writeFileSync(file, 'device,site\ndev-1,a\n');
      await helper.load(enrichNode, flow({ reloadInterval: '1h', rules: [{ type: 'lookup', key: 'device', file }] }));
      const node = helper.getNode('enrich');
      await called(node, 'log', ([text]) => /loaded sites\.csv/.test(text));
      const out = next('out');
      node.receive({ payload: reading() });
      node.receive({ payload: reading() }); // a second status within the second: the throttle's timer
      await out;
      await new Promise((r) => setImmediate(r));
      // The status ticker, the file poll and the status throttle are armed...
      assert.strictEqual(clock.pending, 3);
      await helper.unload();
      // ... and none is left to fire.
      assert.strictEqual(clock.pending, 0);
    });
  });

  describe('packaging', function () {
    it("offers the core's units in the editor", function () {
      const html = fs.readFileSync(path.join(__dirname, '../../nodes/telemetry-enrich.html'), 'utf8');
      const literal = /var UNIT_FAMILIES = (\{[\s\S]*?\});/.exec(html);
      assert.ok(literal, 'UNIT_FAMILIES literal in the editor');
      assert.deepStrictEqual(JSON.parse(literal[1]), unitFamilies());
    });

    it('has a locale entry for every message key the runtime uses', function () {
      const messages = require('../../nodes/locales/en-US/telemetry-enrich.json')['telemetry-enrich'];
      const sources = ['../../src/nodes/enrich/index.ts', '../../src/nodes/enrich/controller.ts']
        .map((f) => fs.readFileSync(path.join(__dirname, f), 'utf8')).join('\n');
      const keys = [...sources.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]);
      assert.ok(keys.length > 10);
      for (const key of keys) {
        const value = key.split('.').reduce((o, k) => (o ? o[k] : undefined), messages);
        assert.strictEqual(typeof value, 'string', key);
      }
    });

    it('runs the example flow: injects go through the rules to both outputs', async function () {
      const example = require('../../examples/enrich.json');
      await helper.load([enrichNode, injectNode, debugNode, commentNode], example);
      const node = helper.getNode(example.find((n) => n.type === 'telemetry-enrich').id);
      const injects = example.filter((n) => n.type === 'inject');
      const sends = [];
      node.on('call:send', (call) => sends.push(call.args[0]));
      for (const inject of injects) helper.getNode(inject.id).receive({});
      const deadline = Date.now() + 3000;
      while (sends.length < injects.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Injects evaluate their JSONata payloads asynchronously: find each result by its content.
      const first = sends.find(([ok]) => ok && !Array.isArray(ok.payload));
      const batch = sends.find(([ok]) => ok && Array.isArray(ok.payload));
      const bad = sends.find(([ok]) => !ok);
      assert.deepStrictEqual(first[0].payload.tags, { device: 'dev-1', site: 'plant-a', line: 'L1', band: 'warm' });
      assert.strictEqual(first[0].payload.fields.temperature, 25);
      assert.strictEqual(first[0].payload.fields.pressure_bar, 1.01352932209575);
      assert.strictEqual(batch[0].payload.length, 2);
      assert.strictEqual(batch[1].errors[0].code, 'LOOKUP_MISS');
      assert.strictEqual(bad[1].error.code, 'NOT_NUMERIC');
    });
  });
});
