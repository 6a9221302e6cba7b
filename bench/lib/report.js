'use strict';
// Medians over runs, ratios, targets, and the markdown report.
const { median } = require('./stats');
const { flatten } = require('./micro');

/** Issue #16's targets (and #11's B ≥ 0.8 × A), all against figures of the same run. */
const TARGETS = {
  vsRaw: 0.8, // B ≥ 0.8 × A (#11)
  bCpuUs: 10, // B ≤ 10 µs per point at QoS 0
  bCpuVsPeer: 3, // B ≥ 3 × cheaper per point than C-best at QoS 0
  bTputVsPeer: { 0: 2, 1: 1.5 }, // B ≥ 2 × C-best's points/s at QoS 0, ≥ 1.5 × at QoS 1
  fullCpuUs: 15, // B3 ≤ 15 µs per point at QoS 0
  fullCpuVsPeer: 2, // B3 ≥ 2 × cheaper per point than C-best at QoS 0
  fullTputVsPeer: 1, // B3 ≥ C-best's points/s
  jsonataCpuVsPeer: 1, // B2 CPU per point ≤ C-best's
  p99SlackMs: 50, // p99 at the fixed rate ≤ C-best's p99 + 50 ms
};

const fmtInt = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fmtRatio = (x) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 10 ? x.toFixed(1) : x.toFixed(2));
// Targets: enough digits that a miss never prints as the threshold itself (0.7992 is not 0.80).
const fmtTarget = (x) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
const fmtMs = (x) => (x === undefined || !Number.isFinite(x) ? '–' : `${fmtInt(x)} ms`);
const fmtMB = (x) => (x === undefined || !Number.isFinite(x) ? '–' : `${Math.round(x)} MB`);
const fmtPct = (x) => (x === undefined || !Number.isFinite(x) ? '–' : `${Math.round(x)} %`);
const MICRO_ROWS = 10;
const mark = (ok) => (ok === undefined ? '–' : ok ? '✅' : '❌');

/**
 * A run during which processes outside the benchmark used more than this many cores measured
 * them as much as the pipeline (a shared machine): its figures are left out of the medians when
 * the same scenario has undisturbed runs.
 */
const DISTURBED_CORES = 0.25;

const disturbed = (r) => !!(r.machine && r.machine.otherCores > DISTURBED_CORES);

/** Aggregates the runs of one (scenario, qos, mode). */
function aggregate(runs) {
  const done = runs.filter((r) => !r.error);
  const quiet = done.filter((r) => !disturbed(r));
  // Medians of the undisturbed runs when there are any; loss and errors count every run.
  const ok = quiet.length > 0 ? quiet : done;
  const pick = (f) => median(ok.map(f));
  return {
    runs: runs.length,
    medianOf: ok.length,
    disturbedRuns: done.filter(disturbed).length,
    failedRuns: runs.length - done.length,
    errors: runs.filter((r) => r.error).map((r) => r.error.split('\n')[0]),
    pointsPerSec: pick((r) => r.pointsPerSec),
    sustainedPointsPerSec: pick((r) => r.sustainedPointsPerSec),
    pipelineCpuUsPerPoint: pick((r) => r.pipelineCpuUsPerPoint),
    publishRate: pick((r) => r.publishRate),
    lostTotal: done.reduce((s, r) => s + (r.lost || 0), 0),
    lostMax: done.length ? Math.max(...done.map((r) => r.lost || 0)) : undefined,
    publishedTotal: done.reduce((s, r) => s + (r.published || 0), 0),
    p50Ms: pick((r) => r.latency && r.latency.p50Ms),
    p99Ms: pick((r) => r.latency && r.latency.p99Ms),
    rssPeakMB: pick((r) => r.subject && r.subject.rssPeakMB),
    cpuAvgPct: pick((r) => r.subject && r.subject.cpuAvgPct),
    cpuPeakPct: pick((r) => r.subject && r.subject.cpuPeakPct),
    cpuUsPerPoint: pick((r) => r.subject && r.subject.cpuUsPerPoint),
    otherCores: pick((r) => r.machine && r.machine.otherCores),
    windows: pick((r) => r.windows),
    windowsExpected: pick((r) => r.windowsExpected),
    flowErrors: done.reduce((s, r) => s + ((r.errors && r.errors.count) || 0), 0),
    crashed: done.some((r) => r.crashed),
  };
}

