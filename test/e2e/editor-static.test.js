'use strict';
// Static checks of the editor files that a browser run cannot see on Node-RED 4.1 (which
// ships no dark theme): our CSS (each dialog's and the shared resources/telemetry-editor.css)
// must not leak into other dialogs or fix light colours, and the texts the templates name must
// exist. Runs without a browser, in milliseconds.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const NODES_DIR = path.join(REPO_ROOT, 'nodes');
const LOCALES = path.join(NODES_DIR, 'locales', 'en-US');
const pkg = require(path.join(REPO_ROOT, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes);
const IN_CI = process.env.CI === 'true';
const SHARED_CSS = path.join(REPO_ROOT, 'resources', 'telemetry-editor.css');
const SHARED_HREF = `resources/${pkg.name}/telemetry-editor.css`;

// Every theme variable Node-RED defines (dark themes redefine these, never our fallbacks).
const NODE_RED_CSS = path.join(path.dirname(require.resolve('@node-red/editor-client/package.json', { paths: [REPO_ROOT] })), 'public', 'red', 'style.min.css');
const THEME_VARS = new Set((fs.readFileSync(NODE_RED_CSS, 'utf8').match(/--red-ui-[a-z0-9-]+(?=\s*:)/g) || []));

const COLOUR_PROPS = /^(color|background(-color)?|border(-(top|right|bottom|left))?(-color)?|outline(-color)?|fill|stroke|box-shadow|text-shadow|caret-color)$/;
const NAMED = /\b(white|black|gr[ae]y|silver|red|green|blue|yellow|orange|navy|maroon|lightgr[ae]y|darkgr[ae]y|whitesmoke|gainsboro)\b/i;
const LITERAL = /#[0-9a-f]{3,8}\b|\b(rgba?|hsla?)\(/i;

function notThereYet(ctx, what) {
  if (IN_CI) throw new Error(`${what} (missing in CI is a failure)`);
  console.log(`      !!! SKIPPING: ${what}`);
  ctx.skip();
}

/** `var(--x, fallback)` removed (fallbacks are only used where the theme lacks the variable). */
function withoutVars(value) {
  let out = value;
  for (let i = 0; i < 5 && /var\(/.test(out); i++) out = out.replace(/var\(\s*--[\w-]+\s*(,[^()]*(\([^()]*\))?[^()]*)?\)/g, '');
  return out;
}

/** `{ selector, decls: [[prop, value]] }` for each rule, @media/@supports bodies flattened. */
function cssRules(css) {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const rules = [];
  let i = 0;
  function parse(end) {
    while (i < text.length) {
      const open = text.indexOf('{', i);
      const close = text.indexOf('}', i);
      if (close !== -1 && (open === -1 || close < open)) {
        i = close + 1;
        if (end) return;
        continue;
      }
      if (open === -1) return;
      const head = text.slice(i, open).trim();
      i = open + 1;
      if (head.startsWith('@')) {
        parse(true);
        continue;
      }
      const stop = text.indexOf('}', i);
      const body = text.slice(i, stop);
      i = stop + 1;
      const decls = body
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => [d.slice(0, d.indexOf(':')).trim().toLowerCase(), d.slice(d.indexOf(':') + 1).trim()]);
      rules.push({ selector: head, decls });
    }
  }
  parse(false);
  return rules;
}

function blocks(html, re) {
  const out = [];
  let m;
  while ((m = re.exec(html))) out.push(m[1]);
  return out;
}

function flatten(obj, prefix = '', out = new Set()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v, key, out);
    else out.add(key);
  }
  return out;
}

