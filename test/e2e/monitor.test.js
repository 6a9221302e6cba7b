'use strict';
// "Seeing your pipeline" in a real browser (Debian's Chromium, support/ as editor.test.js):
// - the telemetry monitor sidebar shows live figures of a running flow: a refusal with its
//   reason, a device going down in the down list; clicking a row reveals the node;
// - the ingest dialog's parse preview renders readings for JSON, SenML and line protocol,
//   shows a refusal with its reason, and takes the last message the node received.
// Screenshots in test-artifacts/e2e/ (monitor-sidebar.png, ingest-preview-*.png).
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const { requireBinary } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { launchBrowser, formatErrors } = require('./support/browser');
const ed = require('./support/editor');

const flows = [
  { id: 'f1', type: 'tab', label: 'Pipeline' },
  // d1 reports every second, d2 once: with a 3 s timeout d2 goes down while d1 stays up.
  { id: 'good', type: 'inject', z: 'f1', name: 'd1 every 1 s', x: 130, y: 60, repeat: '1', once: true, onceDelay: 0.1, topic: 'sensors/plant-a/d1', payload: '{"device":"d1","temperature":21.5}', payloadType: 'str', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], wires: [['in']] },
  { id: 'once', type: 'inject', z: 'f1', name: 'd2 once', x: 130, y: 120, once: true, onceDelay: 0.1, topic: 'sensors/plant-a/d2', payload: '{"device":"d2","temperature":19}', payloadType: 'str', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], wires: [['in']] },
  { id: 'bad', type: 'inject', z: 'f1', name: 'broken every 2 s', x: 140, y: 180, repeat: '2', once: true, onceDelay: 0.5, topic: 'sensors/plant-a/d3', payload: '{"device":"d3","temperature":', payloadType: 'str', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], wires: [['in']] },
  { id: 'in', type: 'telemetry-ingest', z: 'f1', name: 'ingest', x: 360, y: 120, format: 'auto', topicTemplate: 'sensors/{site}/+', tagKeys: 'deviceId,device,site', wires: [['hb', 'win'], []] },
  { id: 'win', type: 'telemetry-window', z: 'f1', name: 'window 10s', x: 560, y: 80, windowType: 'tumbling', size: '10s', aggregates: 'mean,max', fields: '*', wires: [[], []] },
  { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', name: 'heartbeat', x: 560, y: 160, timeout: '3s', summaryInterval: '', wires: [[], []] },
];