/**
 * results.runs: every run; returns `{ groups, rows, ratios, targets }`:
 * groups[scenario][qos][mode] = aggregate.
 */
function summarize(results) {
  const groups = {};
  for (const r of results.runs) {
    ((groups[r.scenario] ??= {})[r.qos] ??= {})[r.mode] ??= [];
    groups[r.scenario][r.qos][r.mode].push(r);
  }
  for (const s of Object.values(groups)) for (const q of Object.values(s)) for (const m of Object.keys(q)) q[m] = aggregate(q[m]);

  const tput = (id, qos) => groups[id] && groups[id][qos] && groups[id][qos].throughput && groups[id][qos].throughput.pointsPerSec;
  const rss = (id, qos) => groups[id] && groups[id][qos] && groups[id][qos].throughput && groups[id][qos].throughput.rssPeakMB;
  const div = (a, b) => (a !== undefined && b ? a / b : undefined);

  const ratios = {};
  for (const qos of results.config.qos) {
    ratios[qos] = {
      BvsA: div(tput('B', qos), tput('A', qos)),
      BvsCbest: div(tput('B', qos), tput('C-best', qos)),
      B3vsCbest: div(tput('B3', qos), tput('C-best', qos)),
      B2vsA: div(tput('B2', qos), tput('A', qos)),
      B2vsCbest: div(tput('B2', qos), tput('C-best', qos)),
      CbestVsA: div(tput('C-best', qos), tput('A', qos)),
    };
  }
  return { groups, ratios, targets: targetsOf(results, groups, ratios) };
}

/**
 * One row per target: `{ id, text, value, target, met }` (met undefined when a figure is missing).
 * ids starting with `B-` are B's (the runner profiles B where one is missed).
 */