/** Selectors that do not start with a .telemetry-… / #telemetry-… scope. */
function unscoped(cssTexts) {
  const bad = [];
  for (const css of cssTexts) {
    for (const rule of cssRules(css)) {
      for (const selector of rule.selector.split(',').map((s) => s.trim())) {
        const first = selector.split(/\s+|>|\+|~/)[0];
        if (!/[.#]telemetry-[\w-]+/.test(first)) bad.push(selector);
      }
    }
  }
  return bad;
}

/** Fixed colours (a literal other than a var() fallback) and theme variables Node-RED lacks. */
function fixedColours(cssTexts) {
  const bad = [];
  for (const css of cssTexts) {
    for (const rule of cssRules(css)) {
      for (const [prop, value] of rule.decls) {
        for (const v of value.match(/--red-ui-[\w-]+/g) || []) {
          if (!THEME_VARS.has(v)) bad.push(`${rule.selector} { ${prop}: ${value} }: Node-RED has no ${v} (the fallback would always show)`);
        }
        if (!COLOUR_PROPS.test(prop)) continue;
        const bare = withoutVars(value);
        if (LITERAL.test(bare) || NAMED.test(bare)) bad.push(`${rule.selector} { ${prop}: ${value} }`);
      }
    }
  }
  return bad;
}

describe('editor files: scoped CSS, theme colours, texts (static)', function () {
  // The rules every dialog shares: linked by each node's HTML, scoped to .telemetry-form.
  describe('resources/telemetry-editor.css', function () {
    const css = fs.readFileSync(SHARED_CSS, 'utf8');

    it('scopes every CSS rule to .telemetry-form (no rule reaches other dialogs)', function () {
      const bad = cssRules(css)
        .flatMap((rule) => rule.selector.split(',').map((s) => s.trim()))
        .filter((selector) => !/^\.telemetry-form\b/.test(selector));
      assert.deepEqual(bad, [], `selectors outside .telemetry-form: ${bad.join(' | ')}`);
    });

    it('uses theme variables for colours, and only variables Node-RED defines', function () {
      const bad = fixedColours([css]);
      assert.deepEqual(bad, [], `fixed colours that break on a dark theme:\n${bad.join('\n')}`);
    });

    it('is linked by every node\'s HTML, whose template sits in a .telemetry-form', function () {
      const bad = [];
      for (const type of TYPES) {
        const file = path.join(NODES_DIR, `${type}.html`);
        if (!fs.existsSync(file)) continue; // reported by the node's own tests
        const html = fs.readFileSync(file, 'utf8');
        if (!html.includes(`<link rel="stylesheet" href="${SHARED_HREF}">`)) bad.push(`${type}: no <link> to ${SHARED_HREF}`);
        const template = blocks(html, /<script type="text\/html" data-template-name="[^"]+">([\s\S]*?)<\/script>/g)[0] || '';
        if (!/<div class="telemetry-form[ "]/.test(template)) bad.push(`${type}: its template has no <div class="telemetry-form">`);
      }
      assert.deepEqual(bad, [], bad.join('\n'));
    });
  });

  for (const type of TYPES) {
    const htmlFile = path.join(NODES_DIR, `${type}.html`);
    const helpFile = path.join(LOCALES, `${type}.html`);
    const localeFile = path.join(LOCALES, `${type}.json`);
    const read = (ctx, file) => {
      if (!fs.existsSync(file)) notThereYet(ctx, `${path.relative(REPO_ROOT, file)} does not exist yet`);
      return fs.readFileSync(file, 'utf8');
    };

    describe(type, function () {
      it('scopes every CSS rule to its own telemetry- class or id (no rule reaches other dialogs)', function () {
        const bad = unscoped(blocks(read(this, htmlFile), /<style[^>]*>([\s\S]*?)<\/style>/gi));
        assert.deepEqual(bad, [], `selectors not starting with a .telemetry-… / #telemetry-… scope: ${bad.join(' | ')}`);
      });

      it('uses theme variables for colours (a literal only as a var() fallback), and only variables Node-RED defines', function () {
        const bad = fixedColours(blocks(read(this, htmlFile), /<style[^>]*>([\s\S]*?)<\/style>/gi));
        assert.deepEqual(bad, [], `fixed colours that break on a dark theme:\n${bad.join('\n')}`);
      });

      it('puts no fixed colours in inline style attributes or .css() calls (dialog and help)', function () {
        const bad = [];
        for (const file of [htmlFile, helpFile]) {
          const text = read(this, file);
          for (const style of blocks(text, /style\s*=\s*"([^"]*)"/gi).concat(blocks(text, /style\s*=\s*'([^']*)'/gi))) {
            for (const decl of style.split(';')) {
              const prop = decl.slice(0, decl.indexOf(':')).trim().toLowerCase();
              const bare = withoutVars(decl.slice(decl.indexOf(':') + 1));
              if (COLOUR_PROPS.test(prop) && (LITERAL.test(bare) || NAMED.test(bare))) bad.push(`${path.basename(file)}: style="${style}"`);
            }
          }
          for (const m of text.match(/\.css\(\s*['"](color|background(-color)?|border(-color)?)['"]\s*,\s*['"][^'"]*['"]/gi) || []) {
            if (LITERAL.test(withoutVars(m)) || NAMED.test(withoutVars(m.replace(/^[^,]*,/, '')))) bad.push(`${path.basename(file)}: ${m}`);
          }
        }
        assert.deepEqual(bad, [], bad.join('\n'));
      });

      it('keeps its help free of <style> blocks', function () {
        const help = read(this, helpFile);
        assert.equal(/<style/i.test(help), false);
      });

      it('has an en-US text for every data-i18n key its templates name', function () {
        const html = read(this, htmlFile);
        const keys = flatten(JSON.parse(read(this, localeFile)));
        const missing = [];
        for (const attr of blocks(html, /data-i18n\s*=\s*"([^"]*)"/g)) {
          for (const part of attr.split(';')) {
            const key = part.replace(/^\[[^\]]*\]/, '').trim();
            if (!key.startsWith(`${type}.`)) continue; // Node-RED's own keys (node-red:common.…)
            if (!keys.has(key)) missing.push(key);
          }
        }
        assert.deepEqual(missing, [], `keys missing from locales/en-US/${type}.json: ${missing.join(', ')}`);
      });

      it('ships the icon it names: a white-on-transparent SVG', function () {
        const html = read(this, htmlFile);
        if (/category:\s*'config'/.test(html)) return; // config nodes have no palette icon
        const m = /icon:\s*['"]([^'"]+)['"]/.exec(html);
        assert.ok(m, 'registerType names an icon');
        const file = path.join(NODES_DIR, 'icons', m[1]);
        assert.ok(fs.existsSync(file), `nodes/icons/${m[1]} exists`);
        const svg = fs.readFileSync(file, 'utf8');
        assert.match(svg, /<svg[^>]*viewBox="0 0 40 60"/, 'a 40×60 viewBox like the core icons');
        const colours = (svg.match(/(fill|stroke)\s*[=:]\s*["']?([^"';\s>]+)/g) || []).map((c) => c.replace(/^(fill|stroke)\s*[=:]\s*["']?/, '').toLowerCase());
        const notWhite = colours.filter((c) => !['#fff', '#ffffff', 'white', 'none', 'currentcolor'].includes(c));
        assert.deepEqual(notWhite, [], 'white strokes and fills only (transparent background)');
        assert.equal(/<rect[^>]*width="40"[^>]*height="60"/.test(svg), false, 'no background rectangle');
      });
    });
  }
});
