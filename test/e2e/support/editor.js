'use strict';
// Driving the Node-RED editor the way a user does: drag from the palette, double-click,
// type, hover for the reason of a red field, click Done, open Help, Deploy.
// Everything read back comes from the page (DOM or the editor's own RED.* state).
const fs = require('fs');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');

// A translation key shown instead of its text, e.g. "telemetry-window.label.size".
const RAW_KEY = /\b(?:[\w@/-]+:)?telemetry-[a-z-]+\.(?:label|status|errors?|tip|placeholder|validation|help|paletteLabel|windowType|timeMode|mode|format|onMissing|rule|option)[\w.-]*/;

async function waitForEditor(page) {
  await page.waitForFunction(
    () =>
      typeof window.RED !== 'undefined' &&
      RED.nodes &&
      RED.workspaces &&
      RED.workspaces.active() &&
      document.querySelector('.red-ui-palette-node[data-palette-type="inject"]') &&
      !document.querySelector('#red-ui-loading-progress:not([style*="none"])'),
    null,
    { timeout: 30000 },
  );
}

/** What the editor knows of a node type (undefined when it is not registered). */
function nodeDef(page, type) {
  return page.evaluate((t) => {
    const def = RED.nodes.getType(t);
    if (!def) return undefined;
    let paletteLabel = def.paletteLabel;
    if (typeof paletteLabel === 'function') paletteLabel = paletteLabel.call(def);
    return {
      category: def.category,
      color: def.color,
      icon: typeof def.icon === 'function' ? def.icon.call({}) : def.icon,
      paletteLabel,
      inputs: def.inputs || 0,
      outputs: def.outputs || 0,
      defaults: Object.keys(def.defaults || {}),
      credentials: Object.keys(def.credentials || {}),
    };
  }, type);
}

/** Drags `type` from the palette onto the active flow at workspace point (x, y); returns the new node's id. */
async function dropFromPalette(page, type, { x = 300, y = 200 } = {}) {
  const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
  const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await item.scrollIntoViewIfNeeded();
  const from = await item.boundingBox();
  const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2, { steps: 4 });
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
  await page.mouse.up();
  const id = await page
    .waitForFunction(
      ([t, known]) => {
        const added = RED.nodes.filterNodes({ type: t }).find((n) => !known.includes(n.id));
        return added ? added.id : null;
      },
      [type, before],
      { timeout: 5000 },
    )
    .then((h) => h.jsonValue());
  return id;
}

/** The text of a node's label on the workspace (the SVG, as rendered). */
async function workspaceLabel(page, id) {
  await page.waitForSelector(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node-label`, { state: 'attached' });
  return page.$eval(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node-label`, (el) => el.textContent.trim());
}

/** Port labels the editor shows on hover, computed as the editor does (function or array). */
function portLabels(page, id) {
  return page.evaluate((nodeId) => {
    const n = RED.nodes.node(nodeId);
    const def = n._def;
    const get = (labels, i) => {
      if (typeof labels === 'function') {
        try {
          return labels.call(n, i);
        } catch (err) {
          return `THROWS: ${err.message}`;
        }
      }
      return Array.isArray(labels) ? labels[i] : labels;
    };
    const inputs = [];
    for (let i = 0; i < (def.inputs || 0); i++) inputs.push(get(def.inputLabels, i));
    const outputs = [];
    for (let i = 0; i < (n.outputs || def.outputs || 0); i++) outputs.push(get(def.outputLabels, i));
    return { inputs, outputs };
  }, id);
}

/**
 * Waits until the top tray has slid in and the editor has finished building it: Node-RED sets
 * `right: 0` once the dialog's template, credentials and oneditprepare are done, and slides it
 * in (0.25 s). (It then ignores a close for 200 ms more: closeWith() clicks again.)
 */
async function trayOpen(page) {
  const tray = page.locator('#red-ui-editor-stack .red-ui-tray').last();
  await tray.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const trays = document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
    const el = trays[trays.length - 1];
    return el && el.style.right === '0px' && getComputedStyle(el).right === '0px';
  });
  return tray;
}