function targetsOf(results, groups, ratios) {
  const T = TARGETS;
  const get = (id, qos, mode = 'throughput') => groups[id] && groups[id][qos] && groups[id][qos][mode];
  const cpu = (id, qos) => get(id, qos) && get(id, qos).cpuUsPerPoint;
  const has = (...xs) => xs.every((x) => x !== undefined && x !== null && Number.isFinite(x));
  const us = (x) => (has(x) ? `${x.toFixed(1)} µs/pt` : '–');
  const targets = [];
  const add = (id, text, value, target, met) => targets.push({ id, text, value, target, met });
  const qs = results.config.qos;
  const q0 = qs.includes(0);

  /** `id` CPU per point ≤ maxUs and ≥ cheaperBy × cheaper than C-best (QoS 0); points/s ≥ × C-best per QoS. */
  const pipeline = (id, label, maxUs, cheaperBy, tputVsPeer, ratioKey) => {
    if (q0) {
      const x = cpu(id, 0);
      const c = cpu('C-best', 0);
      add(`${id}-cpu@qos0`, `${label} CPU per point (QoS 0)`, us(x), `≤ ${maxUs} µs/pt`, has(x) ? x <= maxUs : undefined);
      const ok = has(x, c) && x > 0;
      add(`${id}-cpu-vs-peer@qos0`, `${id} CPU per point, × cheaper than C-best (QoS 0)`, ok ? `${fmtTarget(c / x)} × (${us(x)} vs ${us(c)})` : '–', `≥ ${cheaperBy} ×`, ok ? c / x >= cheaperBy : undefined);
    }
    for (const qos of qs) {
      const r = ratios[qos][ratioKey];
      const want = tputVsPeer[qos];
      add(`${id}-tput@qos${qos}`, `${id} points/s × C-best (QoS ${qos})`, has(r) ? `${fmtTarget(r)} ×` : '–', `≥ ${want} ×`, has(r) ? r >= want : undefined);
    }
  };
  // B: ingest → archive, defaults.
  pipeline('B', 'B', T.bCpuUs, T.bCpuVsPeer, T.bTputVsPeer, 'BvsCbest');
  for (const qos of qs) {
    const r = ratios[qos].BvsA;
    add(`B-raw@qos${qos}`, `B points/s × A (QoS ${qos}, #11)`, has(r) ? `${fmtTarget(r)} ×` : '–', `≥ ${T.vsRaw} ×`, has(r) ? r >= T.vsRaw : undefined);
  }
  // B3: the full pipeline, defaults.
  pipeline('B3', 'B3 full pipeline', T.fullCpuUs, T.fullCpuVsPeer, { 0: T.fullTputVsPeer, 1: T.fullTputVsPeer }, 'B3vsCbest');
  // B2: B3 + a JSONata rule.
  if (q0) {
    const j = cpu('B2', 0);
    const c = cpu('C-best', 0);
    add('B2-cpu@qos0', 'B2 (B3 + JSONata) CPU per point vs C-best (QoS 0)', has(j, c) ? `${us(j)} vs ${us(c)}` : '–', '≤ C-best', has(j, c) ? j <= c * T.jsonataCpuVsPeer : undefined);
  }
  // Zero loss in every run of ours (B, B3, B2; every QoS and mode).
  const ours = results.runs.filter((r) => ['B', 'B2', 'B3'].includes(r.scenario));
  const oursOk = ours.filter((r) => !r.error);
  const lost = oursOk.reduce((s, r) => s + (r.lost || 0), 0);
  const published = oursOk.reduce((s, r) => s + (r.published || 0), 0);
  add(
    'zero-loss',
    'readings lost, every B / B3 / B2 run',
    oursOk.length ? `${fmtInt(lost)} of ${fmtInt(published)} (${oursOk.length} runs${ours.length > oursOk.length ? `, ${ours.length - oursOk.length} failed` : ''})` : '–',
    '0',
    oursOk.length ? lost === 0 && ours.length === oursOk.length : undefined,
  );
  // Node-RED RSS peak ≤ the peer's.
  for (const id of ['B', 'B3']) {
    for (const qos of qs) {
      const a = get(id, qos) && get(id, qos).rssPeakMB;
      const c = get('C-best', qos) && get('C-best', qos).rssPeakMB;
      add(`${id}-rss@qos${qos}`, `${id} Node-RED RSS peak (QoS ${qos})`, has(a, c) ? `${fmtMB(a)} vs ${fmtMB(c)}` : '–', '≤ C-best', has(a, c) ? a <= c : undefined);
    }
  }
  // p99 publish → queryable at the fixed rate: batching must not cost more than ~50 ms over the peer.
  for (const id of ['B', 'B3']) {
    for (const qos of qs) {
      const a = get(id, qos, 'latency') && get(id, qos, 'latency').p99Ms;
      const c = get('C-best', qos, 'latency') && get('C-best', qos, 'latency').p99Ms;
      add(
        `${id}-p99@qos${qos}`,
        `${id} p99 publish → queryable at ${fmtInt(results.config.latencyRate)} msg/s (QoS ${qos})`,
        has(a, c) ? `${fmtMs(a)} vs ${fmtMs(c)}` : '–',
        `≤ C-best + ${T.p99SlackMs} ms`,
        has(a, c) ? a <= c + T.p99SlackMs : undefined,
      );
    }
  }
  return targets;
}

function scenarioLabel(id) {
  return { A: 'A raw limit', B: 'B ours', B3: 'B3 full pipeline, defaults', B2: 'B2 full pipeline + JSONata', 'C-best': 'C-best peer', 'C-naive': 'C-naive peer' }[id] || id;
}

/**
 * The per-stage cost table from the profiled B3 run(s): µs of Node-RED CPU per reading landed,
 * by stage (see lib/stages.js for how a sample is charged to a stage).
 */
