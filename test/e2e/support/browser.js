'use strict';
// Debian's Chromium driven by playwright-core (no browser download: the package only drives it),
// with a fresh user-data dir per run, and a log of everything the page reports as an error.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { isolatedFontconfig } = require('./fonts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// Known, harmless noise from Node-RED itself. Each entry names where it comes from.
const HARMLESS = [
  // The Node-RED 4.1 editor logs its start-up banner (versions, "Palette editor disabled",
  // "Projects disabled") with console.log/group: not errors, only listed for clarity.
];

/**
 * Launches Chromium with a new, empty profile and only the fonts of support/fonts.js (it throws,
 * naming the package, when they are not installed); resolves to { context, page, errors, close() }.
 * `errors` collects console errors/warnings-as-errors and uncaught page errors, each
 * `{ kind, text, location, at }`, for the whole session.
 */
async function launchBrowser({ executablePath, viewport = { width: 1400, height: 1100 } }) {
  const fonts = isolatedFontconfig();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      // The same text metrics on every machine (support/fonts.js).
      env: { ...process.env, ...fonts.env },
      // The editor's own timings (tooltips, animations) stay as a user sees them.
      reducedMotion: 'reduce',
    });
  } catch (err) {
    fonts.cleanup();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  // Set by the tests (the current test's title) so each error names where it happened.
  const state = { during: '' };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (HARMLESS.some((re) => re.test(text))) return;
    const loc = m.location();
    errors.push({ kind: 'console.error', text, location: loc && loc.url ? `${loc.url}:${loc.lineNumber}` : '', during: state.during });
  });
  page.on('pageerror', (err) => {
    errors.push({ kind: 'uncaught', text: String(err && err.stack ? err.stack : err), location: '', during: state.during });
  });
  page.on('requestfailed', (req) => {
    // A failed request for one of our files (icon, locale, help) is an error a user would see.
    if (/\/(icons|locales|nodes)\b/.test(req.url())) {
      errors.push({ kind: 'request failed', text: `${req.url()}: ${req.failure() && req.failure().errorText}`, location: '', during: state.during });
    }
  });
  async function close() {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fonts.cleanup();
  }
  return { context, page, errors, state, close, userDataDir };
}

function formatErrors(list) {
  return list.map((e) => `  [${e.kind}]${e.during ? ` during "${e.during}"` : ''}: ${e.text}${e.location ? ` (${e.location})` : ''}`).join('\n');
}

module.exports = { launchBrowser, formatErrors, CHROMIUM_ARGS };