/** Double-clicks the node on the workspace and waits for its edit dialog. */
async function openEditDialog(page, id) {
  await page.evaluate((nodeId) => RED.view.reveal(nodeId, false), id);
  await page.locator('#red-ui-editor-shade').waitFor({ state: 'hidden' });
  const el = page.locator(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node`).first();
  // The view tells a double-click from two clicks by its own timer; on a busy machine a
  // double-click can land as two clicks, so a user (and this test) simply tries again.
  for (let attempt = 1; ; attempt++) {
    await el.dblclick();
    try {
      await page.locator('#node-dialog-ok').waitFor({ state: 'visible', timeout: 2500 });
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.mouse.click(5, 300); // deselect, then again
    }
  }
  return trayOpen(page);
}

// Node-RED detaches the tray below when it stacks a config node's tray on top, so "closed" is
// told by the button being gone, not by a count of trays.
async function closeWith(page, button) {
  // A tray ignores Cancel/Done for 200 ms after it has slid in ("openingTray"): click again then.
  for (let attempt = 1; ; attempt++) {
    await page.click(button);
    try {
      await page.locator(button).waitFor({ state: 'detached', timeout: 1500 });
      break;
    } catch (err) {
      if (attempt === 3 || !(await page.locator(button).count())) throw err;
    }
  }
  // The tray below (if any) slides back in; it ignores clicks until it is ready again.
  if (await page.locator('#red-ui-editor-stack .red-ui-tray').count()) await trayOpen(page);
}

function clickDone(page, { config = false } = {}) {
  return closeWith(page, config ? '#node-config-dialog-ok' : '#node-dialog-ok');
}

function clickCancel(page, { config = false } = {}) {
  return closeWith(page, config ? '#node-config-dialog-cancel' : '#node-dialog-cancel');
}

/** What kind of control `#<id>` is: text, number, select, checkbox, textarea, typed, hidden. */
function controlKind(page, elementId) {
  return page.evaluate((eid) => {
    const el = document.getElementById(eid);
    if (!el) return null;
    if (el.nextElementSibling && el.nextElementSibling.classList.contains('red-ui-typedInput-container')) return 'typed';
    if (el.tagName === 'SELECT') return 'select';
    if (el.tagName === 'TEXTAREA') return 'textarea';
    return el.type || 'text';
  }, elementId);
}

/** Sets a dialog field the way a user would: types into text fields, picks options, ticks boxes. */
async function setField(page, elementId, value) {
  const kind = await controlKind(page, elementId);
  if (!kind) throw new Error(`no #${elementId} in the dialog`);
  const sel = `#${cssEscape(elementId)}`;
  if (kind === 'checkbox') {
    await page.locator(sel).setChecked(!!value);
  } else if (kind === 'select') {
    await page.locator(sel).selectOption(String(value));
  } else if (kind === 'typed') {
    // Through the widget's own API (typing into it ends in the same call), then `change` as the
    // widget fires it.
    await page.evaluate(([eid, v]) => {
      $('#' + eid).typedInput('value', v);
      $('#' + eid).trigger('change');
    }, [elementId, String(value)]);
  } else if (kind === 'hidden') {
    await page.evaluate(([eid, v]) => $('#' + eid).val(v).trigger('change'), [elementId, String(value)]);
  } else {
    const input = page.locator(sel);
    await input.click();
    await input.fill('');
    await input.pressSequentially(String(value));
    await input.dispatchEvent('change');
  }
}

/** Is the field marked invalid, and with what reason (the tooltip a user sees on hover)? */
async function fieldState(page, elementId) {
  const state = await page.evaluate((eid) => {
    const el = $('#' + eid);
    const typed = el.next('.red-ui-typedInput-container');
    const invalid = el.hasClass('input-error') || typed.hasClass('input-error');
    return { invalid, hasTooltip: !!el.data('tooltip'), visible: el.is(':visible') || typed.is(':visible') };
  }, elementId);
  let reason = null;
  if (state.invalid && state.hasTooltip) {
    const typed = page.locator(`#${cssEscape(elementId)} + .red-ui-typedInput-container`);
    const target = (await typed.count()) ? typed : page.locator(`#${cssEscape(elementId)}`);
    await page.mouse.move(0, 0);
    await target.hover();
    const popover = page.locator('.red-ui-popover:visible').last();
    await popover.waitFor({ state: 'visible', timeout: 3000 });
    reason = (await popover.innerText()).trim();
    await page.mouse.move(0, 0);
  }
  return { invalid: state.invalid, reason, visible: state.visible };
}

function isVisible(page, selector) {
  return page.evaluate((s) => $(s).is(':visible'), selector);
}

/** Text of the dialog: labels, tips, options, placeholders (to look for untranslated keys). */
function dialogText(page) {
  return page.evaluate(() => {
    const tray = $('#red-ui-editor-stack .red-ui-tray').last();
    const bits = [tray.find('.red-ui-tray-body').text()];
    tray.find('[placeholder]').each(function () {
      bits.push(this.getAttribute('placeholder'));
    });
    tray.find('option').each(function () {
      bits.push(this.textContent);
    });
    return bits.join('\n');
  });
}

/**
 * Visible form rows with a field but no visible label text for it: neither a `label[for]`, nor
 * a label around it, nor the row's leading label (Node-RED's checkbox rows put a blank label
 * first and the text in a `label[for]` after the box). Editable lists span the whole row.
 */
function unlabelledRows(page) {
  return page.evaluate(() => {
    const tray = $('#red-ui-editor-stack .red-ui-tray').last();
    const clean = (t) => String(t || '').replace(/\u00a0/g, ' ').trim();
    const bad = [];
    tray.find('.form-row:visible').each(function () {
      const row = $(this);
      if (row.find('.red-ui-editableList').length) return;
      row.find('input:not([type=hidden]),select,textarea').filter(':visible').each(function () {
        if ($(this).closest('.red-ui-typedInput-container, .red-ui-editableList').length) return;
        const id = this.id;
        const texts = [];
        if (id) tray.find(`label[for="${id}"]`).each(function () { texts.push($(this).text()); });
        $(this).closest('label').each(function () { texts.push($(this).text()); });
        texts.push(row.children('label').first().text());
        if (!texts.some((t) => clean(t))) bad.push(id || row.attr('class'));
      });
    });
    return bad;
  });
}

/**
 * Layout faults a user would call untidy, measured on the rendered dialog: a horizontal
 * scrollbar, a checkbox whose text is not beside it, a row label wrapping onto more than two
 * lines, a label running into its field.
 */
function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const tray = $('#red-ui-editor-stack .red-ui-tray').last();
    const name = (el) => el.id || el.className || el.tagName;
    tray.find('.red-ui-tray-body, .red-ui-tray-content').each(function () {
      if (this.scrollWidth > this.clientWidth + 2) problems.push(`horizontal scrollbar: content ${this.scrollWidth}px in ${this.clientWidth}px`);
    });
    // Scrolling boxes inside the form (an editable list, a textarea) at the dialog's default width.
    tray.find('.red-ui-tray-body *:visible').each(function () {
      const overflow = getComputedStyle(this).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') && this.clientWidth > 0 && this.scrollWidth > this.clientWidth + 2) {
        problems.push(`horizontal scrollbar in ${name(this)}: content ${this.scrollWidth}px in ${this.clientWidth}px`);
      }
    });
    tray.find('input[type=checkbox]:visible').each(function () {
      const box = this.getBoundingClientRect();
      let label = this.id ? tray.find(`label[for="${this.id}"]`).filter(':visible').last()[0] : null;
      if (!label) label = $(this).closest('label')[0];
      if (!label || label.contains(this)) return; // the box sits inside its own label
      const r = label.getBoundingClientRect();
      const beside = r.top < box.bottom + 4 && r.bottom > box.top - 4 && r.left >= box.left;
      if (!beside) problems.push(`checkbox #${this.id}: its text is not beside it (box at ${Math.round(box.left)},${Math.round(box.top)}, text at ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)})`);
    });
    tray.find('.form-row:visible').each(function () {
      const row = $(this);
      const label = row.children('label:visible').first()[0];
      if (!label) return;
      const r = label.getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(label).lineHeight) || 20;
      if (r.height > lineHeight * 2 + 6) problems.push(`label "${label.textContent.trim()}" wraps onto ${Math.round(r.height / lineHeight)} lines`);
      // An icon left alone on the first line, its words pushed below it.
      const icon = label.querySelector('i.fa');
      if (icon) {
        const iconBox = icon.getBoundingClientRect();
        const words = [];
        const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          if (!t.textContent.trim() || icon.contains(t)) continue;
          const range = document.createRange();
          range.selectNodeContents(t);
          words.push(...Array.from(range.getClientRects()).filter((b) => b.width > 0));
        }
        if (words.length && words.every((b) => b.top >= iconBox.bottom - 2)) problems.push(`label "${label.textContent.trim()}": its icon sits alone on the first line`);
      }
      const field = row.children('input:visible, select:visible, textarea:visible, .red-ui-typedInput-container:visible, div:visible').not(label).first()[0];
      if (field) {
        const f = field.getBoundingClientRect();
        const sameLine = f.top < r.bottom && f.bottom > r.top;
        if (sameLine && f.left < r.right - 2 && f.right > r.left) problems.push(`label "${label.textContent.trim()}" overlaps ${name(field)}`);
      }
    });
    return problems;
  });
}