function stageTable(profiles) {
  const ps = (profiles || []).filter((p) => p.stages);
  if (ps.length === 0) return [];
  const out = [''];
  const head = ps.map((p) => `${p.scenario} QoS ${p.qos} µs/reading | %`);
  out.push(`| stage (CPU profile of an extra throughput run) | ${head.join(' | ')} |`);
  out.push(`|---|${ps.map(() => '--:|--:').join('|')}|`);
  const fmtUs = (x) => (x === undefined ? '–' : x.toFixed(1));
  for (let i = 0; i < ps[0].stages.stages.length; i++) {
    const name = ps[0].stages.stages[i].stage;
    out.push(`| ${name} | ${ps.map((p) => `${fmtUs(p.stages.stages[i].usPerReading)} | ${p.stages.stages[i].pct} %`).join(' | ')} |`);
  }
  out.push(`| **total (profiled, busy)** | ${ps.map((p) => `**${fmtUs(p.stages.busyUsPerReading)}** | 100 %`).join(' | ')} |`);
  const tags = [...new Set(ps.flatMap((p) => (p.stages.tagged || []).map((t) => t.tag)))];
  for (const tag of tags) {
    const cell = (p) => {
      const t = (p.stages.tagged || []).find((x) => x.tag === tag);
      return t ? `${fmtUs(t.usPerReading)} | ${Object.entries(t.byUs).map(([k, v]) => `${k} ${fmtUs(v)}`).join(', ')}` : '– | ';
    };
    out.push(`| of which ${tag}, by node | ${ps.map(cell).join(' | ')} |`);
  }
  out.push(`| same run, /proc CPU µs/pt (first publish → last landing) | ${ps.map((p) => `${p.run.cpuUsPerPoint === undefined ? '–' : p.run.cpuUsPerPoint.toFixed(1)} | `).join(' | ')} |`);
  out.push('');
  out.push(
    `Per stage: the Node-RED child's CPU profile (1 ms sampling, from after the warm-up to exit, so it includes the last windows closing and shutdown) of one more throughput run of each column's scenario, self time charged to the innermost stage on each sample's stack — a node's own code, the dist/core and dist/io code and builtins it calls; Node-RED's routing and message cloning → Node-RED runtime, RED._ texts → the node that asked; MQTT client socket work → ingest, InfluxDB HTTP client work → archive — ÷ the readings landed in that run; "of which" rows: RED._ texts and Node-RED's deep clones of a msg (one per extra wire), by the node on whose stack they ran (for a clone, the sender), already inside the rows above. The profiled total is not the headline CPU µs/pt: it adds profiling overhead and the tail after the last landing, and leaves out V8's and libuv's helper threads, which /proc counts (the row above the note gives /proc's figure for the profiled run). Files: ${ps.map((p) => `\`${p.file}\``).join(', ')} (\`node bench/lib/stages.js <file> <readings>\`).`,
  );
  return out;
}