describe('monitor sidebar and parse preview in Chromium (e2e)', function () {
  this.timeout(30_000);
  let nr;
  let session;
  let page;

  before(async function () {
    this.timeout(90_000);
    const chromiumPath = requireBinary(this, 'chromium', 'chromium');
    session = await launchBrowser({ executablePath: chromiumPath });
    nr = await startNodeRed({ flows, mochaCtx: this });
    page = session.page;
    page.setDefaultTimeout(10_000);
    await page.goto(nr.url);
    await ed.waitForEditor(page);
  });
  after(async function () {
    if (session) await session.close();
  });

  function uiIt(title, fn) {
    it(title, async function () {
      const mark = session.errors.length;
      session.state.during = this.test.fullTitle();
      await fn.call(this);
      const fresh = session.errors.slice(mark);
      assert.equal(fresh.length, 0, `browser errors during this test:\n${formatErrors(fresh)}`);
    });
  }

  const rowOf = (id) => page.locator(`.telemetry-monitor-row[data-id="${id}"]`);

  uiIt('the sidebar shows live figures: a refusal with its reason, a device going down; a click reveals the node', async function () {
    await page.evaluate(() => RED.sidebar.show('telemetry-monitor'));
    await rowOf('in').waitFor();
    // The ingest row: its rate, and the broken payload refused with the parser's reason.
    await page.waitForFunction(() => {
      const row = document.querySelector('.telemetry-monitor-row[data-id="in"]');
      return row && row.querySelector('.telemetry-monitor-refusal') && /readings\/s/.test(row.textContent);
    }, null, { timeout: 15_000 });
    const refusal = await rowOf('in').locator('.telemetry-monitor-refusal').first().textContent();
    assert.match(refusal, /JSON/i, refusal);
    assert.match(refusal, /"device":"d3"/, 'the refused sample is shown');
    // d2 went silent for more than 3 s: down, d1 stays up.
    await page.waitForFunction(() => {
      const row = document.querySelector('.telemetry-monitor-row[data-id="hb"]');
      return row && /d2/.test(row.querySelector('.telemetry-monitor-down')?.textContent ?? '');
    }, null, { timeout: 15_000 });
    const hb = await rowOf('hb').textContent();
    assert.match(hb, /1 up · 1 down/, hb);
    assert.doesNotMatch(await rowOf('hb').locator('.telemetry-monitor-down').textContent(), /d1/);
    // The window row: open windows and keys.
    assert.match(await rowOf('win').textContent(), /open · \d+ keys/);
    // Let the sparkline draw a few points (one per 5 s) for the screenshot.
    await page.waitForFunction(() => document.querySelectorAll('.telemetry-monitor-row[data-id="in"] polyline').length > 0, null, { timeout: 15_000 });
    // The sidebar down to its last row (the rest is empty).
    const sidebar = await page.locator('#red-ui-sidebar').boundingBox();
    const lastRow = await page.locator('.telemetry-monitor-row').last().boundingBox();
    fs.mkdirSync(ed.ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: path.join(ed.ARTIFACTS, 'monitor-sidebar.png'),
      clip: { x: sidebar.x, y: sidebar.y, width: sidebar.width, height: Math.min(sidebar.height, lastRow.y + lastRow.height + 12 - sidebar.y) },
    });
    await rowOf('hb').click();
    await page.waitForFunction(() => RED.nodes.node('hb').__flashTimer !== undefined || RED.nodes.node('hb').highlighted, null, { timeout: 3_000 });
  });

  /**
   * Types `topic` and `payload` into the preview and returns the result's text once its summary
   * line matches `summary`: the answer to this payload, not the previous one still on screen
   * (each call below expects a summary that differs from the one before; the whole answer is
   * drawn at once, so the rest of the text belongs to the same answer).
   */
  async function previewOf(payload, topic, summary) {
    await page.fill('#telemetry-ingest-preview-topic', topic);
    await page.fill('#telemetry-ingest-preview-payload', payload);
    await page
      .waitForFunction(([text, source, flags]) => {
        const note = document.querySelector('#telemetry-ingest-preview-result .telemetry-ingest-preview-note');
        return note && new RegExp(source, flags).test(note.textContent) && document.querySelector('#telemetry-ingest-preview-payload').value === text;
      }, [payload, summary.source, summary.flags])
      .catch(async () => {
        const shown = await page.locator('#telemetry-ingest-preview-result').textContent();
        throw new Error(`the preview of ${payload} never showed ${summary}; it shows: ${shown}`);
      });
    return page.locator('#telemetry-ingest-preview-result').textContent();
  }

  uiIt('the ingest dialog previews JSON, SenML and line protocol, shows a refusal, and takes the last message', async function () {
    const tray = await ed.openEditDialog(page, 'in');
    // The dialog's undeployed values count: a new measurement name, not deployed.
    await page.fill('#node-input-measurement', 'plant');
    const jsonSummary = /1 reading\(s\), 0 refusal\(s\) · read as json/;
    const json = await previewOf('{"device":"d7","temperature":21.5,"ok":true,"label":"1.2"}', 'sensors/plant-b/d7', jsonSummary);
    assert.match(json, jsonSummary);
    assert.match(json, /plant/);
    assert.match(json, /site=plant-b/);
    assert.match(json, /temperature21\.5 number/);
    assert.match(json, /label"1\.2" string/);
    assert.match(json, /oktrue boolean/);
    const previewBox = page.locator('.telemetry-ingest-preview');
    await previewBox.scrollIntoViewIfNeeded();
    await ed.screenshot(page, previewBox, 'ingest-preview-json');
    const senmlSummary = /2 reading\(s\), 0 refusal\(s\) · read as senml/;
    const senml = await previewOf('[{"bn":"d8/","n":"temp","u":"Cel","v":20.5},{"n":"hum","v":40}]', 'sensors/plant-b/d8', senmlSummary);
    assert.match(senml, senmlSummary);
    const lineSummary = /1 reading\(s\), 0 refusal\(s\) · read as line/;
    const line = await previewOf('weather,site=a temp=1.5,up=true 1764921600000000000', 'sensors/plant-c/w1', lineSummary);
    assert.match(line, lineSummary);
    assert.match(line, /2025-12-05T08:00:00\.000Z/);
    const refusedSummary = /0 reading\(s\), 1 refusal\(s\)/;
    const refused = await previewOf('{"device":"d9","temperature":', 'sensors/plant-b/d9', refusedSummary);
    assert.match(refused, refusedSummary);
    assert.ok(await page.locator('#telemetry-ingest-preview-result .telemetry-ingest-preview-refusal').count() >= 1);
    assert.match(refused, /JSON/i);
    await ed.screenshot(page, previewBox, 'ingest-preview-refusal');
    await ed.screenshot(page, tray, 'ingest-preview-dialog');
    await page.click('#telemetry-ingest-preview-last');
    await page.waitForFunction(() => /sensors\/plant-a\/d\d/.test(document.querySelector('#telemetry-ingest-preview-topic').value));
    await ed.clickCancel(page);
  });
});