/** Opens a node type's help in the Help sidebar; returns what it renders. */
async function showHelp(page, type) {
  await page.evaluate((t) => RED.sidebar.help.show(t), type);
  const help = page.locator('.red-ui-sidebar-help-stack .red-ui-help').first();
  await help.waitFor({ state: 'visible' });
  return page.evaluate(() => {
    const root = $('.red-ui-sidebar-help-stack .red-ui-help').first();
    const title = $('.red-ui-sidebar-help-stack .red-ui-help-title').first().text().trim();
    return {
      title,
      text: root.text(),
      none: root.find('.red-ui-help-info-none').length > 0,
      summary: root.find('p').first().text().trim(),
      headings: root.find('h3').map(function () { return $(this).text().trim(); }).get(),
      messageProperties: root.find('dl.message-properties').length,
      links: root.find('a[href^="http"]').length,
    };
  });
}

/** Clicks Deploy; resolves { ok, outcome, notifications, prompt } once the editor has answered. */
async function deploy(page) {
  const before = await page.evaluate(() => RED.nodes.version());
  await page.click('#red-ui-header-button-deploy');
  const outcome = await page
    .waitForFunction(
      (v) => {
        // "…not properly configured" / "…unknown nodes" ask before deploying: a failure here.
        if ($('#red-ui-deploy-dialog-confirm-deploy-deploy:visible').length) return 'prompt';
        if ($('.red-ui-notification-error:visible').length) return 'error';
        if (!RED.nodes.dirty() && RED.nodes.version() !== v) return 'ok';
        return null;
      },
      before,
      { timeout: 20000 },
    )
    .then((h) => h.jsonValue());
  const notifications = await page.evaluate(() =>
    $('.red-ui-notification:visible').map(function () { return { error: $(this).hasClass('red-ui-notification-error'), text: $(this).text().trim() }; }).get(),
  );
  let prompt = null;
  if (outcome === 'prompt') {
    prompt = await page.evaluate(() => $('#red-ui-deploy-dialog-confirm-deploy-deploy').closest('.red-ui-notification').text().trim());
    // Answer "Cancel" so the editor is usable for the next test.
    await page.evaluate(() => $('#red-ui-deploy-dialog-confirm-deploy-deploy').closest('.red-ui-notification').find('button').first().trigger('click'));
  }
  return { ok: outcome === 'ok', outcome, notifications, prompt };
}

async function screenshot(page, locatorOrNull, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  if (locatorOrNull) await locatorOrNull.screenshot({ path: file });
  else await page.screenshot({ path: file });
  return file;
}

function cssEscape(id) {
  return id.replace(/([^\w-])/g, '\\$1');
}

module.exports = {
  REPO_ROOT,
  ARTIFACTS,
  RAW_KEY,
  waitForEditor,
  nodeDef,
  dropFromPalette,
  workspaceLabel,
  portLabels,
  openEditDialog,
  trayOpen,
  clickDone,
  clickCancel,
  controlKind,
  setField,
  fieldState,
  isVisible,
  dialogText,
  unlabelledRows,
  layoutProblems,
  showHelp,
  deploy,
  screenshot,
};
