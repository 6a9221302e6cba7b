'use strict';
// The editor experience in a real browser: Debian's Chromium (playwright-core) against a real
// Node-RED with this package installed. One browser and one Node-RED for the whole file.
//
// Per node: palette entry (category, label, icon, colour), dropped from the palette with a
// label showing its key setting, port labels, the edit dialog (a labelled field per property,
// conditional fields, a red field with a reason, a valid value saved), its help in the Help
// sidebar, its dialog in a dark theme; config nodes are opened from the field of a node using
// them. Then every example is imported (workspace menu ▸ Insert ▸ Import example flow) and
// deployed. No browser console error is allowed anywhere. Screenshots of each dialog land in
// test-artifacts/e2e/ (git-ignored). See test/e2e/README.md.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const { requireBinary } = require('../support/services');
const { startNodeRed, PACKAGE_NAME } = require('../support/node-red-process');
const { launchBrowser, formatErrors } = require('./support/browser');
const ed = require('./support/editor');
const { NODES, CONFIG_NODES } = require('./support/cases');
const { setDarkTheme, lowContrastText } = require('./support/dark-theme');
const fonts = require('./support/fonts');

const IN_CI = process.env.CI === 'true';
const SECRET = 'e2e-not-in-the-flow';
const pkg = require(path.join(ed.REPO_ROOT, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes);
const FLOW_TYPES = TYPES.filter((t) => !CONFIG_NODES[t]);
const CONFIG_TYPES = TYPES.filter((t) => CONFIG_NODES[t]);

/** A node or file that has not landed yet: skip loudly outside CI, fail in CI. */
function notThereYet(ctx, what) {
  if (IN_CI) throw new Error(`${what} (missing in CI is a failure)`);
  console.log(`      !!! SKIPPING: ${what}`);
  ctx.skip();
}

describe('editor in Chromium (e2e)', function () {
  this.timeout(30000);
  let nr;
  let session; // { page, errors, close }
  let page;
  const dropped = {}; // type → id of the node dropped from the palette
  let drops = 0;

  before(async function () {
    this.timeout(90000);
    const chromiumPath = requireBinary(this, 'chromium', 'chromium');
    // First, so missing fonts fail here before a Node-RED is started.
    session = await launchBrowser({ executablePath: chromiumPath });
    nr = await startNodeRed({ flows: [], mochaCtx: this });
    page = session.page;
    page.setDefaultTimeout(10000);
    await page.goto(nr.url);
    await ed.waitForEditor(page);
    // The layout checks hold for these metrics: make sure the editor's text really uses them.
    const used = await fonts.renderedFonts(page, '.red-ui-palette-label');
    assert.deepEqual(used, [fonts.SANS], `the editor renders with ${used.join(', ')}, not only ${fonts.SANS} (support/fonts.js)`);
  });

  after(async function () {
    if (session) await session.close();
  });

  // A test that failed half-way may leave dialogs open: close them so the next starts clean
  // (bounded; as a last resort reload the editor, which forgets undeployed nodes).
  beforeEach(async function () {
    if (!page) return;
    session.state.during = `before: ${this.currentTest.fullTitle()}`;
    const trays = () => page.locator('#red-ui-editor-stack .red-ui-tray').count();
    try {
      for (let i = 0; i < 4 && (await trays()); i++) {
        const cancel = page.locator('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible').first();
        if (await cancel.count()) await cancel.click({ timeout: 2000 });
        else await page.keyboard.press('Escape');
        await page.waitForTimeout(500);
      }
      if (await trays()) throw new Error('dialogs still open');
    } catch {
      await page.reload();
      await ed.waitForEditor(page);
    }
    await page.mouse.move(5, 5);
  });

  /** An `it` that also fails when the browser reported an error while it ran. */
  function uiIt(title, fn) {
    it(title, async function () {
      const mark = session ? session.errors.length : 0;
      if (session) session.state.during = this.test.fullTitle();
      await fn.call(this);
      const fresh = session.errors.slice(mark);
      assert.equal(fresh.length, 0, `browser errors during this test:\n${formatErrors(fresh)}`);
    });
  }

  async function requireType(ctx, type) {
    const def = await ed.nodeDef(page, type);
    if (!def) notThereYet(ctx, `${type} is not registered in the editor (nodes/${type}.html not there yet?)`);
    return def;
  }

  /** The node of `type` on the workspace, dropped from the palette the first time. */
  async function nodeOf(ctx, type) {
    await requireType(ctx, type);
    // Its config node must exist before a dialog builds the select that lists them.
    if (NODES[type] && NODES[type].config) await ensureConfig(NODES[type].config.type);
    const exists = dropped[type] && (await page.evaluate((id) => !!RED.nodes.node(id), dropped[type]));
    if (!exists) {
      // Down a column, then the next column: always inside the visible workspace.
      dropped[type] = await ed.dropFromPalette(page, type, { x: 200 + 220 * Math.floor((drops % 20) / 10), y: 80 + 70 * (drops % 10) });
      drops++;
    }
    return dropped[type];
  }

  /** Some config node of `type` exists (made through the real dialog by its own test, or here). */
  async function ensureConfig(type) {
    const have = await page.evaluate((t) => {
      let found = null;
      RED.nodes.eachConfig((c) => {
        if (c.type === t && !found) found = c.id;
      });
      return found;
    }, type);
    if (have) return have;
    return page.evaluate(([t, extra]) => {
      const id = RED.nodes.id();
      const defaults = {};
      const def = RED.nodes.getType(t);
      for (const k of Object.keys(def.defaults)) defaults[k] = def.defaults[k].value;
      RED.nodes.import([{ id, type: t, ...defaults, ...extra }]);
      return id;
    }, [type, CONFIG_NODES[type].importExtra || {}]);
  }

  async function selectConfig(prop, configType) {
    const id = await ensureConfig(configType);
    await page.selectOption(`#node-input-${prop}`, id);
    await page.dispatchEvent(`#node-input-${prop}`, 'change');
  }

  async function runConditionalSteps(steps) {
    for (const step of steps) {
      await ed.setField(page, step.set[0], step.set[1]);
      for (const sel of step.visible || []) {
        assert.equal(await ed.isVisible(page, sel), true, `${sel} visible after ${step.set[0]} = ${step.set[1]}`);
      }
      for (const sel of step.hidden || []) {
        assert.equal(await ed.isVisible(page, sel), false, `${sel} hidden after ${step.set[0]} = ${step.set[1]}`);
      }
    }
  }

  async function assertFieldsPresent(def, prefix, widgets = {}) {
    const missing = [];
    for (const key of def.defaults) {
      const sel = widgets[key] || `#${prefix}-${key}`;
      if (!(await page.locator(sel).count())) missing.push(`${key} (${sel})`);
    }
    for (const key of def.credentials) {
      if (!(await page.locator(`#${prefix}-${key}`).count())) missing.push(`credential ${key}`);
    }
    assert.deepEqual(missing, [], `properties without an input in the dialog: ${missing.join(', ')}`);
    const unlabelled = await ed.unlabelledRows(page);
    assert.deepEqual(unlabelled, [], `form rows without a label: ${unlabelled.join(', ')}`);
    const text = await ed.dialogText(page);
    const raw = text.match(ed.RAW_KEY);
    assert.equal(raw, null, `untranslated text in the dialog: ${raw && raw[0]}`);
  }

  async function assertInvalidWithReason(field) {
    await ed.setField(page, field.id, field.value);
    const state = await ed.fieldState(page, field.id);
    assert.equal(state.invalid, true, `#${field.id} = ${JSON.stringify(field.value)} is marked red`);
    assert.ok(state.reason && state.reason.length > 3, `#${field.id} says why on hover (got ${JSON.stringify(state.reason)})`);
    assert.ok(!ed.RAW_KEY.test(state.reason), `the reason is translated: ${state.reason}`);
    return state.reason;
  }

  describe('palette', function () {
    for (const type of FLOW_TYPES) {
      const c = NODES[type];
      uiIt(`${type}: in the telemetry category with its label, icon and colour`, async function () {
        assert.ok(c, `${type} is in package.json but has no row in test/e2e/support/cases.js`);
        const def = await requireType(this, type);
        assert.equal(def.category, 'telemetry');
        assert.equal(def.color.toLowerCase(), c.color.toLowerCase(), 'colour of the palette scheme');
        const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
        await item.scrollIntoViewIfNeeded();
        const seen = await item.evaluate((el) => ({
          category: el.closest('.red-ui-palette-category') && el.closest('.red-ui-palette-category').id,
          label: el.querySelector('.red-ui-palette-label').textContent.replace(/\s+/g, ' ').trim(),
          background: getComputedStyle(el).backgroundColor,
          icon: getComputedStyle(el.querySelector('.red-ui-palette-icon')).backgroundImage,
        }));
        assert.match(seen.category, /telemetry$/, `palette category element ${seen.category}`);
        assert.equal(seen.label, c.paletteLabel);
        const hex = c.color.replace('#', '');
        const rgb = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ');
        assert.equal(seen.background, `rgb(${rgb})`);
        assert.ok(seen.icon.includes(`/${PACKAGE_NAME}/${def.icon}`), `our own icon ${def.icon}, got ${seen.icon}`);
        const iconUrl = seen.icon.replace(/^url\("?|"?\)$/g, '');
        const served = await page.evaluate(async (u) => {
          const r = await fetch(u);
          return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
        }, iconUrl);
        assert.equal(served.status, 200, `icon ${iconUrl} served`);
        assert.match(served.body, /<svg[\s>]/, 'the icon is an SVG');
      });
    }

    for (const type of CONFIG_TYPES) {
      uiIt(`${type}: registered as a config node with its colour and a readable name`, async function () {
        const def = await requireType(this, type);
        assert.equal(def.category, 'config');
        assert.equal(def.color.toLowerCase(), CONFIG_NODES[type].color.toLowerCase());
        assert.equal(def.paletteLabel, CONFIG_NODES[type].paletteLabel, 'its name in the Help tree and "Add new …"');
      });
    }

    uiIt('every node type of package.json has a row in the test table', async function () {
      const unknown = TYPES.filter((t) => !NODES[t] && !CONFIG_NODES[t]);
      assert.deepEqual(unknown, [], 'add these to test/e2e/support/cases.js');
    });
  });

  for (const type of CONFIG_TYPES) {
    const c = CONFIG_NODES[type];
    describe(`${type} (config) dialog`, function () {
      /** Opens the host node's dialog and, from its config field, a new config node's dialog. */
      async function openConfigDialog(ctx) {
        await requireType(ctx, type);
        const hostId = await nodeOf(ctx, c.host.type);
        await ed.openEditDialog(page, hostId);
        // The "+" beside the field (Node-RED 4: #node-input-btn-<prop>-add).
        await page.click(`#node-input-btn-${c.host.prop}-add`);
        await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
        return ed.trayOpen(page);
      }
      async function closeBoth(done = false) {
        if (done) await ed.clickDone(page, { config: true });
        else await ed.clickCancel(page, { config: true });
        await ed.clickCancel(page);
      }

      uiIt(`opens from the ${c.host.type} node's ${c.host.prop} field with a labelled field for every property`, async function () {
        const tray = await openConfigDialog(this);
        try {
          const def = await ed.nodeDef(page, type);
          await assertFieldsPresent(def, 'node-config-input');
          await ed.screenshot(page, tray, type);
        } finally {
          await closeBoth();
        }
      });

      uiIt('lays its dialog out tidily', async function () {
        await openConfigDialog(this);
        try {
          const problems = await ed.layoutProblems(page);
          assert.deepEqual(problems, [], problems.join('\n'));
        } finally {
          await closeBoth();
        }
      });

      uiIt('shows the fields that apply to the URL', async function () {
        await openConfigDialog(this);
        try {
          await runConditionalSteps(c.conditional);
        } finally {
          await closeBoth();
        }
      });

      uiIt(`marks an invalid ${c.invalid.id.replace('node-config-input-', '')} red with a reason`, async function () {
        await openConfigDialog(this);
        try {
          await assertInvalidWithReason(c.invalid);
        } finally {
          await closeBoth();
        }
      });

      uiIt('accepts valid settings, adds the config node and selects it in its user', async function () {
        await openConfigDialog(this);
        let added = null;
        try {
          for (const [id, value] of c.prepare || []) await ed.setField(page, id, value);
          await ed.setField(page, c.invalid.id, c.invalid.value);
          await ed.setField(page, c.valid.id, c.valid.value);
          const state = await ed.fieldState(page, c.valid.id);
          assert.equal(state.invalid, false, `#${c.valid.id} = ${c.valid.value} is not red`);
          if (await page.locator('#node-config-input-password').count()) await ed.setField(page, 'node-config-input-password', SECRET);
          await ed.clickDone(page, { config: true });
          added = await page.$eval(`#node-input-${c.host.prop}`, (el) => el.value);
          const node = await page.evaluate((id) => {
            const n = RED.nodes.node(id);
            return n && { type: n.type, valid: n.valid, label: RED.utils.getNodeLabel(n), value: n };
          }, added);
          assert.ok(node, `the new config node ${added} exists`);
          assert.equal(node.type, type);
          assert.equal(String(node.value[c.valid.prop]), c.valid.value);
          assert.equal(node.valid, true, 'the saved config node is valid');
          assert.match(node.label, c.label, 'its label names the endpoint');
          const optionText = await page.$eval(`#node-input-${c.host.prop} option:checked`, (o) => o.textContent);
          assert.match(optionText, c.label, 'the user’s field shows it by its label');
          // The password is a credential: never part of the flow an export or a deploy sends.
          const flowJson = await page.evaluate(() => JSON.stringify(RED.nodes.createCompleteNodeSet({ credentials: false })));
          assert.equal(flowJson.includes(SECRET), false, 'the password is not in the flow JSON');
        } finally {
          if (await page.locator('#node-config-dialog-ok').isVisible()) await ed.clickCancel(page, { config: true });
          await ed.clickDone(page);
        }
        // The configuration nodes sidebar lists it.
        await page.evaluate(() => RED.sidebar.config.show());
        const listed = await page.evaluate(
          (id) => $('.red-ui-palette-node-config').closest('li').filter(function () { return $(this).data('data-node-id') === id; }).length,
          added,
        );
        assert.equal(listed, 1, 'listed in the Configuration nodes sidebar');
      });

      if (c.dialogCheck) {
        uiIt('validates the fields of each variant and keeps the secret out of the flow', async function () {
          await openConfigDialog(this);
          try {
            const expected = await c.dialogCheck(page, ed, assert, SECRET);
            await ed.clickDone(page, { config: true });
            const added = await page.$eval(`#node-input-${c.host.prop}`, (el) => el.value);
            const node = await page.evaluate((id) => {
              const n = RED.nodes.node(id);
              return { valid: n.valid, label: RED.utils.getNodeLabel(n), value: n };
            }, added);
            assert.equal(node.valid, true, 'the saved config node is valid');
            for (const [prop, value] of Object.entries(expected.saved)) assert.equal(String(node.value[prop]), value, prop);
            assert.match(node.label, expected.label);
            const flowJson = await page.evaluate(() => JSON.stringify(RED.nodes.createCompleteNodeSet({ credentials: false })));
            assert.equal(flowJson.includes(SECRET), false, 'the secret is not in the flow JSON');
          } finally {
            if (await page.locator('#node-config-dialog-ok').isVisible()) await ed.clickCancel(page, { config: true });
            await ed.clickCancel(page);
          }
        });
      }

      uiIt('renders its help in the Help sidebar', async function () {
        await requireType(this, type);
        const help = await ed.showHelp(page, type);
        assert.equal(help.none, false, 'has help text');
        assert.equal(help.title, c.paletteLabel, 'titled with its name');
        assert.ok(help.summary.length > 20, `a one-line summary first (got ${JSON.stringify(help.summary)})`);
        for (const h of ['Details', 'References']) assert.ok(help.headings.includes(h), `a ${h} section (has ${help.headings.join(', ')})`);
        assert.ok(help.links > 0, 'References link somewhere');
        assert.equal(ed.RAW_KEY.test(help.text), false, 'no untranslated keys');
      });
    });
  }

  for (const type of FLOW_TYPES) {
    const c = NODES[type];
    if (!c) continue;
    describe(`${type} dialog`, function () {
      uiIt('drops from the palette onto the flow with a label that shows its key setting', async function () {
        const id = await nodeOf(this, type);
        const def = await ed.nodeDef(page, type);
        const label = await ed.workspaceLabel(page, id);
        assert.ok(label.length > 0, 'has a label');
        assert.equal(ed.RAW_KEY.test(label), false, `label translated: ${label}`);
        const node = await page.evaluate((nid) => ({ ...RED.nodes.node(nid), _def: undefined }), id);
        // Each default that the label names must be visible in it (e.g. "tumbling 1m").
        assert.ok(
          label !== def.paletteLabel || c.emptyLabelIsName || Object.values(node).some((v) => typeof v === 'string' && v && label.includes(v)),
          `label "${label}" shows a setting, not only the node's name`,
        );
      });

      uiIt('names its input and outputs', async function () {
        const id = await nodeOf(this, type);
        const labels = await ed.portLabels(page, id);
        const def = await ed.nodeDef(page, type);
        assert.equal(labels.inputs.length, def.inputs);
        for (const [i, l] of [...labels.inputs.map((l) => ['input', l]), ...labels.outputs.map((l, n) => [`output ${n + 1}`, l])].entries()) {
          assert.ok(typeof l[1] === 'string' && l[1].trim().length > 2, `${l[0]} (#${i}) has a label, got ${JSON.stringify(l[1])}`);
          assert.equal(ed.RAW_KEY.test(l[1]), false, `${l[0]} label translated: ${l[1]}`);
        }
        // The editor shows them on hover: check the first output's tooltip as a user sees it.
        if (labels.outputs.length) {
          const port = page.locator(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-port-output`).first();
          await port.hover();
          const tip = page.locator('.red-ui-flow-port-tooltip').last();
          await tip.waitFor({ state: 'visible', timeout: 3000 });
          const text = (await tip.textContent()).replace(/\s+/g, ' ').trim();
          assert.ok(text.length > 2, `output tooltip shows a label (got ${JSON.stringify(text)})`);
          await page.mouse.move(5, 5);
        }
      });

      uiIt('opens its edit dialog with a labelled field for every property', async function () {
        const id = await nodeOf(this, type);
        const tray = await ed.openEditDialog(page, id);
        try {
          if (c.config) await selectConfig(c.config.prop, c.config.type);
          const def = await ed.nodeDef(page, type);
          await assertFieldsPresent(def, 'node-input', c.widgets);
          for (const tid of c.typedInputs || []) {
            assert.equal(await ed.controlKind(page, tid), 'typed', `#${tid} is a typedInput`);
          }
          await ed.screenshot(page, tray, type);
          // A fresh node's defaults are valid: only fields the user must fill in are red.
          const red = await page.evaluate(() =>
            $('#red-ui-editor-stack .red-ui-tray').last().find('.input-error:visible').map(function () {
              const el = $(this).is('.red-ui-typedInput-container') ? $(this).prev('input') : $(this);
              return (el.attr('id') || '').replace(/^node-input-/, '');
            }).get(),
          );
          assert.deepEqual(red.filter((k) => !(c.mustFill || []).includes(k)), [], `red on a fresh node: ${red.join(', ')}`);
        } finally {
          await ed.clickCancel(page);
        }
      });

      uiIt('lays its dialog out tidily (checkbox text beside the box, labels that fit, no overlap)', async function () {
        const id = await nodeOf(this, type);
        await ed.openEditDialog(page, id);
        try {
          if (c.config) await selectConfig(c.config.prop, c.config.type);
          if (c.layoutSetup) {
            await c.layoutSetup(page);
            await ed.screenshot(page, page.locator('#red-ui-editor-stack .red-ui-tray').last(), `${type}-layout`);
          }
          const problems = await ed.layoutProblems(page);
          // …and in every variant of the form (each step of the conditional table).
          const seen = new Set(problems);
          for (const step of c.conditional || []) {
            await ed.setField(page, step.set[0], step.set[1]);
            for (const p of await ed.layoutProblems(page)) {
              if (!seen.has(p)) problems.push(`with ${step.set[0].replace('node-input-', '')} = ${step.set[1]}: ${p}`);
              seen.add(p);
            }
          }
          assert.deepEqual(problems, [], problems.join('\n'));
        } finally {
          await ed.clickCancel(page);
        }
      });

      uiIt('shows only the fields that apply to the chosen settings', async function () {
        const id = await nodeOf(this, type);
        await ed.openEditDialog(page, id);
        try {
          if (c.conditionalCustom) await c.conditionalCustom(page, assert);
          await runConditionalSteps(c.conditional || []);
        } finally {
          await ed.clickCancel(page);
        }
      });

      uiIt(`marks an invalid ${c.invalid.id.replace('node-input-', '')} red with a reason`, async function () {
        const id = await nodeOf(this, type);
        await ed.openEditDialog(page, id);
        try {
          await assertInvalidWithReason(c.invalid);
        } catch (err) {
          await ed.clickCancel(page);
          throw err;
        }
        // Saved anyway (Node-RED lets you), the node carries the red triangle on the workspace.
        await ed.clickDone(page);
        // The workspace redraws after the dialog closes (a later frame): wait for it, bounded.
        await page
          .waitForFunction((nid) => $(`#red-ui-workspace-chart g[id="${nid}"] .red-ui-flow-node-error`).is(':visible'), id, { timeout: 5000 })
          .catch(() => undefined);
        const flagged = await page.evaluate((nid) => {
          const n = RED.nodes.node(nid);
          return { valid: n.valid, triangle: $(`#red-ui-workspace-chart g[id="${nid}"] .red-ui-flow-node-error`).is(':visible') };
        }, id);
        assert.deepEqual(flagged, { valid: false, triangle: true }, 'an invalid node saved anyway is flagged on the workspace');
      });

      if (c.moreInvalid) {
        // Further fields whose validators the generic invalid/valid pair does not reach.
        uiIt(`marks ${[...new Set(c.moreInvalid.map((f) => f.id.replace("node-input-", "")))].join(", ")} red with a reason, and accepts a fix`, async function () {
          const id = await nodeOf(this, type);
          await ed.openEditDialog(page, id);
          try {
            for (const field of c.moreInvalid) {
              const reason = await assertInvalidWithReason(field);
              if (field.reason) assert.match(reason, field.reason);
              await ed.setField(page, field.id, field.fix);
              assert.equal((await ed.fieldState(page, field.id)).invalid, false, `#${field.id} = ${field.fix} is not red`);
            }
          } finally {
            await ed.clickCancel(page);
          }
        });
      }

      uiIt(`accepts a valid ${c.valid.prop}, saves it and the node is valid`, async function () {
        const id = await nodeOf(this, type);
        await ed.openEditDialog(page, id);
        try {
          if (c.config) await selectConfig(c.config.prop, c.config.type);
          for (const [fid, value] of c.prepare || []) await ed.setField(page, fid, value);
          await ed.setField(page, c.invalid.id, c.invalid.value);
          await ed.setField(page, c.valid.id, c.valid.value);
          const state = await ed.fieldState(page, c.valid.id);
          assert.equal(state.invalid, false, `#${c.valid.id} = ${c.valid.value} is not red`);
        } catch (err) {
          await ed.clickCancel(page);
          throw err;
        }
        await ed.clickDone(page);
        const saved = await page.evaluate(([nid, prop]) => {
          const n = RED.nodes.node(nid);
          RED.editor.validateNode(n);
          return { value: n[prop], valid: n.valid, invalid: n.validationErrors || [], dirty: n.changed === true };
        }, [id, c.valid.prop]);
        assert.equal(String(saved.value), c.valid.value, `${c.valid.prop} saved`);
        assert.deepEqual(saved.invalid, [], `no invalid property after Done: ${saved.invalid.join(', ')}`);
        assert.equal(saved.valid, true, 'the node is valid (no red triangle)');
        assert.equal(saved.dirty, true, 'the node is marked changed');
      });

      if (c.keySetting || c.keySettingCustom) {
        uiIt('shows the changed key setting in its label', async function () {
          const id = await nodeOf(this, type);
          await ed.openEditDialog(page, id);
          let expected;
          if (c.config) await selectConfig(c.config.prop, c.config.type);
          if (c.keySettingCustom) {
            expected = await c.keySettingCustom(page);
            await ed.screenshot(page, page.locator('#red-ui-editor-stack .red-ui-tray').last(), `${type}-key-setting`);
          } else {
            expected = c.keySetting.label;
            if (!c.keySetting.config) await ed.setField(page, c.keySetting.id, c.keySetting.value);
          }
          await ed.clickDone(page);
          const label = await ed.workspaceLabel(page, id);
          assert.match(label, expected);
        });
      }

      uiIt('renders its help in the Help sidebar: summary, Inputs, Outputs, Details, References', async function () {
        const def = await requireType(this, type);
        const help = await ed.showHelp(page, type);
        assert.equal(help.none, false, 'has help text');
        assert.equal(help.title, def.paletteLabel, 'titled with the palette label');
        assert.ok(help.summary.length > 20, `a one-line summary first (got ${JSON.stringify(help.summary)})`);
        for (const h of ['Inputs', 'Outputs', 'Details', 'References']) {
          assert.ok(help.headings.includes(h), `a ${h} section (has ${help.headings.join(', ')})`);
        }
        await ed.screenshot(page, page.locator('#red-ui-sidebar'), `help-${type}`);
        assert.ok(help.messageProperties >= 2, 'Inputs and Outputs list message properties (dl.message-properties)');
        assert.ok(help.links > 0, 'References link somewhere');
        assert.equal(ed.RAW_KEY.test(help.text), false, 'no untranslated keys');
      });
    });
  }

  // On Node-RED 5 (mocha run with Node 22 and TEST_NODE_RED_DIR, see README of test/e2e) the
  // editor's own dark theme; on Node-RED 4 its palette on the same theme variables.
  describe('dark theme', function () {
    before(async function () {
      if (page) console.log(`      (${await setDarkTheme(page, true)})`);
    });
    after(async function () {
      if (page) await setDarkTheme(page, false);
    });

    for (const type of FLOW_TYPES.filter((t) => NODES[t])) {
      uiIt(`${type}: every text of the dialog stays readable`, async function () {
        const id = await nodeOf(this, type);
        const tray = await ed.openEditDialog(page, id);
        try {
          const bad = await lowContrastText(page);
          await ed.screenshot(page, tray, `${type}-dark`);
          assert.deepEqual(bad, [], `text that does not follow the theme:\n${bad.join('\n')}`);
        } finally {
          await ed.clickCancel(page);
        }
      });
    }

    for (const type of CONFIG_TYPES) {
      const c = CONFIG_NODES[type];
      uiIt(`${type}: every text of the config dialog stays readable`, async function () {
        await requireType(this, type);
        const hostId = await nodeOf(this, c.host.type);
        await ed.openEditDialog(page, hostId);
        try {
          await page.click(`#node-input-btn-${c.host.prop}-add`);
          await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
          const tray = await ed.trayOpen(page);
          const bad = await lowContrastText(page);
          await ed.screenshot(page, tray, `${type}-dark`);
          assert.deepEqual(bad, [], `text that does not follow the theme:\n${bad.join('\n')}`);
          await ed.clickCancel(page, { config: true });
        } finally {
          await ed.clickCancel(page);
        }
      });
    }
  });

  describe('Import ▸ Examples', function () {
    const exampleDir = path.join(ed.REPO_ROOT, 'examples');
    const files = fs.existsSync(exampleDir) ? fs.readdirSync(exampleDir).filter((f) => f.endsWith('.json')) : [];
    const expected = FLOW_TYPES.map((t) => NODES[t] && `${NODES[t].example}.json`).filter(Boolean);
    const names = [...new Set([...expected, ...files])].map((f) => f.replace(/\.json$/, ''));

    for (const name of names) {
      uiIt(`${name}: imports from Import Example, deploys with no error and shows node statuses`, async function () {
        this.timeout(45000);
        if (!files.includes(`${name}.json`)) notThereYet(this, `examples/${name}.json does not exist yet`);
        // A clean editor and runtime for each example.
        await nr.deploy([]);
        await page.reload();
        await ed.waitForEditor(page);

        // The workspace's context menu ▸ "Import Example" (the same dialog as the main menu's
        // Import ▸ Examples tab).
        const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
        await page.mouse.click(chart.x + 400, chart.y + 300, { button: 'right' });
        const [insertLabel, menuLabel] = await page.evaluate(() => [RED._('contextMenu.insert'), RED._('menu.label.importExample')]);
        await page.locator('.red-ui-menu-dropdown a', { hasText: insertLabel }).first().hover();
        await page.locator('.red-ui-menu-dropdown a', { hasText: menuLabel }).first().click();
        const tab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
        await tab.waitFor({ state: 'visible' });
        const folder = tab.locator('.red-ui-treeList-label', { hasText: PACKAGE_NAME }).first();
        await folder.click();
        const item = tab.locator('.red-ui-treeList-label').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first();
        await item.waitFor({ state: 'visible' });
        await item.click();
        await page.click('#red-ui-clipboard-dialog-ok');
        await page.locator('#red-ui-clipboard-dialog-ok').waitFor({ state: 'hidden' });
        // Nodes imported into the current flow hang on the mouse until placed.
        if (await page.evaluate(() => RED.view.state() === RED.state.IMPORT_DRAGGING || RED.view.state() === RED.state.MOVING_ACTIVE)) {
          await page.mouse.click(500, 400);
        }
        const example = JSON.parse(fs.readFileSync(path.join(exampleDir, `${name}.json`), 'utf8'));
        const expectedCount = example.filter((n) => /^telemetry-/.test(n.type) && CONFIG_NODES[n.type] === undefined).length;
        assert.ok(expectedCount >= 1, `examples/${name}.json uses at least one telemetry node`);
        const ours = await page
          .waitForFunction((want) => {
            const found = RED.nodes.filterNodes({}).filter((n) => /^telemetry-/.test(n.type));
            return found.length >= want ? found.map((n) => ({ id: n.id, type: n.type, valid: n.valid, label: RED.utils.getNodeLabel(n) })) : null;
          }, expectedCount, { timeout: 5000 })
          .then((h) => h.jsonValue())
          .catch(() => {
            throw new Error(`the example's ${expectedCount} telemetry node(s) did not appear in the editor`);
          });
        const invalid = ours.filter((n) => !n.valid);
        assert.deepEqual(invalid, [], 'every imported node is valid');

        const logFrom = nr.logLines().length;
        const result = await ed.deploy(page);
        assert.equal(result.outcome, 'ok', `deploy: ${result.outcome} ${result.prompt || JSON.stringify(result.notifications)}`);
        assert.deepEqual(result.notifications.filter((n) => n.error), [], 'no error notification');

        // Every telemetry node of the example reports a status once it runs.
        const statuses = await page
          .waitForFunction(
            (ids) => {
              const got = ids.map((id) => {
                const n = RED.nodes.node(id);
                return n && n.status && (n.status.text || n.status.fill) ? { id, type: n.type, status: n.status } : null;
              });
              return got.every(Boolean) ? got : null;
            },
            ours.map((n) => n.id),
            { timeout: 10000 },
          )
          .then((h) => h.jsonValue())
          .catch(async () => {
            const have = await page.evaluate((ids) => ids.map((id) => ({ id, type: RED.nodes.node(id).type, status: RED.nodes.node(id).status || null })), ours.map((n) => n.id));
            throw new Error(`no status from: ${JSON.stringify(have.filter((h) => !h.status))}`);
          });
        for (const s of statuses) assert.equal(ed.RAW_KEY.test(s.status.text || ''), false, `status translated: ${s.status.text}`);
        // The imported flow's tab, as the user sees it after deploying.
        const shown = ours.find((n) => !CONFIG_NODES[n.type]).id;
        await page.evaluate((id) => RED.workspaces.show(RED.nodes.node(id).z), shown);
        // The view redraws in a later frame: wait (bounded, it is only for the screenshot) until
        // the tab's telemetry nodes are drawn with their status.
        await page
          .waitForFunction(
            (id) => {
              const z = RED.nodes.node(id).z;
              const onTab = RED.nodes.filterNodes({ z }).filter((n) => /^telemetry-/.test(n.type));
              return RED.workspaces.active() === z && onTab.every((n) => $(`#red-ui-workspace-chart g[id="${n.id}"] .red-ui-flow-node-status-group`).is(':visible'));
            },
            shown,
            { timeout: 3000 },
          )
          .catch(() => undefined);
        await ed.screenshot(page, null, `example-${name}`);
        // What the runtime said while the example ran (an artifact to read, not asserted here).
        fs.writeFileSync(path.join(ed.ARTIFACTS, `example-${name}.log`), nr.logLines().slice(logFrom).join('\n') + '\n');
      });
    }
  });

  describe('browser console', function () {
    uiIt('stayed free of uncaught errors and console errors over the whole session', async function () {
      assert.equal(session.errors.length, 0, `browser errors:\n${formatErrors(session.errors)}`);
    });
  });
});
