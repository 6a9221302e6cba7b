'use strict';
// The demo's dashboard (examples/dashboard.json, FlowFuse Dashboard 2.0) in Debian's Chromium:
// a Node-RED that starts with an empty chart store and an InfluxDB holding the last hour of
// 1-minute rollups. The charts must draw their lines from telemetry-query's refill (on start and
// on the browser's connection), stay full after a reload, and the fleet table must show the
// heartbeat summary once devices publish. Screenshot: test-artifacts/e2e/dashboard.png.
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');
const { requireBinary, startInflux, startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor } = require('../support/wait');
const { launchBrowser, formatErrors } = require('./support/browser');
const ed = require('./support/editor');

const EXAMPLE = path.join(ed.REPO_ROOT, 'examples', 'dashboard.json');
const SITES = { 'plant-a': ['dev-1', 'dev-2'], 'plant-b': ['dev-3'] };
// ui-chart's default line colours (the example keeps them): a drawn line has pixels of these.
const LINE_COLOURS = ['#0095FF', '#FF0000', '#FF7F0E'];

/** Per chart on the page: how many canvas pixels are drawn in a series colour. */
function linePixels(page) {
  return page.evaluate((colours) => {
    const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    // The outermost element of each chart widget (the class is on nested elements too).
    const charts = [...document.querySelectorAll('.nrdb-ui-chart')].filter((el) => !el.parentElement.closest('.nrdb-ui-chart'));
    return charts.map((chart) => {
      let n = 0;
      for (const canvas of chart.querySelectorAll('canvas')) {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] > 200 && rgb.some(([r, g, b]) => Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24)) n++;
        }
      }
      return n;
    });
  }, LINE_COLOURS);
}

describe('dashboard in Chromium (e2e)', function () {
  this.timeout(90_000);
  let session;
  let red;
  let mosquitto;

  before(async function () {
    const chromiumPath = requireBinary(this, 'chromium', 'chromium');
    session = await launchBrowser({ executablePath: chromiumPath, viewport: { width: 1280, height: 1000 } });
    const influx = await startInflux(this);
    mosquitto = await startMosquitto(this);
    await influx.createDatabase('telemetry');
    // The last hour of 1-minute rollups, as the pipeline's window → archive writes them.
    const now = Date.now();
    const lines = [];
    for (const [site, devices] of Object.entries(SITES)) {
      devices.forEach((device) => {
        const d = Object.values(SITES).flat().indexOf(device);
        for (let m = 60; m >= 1; m--) {
          const t = Math.floor(now / 60_000) * 60_000 - m * 60_000;
          lines.push(`telemetry_1m,device=${device},site=${site} temperature_mean=${20 + d * 3 + Math.sin(m / 6) * 2} ${t}`);
        }
      });
    }
    await influx.write(lines.join('\n'), { db: 'telemetry' });
    const flows = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).map((n) => {
      if (n.type === 'telemetry-influxdb') return { ...n, url: influx.url };
      if (n.type === 'telemetry-mqtt-broker') return { ...n, url: mosquitto.url };
      // Faster than shipped (10 s) so the test is short: the fleet table is the same summary,
      // sent every 2 s.
      if (n.type === 'telemetry-heartbeat-watch') return { ...n, summaryInterval: '2s' };
      return n;
    });
    red = await startNodeRed({ flows, mochaCtx: this, startTimeout: 60_000 });
  });

  after(async function () {
    if (session) await session.close();
  });

  it('draws the last hour from InfluxDB in both charts, still after a reload, and the fleet table fills', async function () {
    const { page, errors } = session;
    page.setDefaultTimeout(20_000);
    await page.goto(`${red.url}/dashboard/pipeline`);
    await page.locator('.nrdb-ui-chart canvas').first().waitFor();
    let last = [];
    const drawn = () => waitFor(async () => {
      last = await linePixels(page);
      return last.length === 2 && last.every((n) => n > 200) ? last : false;
    }, { timeout: 30_000, interval: 500, message: 'lines drawn in both charts' }).catch(async (err) => {
      await ed.screenshot(page, null, 'dashboard-failed');
      throw new Error(`${err.message}: line pixels per chart ${JSON.stringify(last)} (screenshot dashboard-failed.png); log:\n${red.logLines().slice(-15).join('\n')}`);
    });
    const first = await drawn();
    // Devices report: the heartbeat summary (every 2 s here) lists the fleet.
    const client = mqtt.connect(mosquitto.url);
    try {
      await waitFor(async () => {
        for (const [site, devices] of Object.entries(SITES)) {
          for (const device of devices) client.publish(`sensors/${site}/${device}/telemetry`, JSON.stringify({ temperature: 21 }));
        }
        return (await page.locator('.nrdb-ui-table').textContent()).includes('3 up');
      }, { timeout: 30_000, interval: 1000, message: 'the fleet row "3 up" in the table' });
    } finally {
      client.end(true);
    }
    await ed.screenshot(page, null, 'dashboard');
    await page.reload();
    await page.locator('.nrdb-ui-chart canvas').first().waitFor();
    const again = await drawn();
    console.log(`      line pixels per chart: ${first.join(', ')} (after reload ${again.join(', ')})`);
    assert.equal(errors.length, 0, `browser errors:\n${formatErrors(errors)}`);
  });
});