function markdown(results, summary) {
  const c = results.config;
  const m = results.machine;
  const out = [];
  out.push(
    `Run ${results.startedAt} · ${c.runs} run${c.runs > 1 ? 's' : ''} per figure, medians · ${fmtInt(c.messages)} messages of ~115 B JSON over 1,000 device topics · latency at a fixed ${fmtInt(c.latencyRate)} msg/s (${fmtInt(c.latencyMessages)} messages)${c.quick ? ' · QUICK smoke run' : ''}`,
  );
  out.push('');
  out.push('| scenario | QoS | points/s | × A | × C-best | lost | RSS peak | CPU | p50 | p99 |');
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  const g = summary.groups;
  for (const id of results.scenarioOrder) {
    const info = results.scenarios[id];
    if (info.skipped) {
      out.push(`| ${scenarioLabel(id)} | – | skipped: ${info.skipped} | | | | | | | |`);
      continue;
    }
    for (const qos of c.qos) {
      const modes = (g[id] && g[id][qos]) || {};
      const a = g.A && g.A[qos] && g.A[qos].throughput;
      const cb = g['C-best'] && g['C-best'][qos] && g['C-best'][qos].throughput;
      const rowOf = (label, t, lat, ratios = true) => {
        if (!t) return;
        const failed =
          (t.failedRuns ? ` (${t.failedRuns}/${t.runs} runs failed)` : '') +
          (t.disturbedRuns && t.medianOf < t.runs - t.failedRuns ? ` ¹` : '') +
          (t.disturbedRuns && t.medianOf === t.runs - t.failedRuns && t.disturbedRuns === t.medianOf ? ' ²' : '');
        const ratio = (ref) => (ratios && ref && ref.pointsPerSec && t.pointsPerSec !== undefined ? fmtRatio(t.pointsPerSec / ref.pointsPerSec) : '–');
        const vsA = ratio(a);
        const vsC = ratio(cb);
        const lost = t.publishedTotal ? `${fmtInt(t.lostTotal)}${t.lostTotal ? ` (${((t.lostTotal / t.publishedTotal) * 100).toFixed(1)} %)` : ''}` : '–';
        const rssText = id === 'A' ? `(${fmtMB(t.rssPeakMB)})` : fmtMB(t.rssPeakMB);
        const cpu = `${fmtPct(t.cpuAvgPct)} · ${t.cpuUsPerPoint === undefined ? '–' : t.cpuUsPerPoint.toFixed(1)} µs/pt`;
        const cpuText = id === 'A' ? `(${cpu})` : cpu;
        out.push(
          `| ${label}${failed}${t.crashed ? ' — crashed' : ''} | ${qos} | ${fmtInt(t.pointsPerSec)} | ${vsA} | ${vsC} | ${lost} | ${rssText} | ${cpuText} | ${fmtMs(lat && lat.p50Ms)} | ${fmtMs(lat && lat.p99Ms)} |`,
        );
      };
      if (id === 'C-naive') {
        // Paced by the publisher: its points/s is the pacing, not a capacity to compare.
        rowOf(`${scenarioLabel(id)}, paced ${fmtInt(c.naiveRate)} msg/s`, modes.paced, modes.paced, false);
        rowOf(`${scenarioLabel(id)}, burst of ${fmtInt(c.burstMessages)} unpaced`, modes.burst, undefined, false);
      } else {
        rowOf(scenarioLabel(id), modes.throughput, modes.latency);
      }
    }
  }
  out.push('');
  out.push(
    'points/s: points landed in InfluxDB ÷ (last one queryable − first publish), at the publisher\'s full speed, which includes the last partial batch\'s wait for its 1 s flush timer (the JSON also has the 10–90 % landing rate). lost: published − landed once the pipeline was quiet, all runs. RSS peak / CPU: the Node-RED process (A: the raw pipeline process, in brackets) — peak resident memory (VmHWM); CPU time ÷ wall time (100 % = one core) and CPU time per landed point. p50/p99: publish → queryable in InfluxDB at the fixed rate (C-naive: at its paced rate).',
  );
  const groupsList = Object.values(g).flatMap((q) => Object.values(q).flatMap((m) => Object.values(m)));
  if (groupsList.some((t) => t.disturbedRuns && t.medianOf < t.runs - t.failedRuns)) {
    out.push('');
    out.push(`¹ median of the runs during which other processes on the machine used ≤ ${DISTURBED_CORES} core; the disturbed runs are in the JSON (machine.otherCores).`);
  }
  if (groupsList.some((t) => t.disturbedRuns && t.disturbedRuns === t.medianOf)) {
    out.push(`² every run of this row was disturbed by other processes (> ${DISTURBED_CORES} core): low and noisy.`);
  }
  out.push('');
  out.push('| target (issue #16, medians of this run) | measured | target | met |');
  out.push('|---|---|---|:-:|');
  for (const t of summary.targets) out.push(`| ${t.text} | ${t.value} | ${t.target} | ${mark(t.met)} |`);
  out.push(...stageTable(results.profiles));
  const notes = [];
  for (const qos of c.qos) {
    for (const id of ['B3', 'B2']) {
      const w = g[id] && g[id][qos] && g[id][qos].throughput;
      if (w && w.windows !== undefined) {
        notes.push(`${id} QoS ${qos}: ${fmtInt(w.windows)} window aggregates (10 s × device) landed per throughput run, of ${fmtInt(w.windowsExpected)} due (medians).`);
      }
    }
  }
  for (const r of results.runs) {
    if (!(r.lost > 0) || r.scenario === 'C-naive') continue;
    const after = r.landedAfterStop === undefined ? '' : r.landedAfterStop >= r.published ? '; all of them were there after Node-RED stopped (held in the flow, flushed on close)' : `; ${fmtInt(r.published - r.landedAfterStop)} still missing after Node-RED stopped`;
    notes.push(`${r.scenario} QoS ${r.qos} ${r.mode} run ${r.run}: ${fmtInt(r.lost)} of ${fmtInt(r.published)} not landed once quiet (${r.outcome})${after}.`);
  }
  for (const id of results.scenarioOrder) {
    for (const qos of c.qos) {
      for (const [mode, a] of Object.entries((g[id] && g[id][qos]) || {})) {
        if (a.errors.length) notes.push(`${id} QoS ${qos} ${mode}: ${a.errors.length} run(s) failed: ${a.errors[0]}`);
        if (a.flowErrors) notes.push(`${id} QoS ${qos} ${mode}: the flow reported ${fmtInt(a.flowErrors)} errors (see the JSON for samples).`);
      }
    }
  }
  const disturbedRuns = results.runs.filter((r) => !r.error && disturbed(r)).length;
  if (disturbedRuns > 0) {
    notes.push(
      `⚠ during ${disturbedRuns} of ${results.runs.length} runs other processes used > ${DISTURBED_CORES} core of this ${m.cores}-core machine (median of all runs: ${(median(results.runs.map((r) => r.machine && r.machine.otherCores)) || 0).toFixed(2)} core); rows marked ¹ use only undisturbed runs. For clean figures rerun on a quiet machine.`,
    );
  }
  for (const p of results.profiles || []) {
    if ((p.reason === 'per-stage cost' || !p.summary) && !p.error) continue; // the per-stage table is enough
    if (p.error) {
      notes.push(`Profile of ${p.scenario} QoS ${p.qos} (${p.reason}) failed: ${p.error}`);
      continue;
    }
    notes.push(
      `Profile of ${p.scenario} QoS ${p.qos} (${p.reason}; \`${p.file}\`): Node-RED busy ${fmtInt(p.summary.busyMs)} of ${fmtInt(p.summary.totalMs)} ms; self time by package — ${p.summary.packages.slice(0, 6).map((x) => `${x.name} ${x.pct} %`).join(', ')}.`,
    );
    notes.push(`Top frames (QoS ${p.qos}): ${p.summary.top.slice(0, 10).map((x) => `${x.frame} ${x.pct} %`).join('; ')}.`);
  }
  if (notes.length) {
    out.push('');
    for (const n of notes) out.push(`- ${n}`);
  }
  if (results.micro && results.micro.length) {
    out.push('');
    out.push('Core micro-benchmarks (bench/*.bench.js, one run each):');
    out.push('');
    out.push('| benchmark | figure | value |');
    out.push('|---|---|--:|');
    for (const b of results.micro) {
      if (!b.ok) {
        out.push(`| ${b.name} | failed | ${String(b.error).replace(/\|/g, '/').slice(0, 200)} |`);
        continue;
      }
      // Numbers only (settings and samples are in the JSON), the first MICRO_ROWS of them.
      // Rates, times and sizes first (settings such as batchSize after them), order kept within.
      const figure = (k) => /per.?s(ec(ond)?)?\b|persec|per_s|_per_|nsper|usper|ms$|bytesper|vsraw/i.test(k);
      const numeric = flatten(b.figures).filter(([k, v]) => typeof v === 'number' && !/(^|\.)sample(\.|$)/.test(k));
      const pairs = [...numeric.filter(([k]) => figure(k)), ...numeric.filter(([k]) => !figure(k))];
      for (const [k, v] of pairs.slice(0, MICRO_ROWS)) {
        out.push(`| ${b.name} | ${k.replace(/\|/g, '/')} | ${Number.isInteger(v) ? fmtInt(v) : Math.abs(v) >= 100 ? fmtInt(v) : v.toPrecision(3)} |`);
      }
      if (pairs.length > MICRO_ROWS) out.push(`| ${b.name} | … ${pairs.length - MICRO_ROWS} more figures in the JSON | |`);
    }
  }
  out.push('');
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, Node-RED ${m.nodeRed}, Mosquitto ${m.mosquitto}, InfluxDB ${m.influxdb}, mqtt.js ${m.mqttJs}, node-red-contrib-influxdb ${m.peer}; commit ${m.commit}.`,
  );
  return out.join('\n');
}

module.exports = { summarize, markdown, aggregate, TARGETS, DISTURBED_CORES };
