'use strict';
// The Flow Library's packaging rules (node-red-dev 0.1.6: P01–P08 package, N01–N02 nodes,
// D01–D03 dependencies), checked two ways:
// 1. offline, here, on the `npm pack` tarball — stricter than the validator where it is lenient
//    (it only *logs* "Unable to parse" for a node whose HTML is missing, and its P05 can never
//    fail), and with messages that name the missing file;
// 2. by the real validator (scripts/validate-package.js), its catalogue request answered with an
//    empty catalogue because catalogue.nodered.org is unreachable here.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const semver = require('semver');

const { RULES, packRepo, ensureNodeRedDev, runValidator, failedRules, NODE_RED_DEV_VERSION } = require('../../scripts/validate-package');

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const nodeTypes = Object.entries(pkg['node-red'].nodes);

// acorn / acorn-walk as node-red's own core nodes use them (node-red is a devDependency).
const nrNodesDir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
const acorn = require(require.resolve('acorn', { paths: [nrNodesDir] }));
const walk = require(require.resolve('acorn-walk', { paths: [nrNodesDir] }));

/**
 * The editor definitions in a node HTML file, parsed as node-red-dev's getNodeDefinitions does:
 * every `*.registerType(<literal>, <object literal>)` in `<script type="text/javascript">`.
 * Returns `{ defs: { type: { keys, literal: {color, category, inputs, outputs, icon, ...}, inline: {...} } }, errors }`.
 */
function editorDefinitions(file) {
  const html = fs.readFileSync(file, 'utf8');
  const scripts = [...html.matchAll(/<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi)].map((m) => m[1]);
  const defs = {};
  const errors = [];
  if (scripts.length === 0) errors.push('no <script type="text/javascript"> section');
  for (const src of scripts) {
    let ast;
    try {
      ast = acorn.parse(src, { ecmaVersion: 'latest' });
    } catch (err) {
      errors.push(`syntax error in <script>: ${err.message}`);
      continue;
    }
    walk.simple(ast, {
      CallExpression(node) {
        if (!(node.callee.property && node.callee.property.name === 'registerType')) return;
        const [typeNode, defNode] = node.arguments;
        if (!typeNode || typeNode.type !== 'Literal') {
          errors.push('registerType with a non-literal type name');
          return;
        }
        if (!defNode || defNode.type !== 'ObjectExpression') {
          errors.push(`registerType('${typeNode.value}', …) without an inline object literal`);
          return;
        }
        const def = { keys: [], literal: {}, inline: {} };
        for (const prop of defNode.properties) {
          const key = prop.key && (prop.key.name || prop.key.value);
          if (!key) continue;
          def.keys.push(key);
          if (prop.value.type === 'Literal') def.literal[key] = prop.value.value;
          if (prop.value.type === 'ObjectExpression') {
            def.inline[key] = prop.value.properties.map((p) => p.key && (p.key.name || p.key.value));
          }
        }
        defs[typeNode.value] = def;
      },
    });
  }
  return { defs, errors };
}

let packed;

/** assert.ok without the useless true/false diff in mocha's output. */
function must(condition, message) {
  if (!condition) assert.fail(message);
}

