'use strict';
// Per-stage cost of a pipeline from a V8 .cpuprofile of its Node-RED process: the self time of
// every sample is charged to one stage, then divided by the readings landed in that run.
//
// A sample's stage is decided by its stack, innermost frame first:
// - (garbage collector) → GC; (program) → other;
// - the first frame in node_modules/@node-red/* or node_modules/node-red/ → "Node-RED runtime"
//   (message routing, send, the deep clone per extra wire — even when one of our nodes called it);
// - the first frame in dist/nodes/<unit>/ for a pipeline unit → that stage (so a builtin such as
//   JSON.parse, or dist/core and dist/io code, is charged to the node that called it);
//   RED._() (i18next) is passed over, so a status text is charged to the node that asked for it;
// - with neither on the stack (socket and timer callbacks of libraries): the innermost frame
//   that hints at a stage — the mqtt / mqtt-packet packages and dist/io/mqtt-* → ingest (its own
//   broker connection), dist/io/influx-* → archive, dist/core/<unit>/ → that unit — or else
//   "other" (Node.js internals, other packages).
//
//   node bench/lib/stages.js <file.cpuprofile> <readings>
const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');
const STAGES = ['ingest', 'enrich', 'window', 'archive'];
const ROWS = [...STAGES, 'Node-RED runtime', 'GC', 'other'];

function fileOf(url) {
  if (!url) return '';
  return url.replace(/^file:\/\//, '');
}

/** { decisive: stage } or { hint: stage } or {} for one call frame. */
function classify(cf) {
  const f = fileOf(cf.url);
  if (!f || f.startsWith('node:')) return {};
  // RED._() (status texts, messages) is the calling node's cost, not the runtime's.
  if (/\/node_modules\/(i18next\/|@node-red\/util\/lib\/i18n\.js|@node-red\/registry\/lib\/util\.js)/.test(f)) return {};
  if (/\/node_modules\/(@node-red\/|node-red\/)/.test(f)) return { decisive: 'Node-RED runtime' };
  const rel = f.startsWith(REPO) ? path.relative(REPO, f).split(path.sep).join('/') : '';
  let m = /^dist\/nodes\/([^/]+)\//.exec(rel);
  if (m && STAGES.includes(m[1])) return { decisive: m[1] };
  m = /^dist\/core\/([^/]+)\//.exec(rel);
  if (m && STAGES.includes(m[1])) return { hint: m[1] };
  if (/^dist\/core\/mqtt\//.test(rel) || /^dist\/io\/mqtt-/.test(rel)) return { hint: 'ingest' };
  if (/^dist\/io\/influx-/.test(rel)) return { hint: 'archive' };
  if (/\/node_modules\/(mqtt|mqtt-packet)\//.test(f)) return { hint: 'ingest' };
  return {};
}

/** Work worth seeing on its own wherever it happens: a tag for the leaf's file, or undefined. */
function tagOf(cf) {
  const f = fileOf(cf.url);
  if (/\/node_modules\/(i18next\/|@node-red\/util\/lib\/i18n\.js)/.test(f)) return 'RED._ (i18n texts)';
  if (/\/node_modules\/lodash\.clonedeep\//.test(f) || (/\/@node-red\/util\/lib\/util\.js$/.test(f) && cf.functionName === 'cloneMessage')) return 'msg deep clone (Node-RED)';
  return undefined;
}

/**
 * @returns {{ busyMs, totalMs, stages: Array<{ stage, selfMs, pct }>, tagged: Array<{ tag, selfMs, by: { stage: ms } }> }},
 *   pct of busy time; `tagged`: RED._ and message cloning, by the node on whose stack they ran
 *   (the sender, for a clone).
 */
function stageTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const tagOfNode = new Map();
  /** [tag, the innermost of our nodes on the stack] of a sample's leaf, or undefined. */
  const taggedOf = (id) => {
    if (tagOfNode.has(id)) return tagOfNode.get(id);
    let out;
    let tag;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      tag = tag || tagOf(cf);
      if (!tag) continue;
      const m = /^dist\/nodes\/([^/]+)\//.exec(path.relative(REPO, fileOf(cf.url)).split(path.sep).join('/'));
      if (m && STAGES.includes(m[1])) {
        out = [tag, m[1]];
        break;
      }
    }
    if (!out && tag) out = [tag, 'other'];
    tagOfNode.set(id, out);
    return out;
  };
  const tagged = new Map();
  const stageOfNode = new Map();
  const stageOf = (id) => {
    if (stageOfNode.has(id)) return stageOfNode.get(id);
    const leaf = byId.get(id).callFrame.functionName;
    let stage;
    if (leaf === '(idle)') stage = 'idle';
    else if (leaf === '(garbage collector)') stage = 'GC';
    else if (leaf === '(program)') stage = 'other';
    else {
      let hint;
      for (let cur = id; cur !== undefined && !stage; cur = parent.get(cur)) {
        const c = classify(byId.get(cur).callFrame);
        if (c.decisive) stage = c.decisive;
        else if (c.hint && !hint) hint = c.hint;
      }
      stage = stage || hint || 'other';
    }
    stageOfNode.set(id, stage);
    return stage;
  };
  const ms = new Map(ROWS.map((r) => [r, 0]));
  let idle = 0;
  let total = 0;
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = Math.max(0, (timeDeltas[i + 1] !== undefined ? timeDeltas[i + 1] : 0) / 1000);
    if (!byId.has(samples[i])) continue;
    total += dt;
    const s = stageOf(samples[i]);
    if (s === 'idle') idle += dt;
    else ms.set(s, ms.get(s) + dt);
    const t = s === 'idle' ? undefined : taggedOf(samples[i]);
    if (t) {
      const by = tagged.get(t[0]) || tagged.set(t[0], new Map()).get(t[0]);
      by.set(t[1], (by.get(t[1]) || 0) + dt);
    }
  }
  const busyMs = total - idle;
  return {
    totalMs: Math.round(total),
    busyMs: Math.round(busyMs),
    stages: ROWS.map((stage) => ({ stage, selfMs: Math.round(ms.get(stage)), pct: Math.round((ms.get(stage) / Math.max(1, busyMs)) * 1000) / 10 })),
    tagged: [...tagged].map(([tag, by]) => ({
      tag,
      selfMs: Math.round([...by.values()].reduce((a, b) => a + b, 0)),
      by: Object.fromEntries([...by].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)])),
    })),
  };
}

