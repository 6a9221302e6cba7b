'use strict';
// Medians over runs, ratios, targets, and the markdown report.
const { median } = require('./stats');
const { flatten } = require('./micro');

const TARGETS = {
  vsRaw: 0.8, // B ≥ 0.8 × A
  vsPeer: { 0: 2.5, 1: 2 }, // B ≥ 2.5 × C-best at QoS 0, ≥ 2 × at QoS 1
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
  const targets = [];
  for (const qos of results.config.qos) {
    ratios[qos] = {
      BvsA: div(tput('B', qos), tput('A', qos)),
      BvsCbest: div(tput('B', qos), tput('C-best', qos)),
      B2vsA: div(tput('B2', qos), tput('A', qos)),
      B2vsCbest: div(tput('B2', qos), tput('C-best', qos)),
      CbestVsA: div(tput('C-best', qos), tput('A', qos)),
    };
    const r = ratios[qos];
    targets.push({
      id: `B>=0.8A@qos${qos}`,
      text: `B ≥ 0.8 × A (QoS ${qos})`,
      value: r.BvsA === undefined ? '–' : `${fmtTarget(r.BvsA)} ×`,
      met: r.BvsA === undefined ? undefined : r.BvsA >= TARGETS.vsRaw,
    });
    targets.push({
      id: `B>=${TARGETS.vsPeer[qos]}C@qos${qos}`,
      text: `B ≥ ${TARGETS.vsPeer[qos]} × C-best (QoS ${qos})`,
      value: r.BvsCbest === undefined ? '–' : `${fmtTarget(r.BvsCbest)} ×`,
      met: r.BvsCbest === undefined ? undefined : r.BvsCbest >= (TARGETS.vsPeer[qos] ?? 2),
    });
  }
  // Zero loss in every B scenario run (B and B2, every QoS and mode).
  const bRuns = results.runs.filter((r) => r.scenario === 'B' || r.scenario === 'B2');
  const bOk = bRuns.filter((r) => !r.error);
  const bLost = bOk.reduce((s, r) => s + (r.lost || 0), 0);
  const bPublished = bOk.reduce((s, r) => s + (r.published || 0), 0);
  targets.push({
    id: 'B-zero-loss',
    text: 'zero readings lost in every B / B2 run',
    value: bOk.length ? `${fmtInt(bLost)} of ${fmtInt(bPublished)} lost (${bOk.length} runs${bRuns.length > bOk.length ? `, ${bRuns.length - bOk.length} failed` : ''})` : '–',
    met: bOk.length ? bLost === 0 && bRuns.length === bOk.length : undefined,
  });
  for (const qos of results.config.qos) {
    const b = rss('B', qos);
    const c = rss('C-best', qos);
    targets.push({
      id: `rss@qos${qos}`,
      text: `Node-RED RSS peak B ≤ C-best (QoS ${qos})`,
      value: b !== undefined && c !== undefined ? `${fmtMB(b)} vs ${fmtMB(c)}` : '–',
      met: b !== undefined && c !== undefined ? b <= c : undefined,
    });
  }
  return { groups, ratios, targets };
}

function scenarioLabel(id) {
  return { A: 'A raw limit', B: 'B ours', B2: 'B2 ours, full pipeline', 'C-best': 'C-best peer', 'C-naive': 'C-naive peer' }[id] || id;
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
  out.push('| target | measured | met |');
  out.push('|---|---|:-:|');
  for (const t of summary.targets) out.push(`| ${t.text} | ${t.value} | ${mark(t.met)} |`);
  const notes = [];
  for (const qos of c.qos) {
    const w = g.B2 && g.B2[qos] && g.B2[qos].throughput;
    if (w && w.windows !== undefined) {
      notes.push(`B2 QoS ${qos}: ${fmtInt(w.windows)} window aggregates (1 s × device) landed per throughput run, of ${fmtInt(w.windowsExpected)} due (medians).`);
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