describe(`Flow Library packaging rules (node-red-dev ${NODE_RED_DEV_VERSION} rule set)`, function () {
  this.timeout(60000);

  before(function () {
    packed = packRepo();
  });
  after(function () {
    if (packed && !process.env.KEEP_TEST_DATA) fs.rmSync(packed.dir, { recursive: true, force: true });
  });

  const inPack = (p) => packed.files.includes(p);
  const packPath = (p) => path.join(packed.packageDir, p);

  describe('package (P01–P07)', function () {
    it('P01 declares a license, and the LICENSE file it lists in "files" is in the package', function () {
      must(pkg.license, 'package.json has no "license"');
      must(/^[A-Za-z0-9.+-]+( (OR|AND) [A-Za-z0-9.+-]+)*$/.test(pkg.license), `license "${pkg.license}" is not an SPDX id`);
      const listed = (pkg.files || []).filter((f) => /^LICEN[CS]E/i.test(f));
      for (const f of listed) must(inPack(f), `"files" lists ${f} but the tarball has none (add ${f} to the repo root)`);
    });

    it('P03 has a repository (or bugs) URL', function () {
      const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository && pkg.repository.url;
      must(repo || pkg.bugs, 'package.json needs "repository" or "bugs"');
    });

    it('P04 uses a scoped name', function () {
      assert.match(pkg.name, /^@[a-z\d][\w.-]+\/[a-z\d][\w.-]*$/);
    });

    it('P05 keywords contain "node-red"', function () {
      must(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), `keywords: ${JSON.stringify(pkg.keywords)}`);
    });

    it('P06 declares node-red.version, satisfied by the Node-RED releases we test (4.1.x and 5.x)', function () {
      const range = pkg['node-red'].version;
      must(range && semver.validRange(range), `node-red.version "${range}" is not a semver range`);
      const nr4 = require('node-red/package.json').version.replace(/-.*$/, '');
      for (const v of [nr4, '5.0.0']) must(semver.satisfies(v, range), `Node-RED ${v} does not satisfy node-red.version "${range}"`);
    });

    it('P07 declares engines.node that admits the minimum Node.js of the Node-RED releases we support', function () {
      const range = pkg.engines && pkg.engines.node;
      must(range && semver.validRange(range), 'package.json needs engines.node');
      const nrEngines = require('node-red/package.json').engines.node;
      const min = semver.minVersion(nrEngines);
      must(semver.satisfies(min, range), `engines.node "${range}" excludes Node ${min}, the minimum of Node-RED ${require('node-red/package.json').version}`);
    });

    it('"files" ships dist/, nodes/, examples/, README.md, and never src/ or test/', function () {
      for (const p of ['package.json', 'README.md']) must(inPack(p), `${p} is not in the tarball`);
      for (const prefix of ['dist/', 'nodes/', 'examples/']) {
        must(packed.files.some((f) => f.startsWith(prefix)), `no ${prefix} files in the tarball`);
      }
      const stray = packed.files.filter((f) => /^(src|test|bench|\.cache|\.ci)\//.test(f));
      assert.deepStrictEqual(stray, [], 'development files in the tarball');
    });
  });

  describe('nodes (N01, N02, editor definitions)', function () {
    it('every node type in package.json has its files (nodes/<type>.js, .html, locales)', function () {
      const missing = [];
      for (const [type, js] of nodeTypes) {
        const dir = path.posix.dirname(js);
        const files = [js, js.replace(/\.js$/, '.html'), `${dir}/locales/en-US/${type}.json`, `${dir}/locales/en-US/${type}.html`];
        const absent = files.filter((f) => !fs.existsSync(path.join(ROOT, f)));
        if (absent.length) missing.push(`${type}: ${absent.join(', ')}`);
      }
      must(missing.length === 0, `node files MISSING for ${missing.length} of ${nodeTypes.length} types:\n    ${missing.join('\n    ')}`);
    });

    for (const [type, jsFile] of nodeTypes) {
      const htmlFile = jsFile.replace(/\.js$/, '.html');

      it(`${type}: ${jsFile} resolves to built code inside the package`, function () {
        must(fs.existsSync(path.join(ROOT, jsFile)), `MISSING node file ${jsFile} (type ${type} is registered in package.json but not written yet)`);
        must(inPack(jsFile), `${jsFile} exists but is not in the tarball`);
        const src = fs.readFileSync(packPath(jsFile), 'utf8');
        const m = /require\(\s*['"]([^'"]+)['"]\s*\)/.exec(src);
        must(m, `${jsFile} does not require its implementation`);
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(jsFile), m[1]));
        const candidates = [target, `${target}.js`, `${target}/index.js`];
        must(candidates.some(inPack), `${jsFile} requires ${m[1]}, which is not in the tarball (is it built? is it listed in "files"?)`);
      });

      it(`${type}: ${htmlFile} registers '${type}' with literal category/color/inputs/outputs/icon and inline defaults`, function () {
        must(fs.existsSync(path.join(ROOT, htmlFile)), `MISSING editor file ${htmlFile} for type ${type}`);
        must(inPack(htmlFile), `${htmlFile} exists but is not in the tarball`);
        const { defs, errors } = editorDefinitions(packPath(htmlFile));
        assert.deepStrictEqual(errors, [], `${htmlFile}: ${errors.join('; ')}`);
        must(defs[type], `${htmlFile} has no RED.nodes.registerType('${type}', {…}) (found: ${Object.keys(defs).join(', ') || 'none'})`);
        const def = defs[type];
        const notLiteral = ['category', 'color', 'inputs', 'outputs', 'icon'].filter(
          (k) => def.keys.includes(k) && !(k in def.literal),
        );
        assert.deepStrictEqual(notLiteral, [], `${type}: these must be literals, not expressions: ${notLiteral.join(', ')}`);
        must(def.inline.defaults, `${type}: "defaults" must be an inline object literal`);
        if (def.keys.includes('credentials')) must(def.inline.credentials, `${type}: "credentials" must be an inline object literal`);
        must('category' in def.literal, `${type}: no category`);
        if (def.literal.category === 'config') {
          must(!('inputs' in def.literal) || def.literal.inputs === 0, `${type}: config node with inputs`);
        } else {
          assert.strictEqual(def.literal.category, 'telemetry', `${type}: palette category`);
          for (const k of ['color', 'inputs', 'outputs', 'icon']) must(k in def.literal, `${type}: no literal "${k}"`);
        }
        for (const secret of ['password', 'token', 'username']) {
          must(!def.inline.defaults.includes(secret), `${type}: "${secret}" belongs in credentials, not defaults`);
        }
      });

      it(`${type}: help and labels in nodes/locales/en-US/${type}.{html,json}`, function () {
        const dir = path.posix.dirname(jsFile);
        for (const f of [`${dir}/locales/en-US/${type}.html`, `${dir}/locales/en-US/${type}.json`]) {
          must(fs.existsSync(path.join(ROOT, f)), `MISSING ${f}`);
          must(inPack(f), `${f} is not in the tarball`);
        }
        JSON.parse(fs.readFileSync(packPath(`${dir}/locales/en-US/${type}.json`), 'utf8'));
        const help = fs.readFileSync(packPath(`${dir}/locales/en-US/${type}.html`), 'utf8');
        assert.match(help, new RegExp(`data-help-name=["']${type}["']`), `${type}: help must be a <script type="text/html" data-help-name="${type}">`);
      });
    }

    it('(self-check) the editor-definition parser sees through what the validator refuses', function () {
      const file = path.join(packed.dir, 'probe.html');
      fs.writeFileSync(file, `<script type="text/javascript">
        const d = { x: { value: 1 } }; const name = 'dyn';
        RED.nodes.registerType('good', { category: 'telemetry', color: '#abc', defaults: { a: { value: '' } }, inputs: 1, outputs: 2, icon: 'x.svg' });
        RED.nodes.registerType('bad', { category: 'telemetry', color: pick(), defaults: d, inputs: 1, outputs: 2, icon: 'x.svg' });
        RED.nodes.registerType(name, { category: 'telemetry' });
      </script>`);
      const { defs, errors } = editorDefinitions(file);
      assert.deepStrictEqual(defs.good.inline.defaults, ['a']);
      assert.deepStrictEqual(defs.good.literal, { category: 'telemetry', color: '#abc', inputs: 1, outputs: 2, icon: 'x.svg' });
      assert.ok(!('color' in defs.bad.literal) && !defs.bad.inline.defaults);
      assert.deepStrictEqual(errors, ['registerType with a non-literal type name']);
    });

    it('N01 node type names are unique and do not clash with core Node-RED types', function () {
      const coreTypes = new Set();
      const coreDir = path.join(nrNodesDir, 'core');
      for (const sub of fs.readdirSync(coreDir)) {
        for (const f of fs.readdirSync(path.join(coreDir, sub)).filter((x) => x.endsWith('.html'))) {
          for (const t of Object.keys(editorDefinitions(path.join(coreDir, sub, f)).defs)) coreTypes.add(t);
        }
      }
      must(coreTypes.has('inject') && coreTypes.has('mqtt in'), 'could not read the core node types');
      const types = nodeTypes.map(([t]) => t);
      assert.strictEqual(new Set(types).size, types.length, 'duplicate type names in package.json');
      assert.deepStrictEqual(types.filter((t) => coreTypes.has(t)), [], 'type names used by core Node-RED');
      assert.deepStrictEqual(types.filter((t) => !/^telemetry-[a-z-]+$/.test(t)), [], 'type names outside the telemetry- prefix');
    });

    it('N02 examples/*.json are importable flows that use every non-config node', function () {
      const examples = packed.files.filter((f) => f.startsWith('examples/') && f.endsWith('.json'));
      must(examples.length > 0, 'no examples/*.json in the package');
      const used = new Set();
      for (const f of examples) {
        let flow;
        try {
          flow = JSON.parse(fs.readFileSync(packPath(f), 'utf8'));
        } catch (err) {
          assert.fail(`${f} is not valid JSON: ${err.message}`);
        }
        must(Array.isArray(flow), `${f} must be a flow export (a JSON array of nodes)`);
        for (const n of flow) used.add(n.type);
      }
      const needed = nodeTypes
        .map(([type, js]) => {
          const html = path.join(ROOT, js.replace(/\.js$/, '.html'));
          const def = fs.existsSync(html) ? editorDefinitions(html).defs[type] : null;
          return def && def.literal.category === 'config' ? null : type;
        })
        .filter(Boolean);
      const missing = needed.filter((t) => !used.has(t));
      assert.deepStrictEqual(missing, [], `no example flow uses: ${missing.join(', ')}`);
    });
  });

  describe('dependencies (D01–D03)', function () {
    const deps = pkg.dependencies || {};

    it('D01 has at most 6 runtime dependencies', function () {
      must(Object.keys(deps).length <= 6, `${Object.keys(deps).length} dependencies: ${Object.keys(deps).join(', ')}`);
    });

    it('D02 no known-incompatible package (agent-base < 6) in the production dependency tree', function () {
      const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
      const bad = Object.entries(lock.packages || {}).filter(
        ([p, info]) => !info.dev && p.endsWith('node_modules/agent-base') && semver.lt(info.version, '6.0.0'),
      );
      assert.deepStrictEqual(bad.map(([p, i]) => `${p}@${i.version}`), []);
    });

    it('D03 (offline part) runtime dependencies are registry semver ranges: no git/URL/file pins, no node-red', function () {
      for (const [name, spec] of Object.entries(deps)) {
        must(semver.validRange(spec), `${name}: "${spec}" is not a registry version range (git/URL/file dependencies are refused)`);
      }
      for (const forbidden of ['node-red', '@node-red/util', '@node-red/runtime', 'typescript']) {
        must(!(forbidden in deps), `${forbidden} must not be a runtime dependency`);
      }
    });
  });

  describe(`node-red-dev@${NODE_RED_DEV_VERSION} validate on the packed package (catalogue stubbed empty)`, function () {
    let result;
    before(function () {
      this.timeout(180000);
      let bin;
      try {
        bin = ensureNodeRedDev({ quiet: true });
      } catch (err) {
        const msg = `cannot install node-red-dev@${NODE_RED_DEV_VERSION} from the npm registry: ${String(err.stderr || err.message).trim().split('\n').pop()}`;
        if (process.env.CI === 'true') throw new Error(msg);
        console.warn(`\n!!! SKIPPING the node-red-dev run: ${msg}\n`);
        this.skip();
      }
      result = runValidator(packed.packageDir, { bin });
      must(result.scorecard, `node-red-dev wrote no scorecard:\n${result.output}`);
    });

    it('names the package and reports every rule code', function () {
      assert.strictEqual(result.scorecard.package.name, pkg.name);
      const absent = Object.keys(RULES).filter((c) => !result.scorecard[c]);
      assert.deepStrictEqual(absent, [], `rules missing from the scorecard:\n${result.output}`);
    });

    for (const [code, what] of Object.entries(RULES)) {
      it(`${code}: ${what}`, function () {
        const failed = failedRules(result.scorecard);
        if (failed.includes(code)) {
          const lines = result.output.split('\n').filter((l) => l.includes(code) || /Unable to parse|Warning/.test(l));
          assert.fail(`${code} failed: ${JSON.stringify(result.scorecard[code])}\n${lines.join('\n')}`);
        }
      });
    }
  });
});