/** Adds µs per reading to each stage of `stageTimes`. */
function perReading(times, readings) {
  return {
    ...times,
    readings,
    busyUsPerReading: readings > 0 ? Math.round((times.busyMs * 1e4) / readings) / 10 : undefined,
    stages: times.stages.map((s) => ({ ...s, usPerReading: readings > 0 ? Math.round((s.selfMs * 1e4) / readings) / 10 : undefined })),
    tagged: (times.tagged || []).map((t) => ({
      ...t,
      usPerReading: readings > 0 ? Math.round((t.selfMs * 1e4) / readings) / 10 : undefined,
      byUs: Object.fromEntries(Object.entries(t.by).map(([k, v]) => [k, readings > 0 ? Math.round((v * 1e4) / readings) / 10 : undefined])),
    })),
  };
}

function formatStages(t) {
  const lines = [`busy ${t.busyMs} ms of ${t.totalMs} ms profiled, ${t.readings} readings: ${t.busyUsPerReading} µs per reading`];
  for (const s of t.stages) lines.push(`  ${s.stage.padEnd(17)} ${String(s.usPerReading).padStart(6)} µs  ${String(s.pct).padStart(5)} %`);
  for (const x of t.tagged || []) lines.push(`  of which ${x.tag}: ${x.usPerReading} µs (${Object.entries(x.byUs).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  return lines.join('\n');
}

module.exports = { stageTimes, perReading, formatStages, ROWS };
// Besides, RED._ texts and Node-RED's deep clones of a msg are summed on their own ("of which"),
// by the node on whose stack they ran (for a clone: the node that sent the msg).

if (require.main === module) {
  const [file, readings] = process.argv.slice(2);
  if (!file || !readings) {
    console.error('usage: node bench/lib/stages.js <file.cpuprofile> <readings landed>');
    process.exit(2);
  }
  console.log(formatStages(perReading(stageTimes(JSON.parse(fs.readFileSync(file, 'utf8'))), Number(readings))));
}
