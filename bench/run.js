#!/usr/bin/env node
'use strict';
// `npm run bench`: the benchmark suite in one command (issue #11). See bench/README.md.
//
// Starts its own Mosquitto and InfluxDB (test/support/services.js), runs every scenario of
// bench/scenarios (A raw limit, B ours, B3 / B2 ours full pipeline, C-best and C-naive peers) at
// QoS 0 and 1, each N times (medians), runs the micro-benchmarks bench/*.bench.js, writes
// bench/results/<timestamp>.json and prints a markdown table with ratios and targets.
// Progress goes to stderr, the table to stdout.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const REPO = path.resolve(__dirname, '..');
const SCENARIOS = require('./scenarios');
const { runOnce } = require('./lib/measure');
const { runMicroBenchmarks } = require('./lib/micro');
const { summarize, markdown } = require('./lib/report');
const { machineInfo } = require('./lib/machine');
const { SystemCpu } = require('./lib/sampler');
const { summarizeProfile, formatSummary } = require('./lib/cpuprofile');
const { stageTimes, perReading, formatStages } = require('./lib/stages');

const HELP = `usage: node bench/run.js [options]     (npm run bench -- [options])

  --quick               1 run, 20,000 messages: a smoke run (env BENCH_QUICK=1)
  --runs N              runs per figure, medians reported (BENCH_RUNS, default 3)
  --scenarios A,B,...   scenarios to run: A, B, B3, B2, C-best, C-naive, or none (BENCH_SCENARIOS, default all)
  --qos 0,1             QoS levels (BENCH_QOS, default 0,1)
  --modes m,...         throughput, latency, paced, burst (BENCH_MODES, default all)
  --messages N          messages per throughput run (BENCH_MESSAGES, default 100000)
  --no-micro            skip bench/*.bench.js (BENCH_MICRO=0)
  --profile auto|on|off extra CPU-profiled runs after the measured ones (BENCH_PROFILE; default auto,
                        off with --quick): auto = B3 at the first QoS (per-stage cost table) and
                        B where a B target was missed; on = B3 and B at every QoS
  --results-dir DIR     where to write <timestamp>.json (BENCH_RESULTS_DIR, default bench/results)
  --table FILE          print the markdown report of an earlier results file and exit
`;

function parseArgs(argv) {
  const env = process.env;
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--no-micro') args.micro = false;
    else if (a === '--runs') args.runs = next();
    else if (a === '--scenarios') args.scenarios = next();
    else if (a === '--qos') args.qos = next();
    else if (a === '--modes') args.modes = next();
    else if (a === '--messages') args.messages = next();
    else if (a === '--profile') args.profile = next();
    else if (a === '--results-dir') args.resultsDir = next();
    else if (a === '--table') args.table = next();
    else throw new Error(`unknown option ${a}\n\n${HELP}`);
  }
  const quick = args.quick || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const list = (v) => (v === undefined || v === '' ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean));
  const intOrZero = (v, def) => (v === undefined || v === '' ? def : Math.max(0, parseInt(v, 10) || 0));
  const int = (v, def) => (v === undefined || v === '' ? def : Math.max(1, parseInt(v, 10) || def));
  const messages = int(args.messages ?? env.BENCH_MESSAGES, quick ? 20000 : 100000);
  return {
    help: args.help,
    table: args.table,
    quick,
    runs: int(args.runs ?? env.BENCH_RUNS, quick ? 1 : 3),
    scenarios: list(args.scenarios ?? env.BENCH_SCENARIOS),
    qos: (list(args.qos ?? env.BENCH_QOS) || ['0', '1']).map(Number).filter((q) => q === 0 || q === 1),
    modes: list(args.modes ?? env.BENCH_MODES),
    micro: args.micro ?? env.BENCH_MICRO !== '0',
    profile: args.profile ?? env.BENCH_PROFILE ?? (quick ? 'off' : 'auto'),
    resultsDir: path.resolve(args.resultsDir ?? env.BENCH_RESULTS_DIR ?? path.join(__dirname, 'results')),
    messages,
    latencyMessages: int(env.BENCH_LATENCY_MESSAGES, quick ? 10000 : 25000),
    latencyRate: int(env.BENCH_LATENCY_RATE, 5000),
    naiveRate: int(env.BENCH_NAIVE_RATE, 2000),
    naiveMessages: int(env.BENCH_NAIVE_MESSAGES, quick ? 4000 : 20000),
    burstMessages: int(env.BENCH_BURST_MESSAGES, quick ? 5000 : 20000),
    waitQuietS: intOrZero(env.BENCH_WAIT_QUIET, quick ? 0 : 20),
    waitQuietTotalS: intOrZero(env.BENCH_WAIT_QUIET_TOTAL, 300),
    nice: env.BENCH_NICE === undefined || env.BENCH_NICE === '' ? undefined : Math.max(-20, Math.min(19, parseInt(env.BENCH_NICE, 10) || 0)),
  };
}

const log = (msg) => process.stderr.write(`${msg}\n`);

/** How each mode runs: message count, rate (0 = max), quiet time that ends a lossy run, time limit. */
function modePlan(cfg, mode) {
  switch (mode) {
    case 'throughput':
      return { messages: cfg.messages, rate: 0, quietMs: 3000, maxMs: 180000 };
    case 'latency':
      return { messages: cfg.latencyMessages, rate: cfg.latencyRate, quietMs: 3000, maxMs: 120000 };
    case 'paced':
      return { messages: cfg.naiveMessages, rate: cfg.naiveRate, quietMs: 5000, maxMs: 120000 };
    case 'burst':
      // Bounded: the naive flow may never finish a burst (InfluxDB 500s, sockets exhausted).
      return { messages: cfg.burstMessages, rate: 0, quietMs: 5000, maxMs: 60000 };
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

/** dist/ must be built; warns when a source file is newer than the build. */
function checkBuild() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'core', 'line-protocol.js'))) {
    log('dist/ is missing: building (npm run build) …');
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [REPO] }), '-p', REPO], { stdio: 'inherit' });
    } catch {
      log('tsc reported errors (JS is emitted anyway); carrying on');
    }
  }
  const newest = (dir, ext) => {
    let t = 0;
    if (!fs.existsSync(dir)) return t;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith(ext)) t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  if (newest(path.join(REPO, 'src'), '.ts') > newest(path.join(REPO, 'dist'), '.js') + 1000) {
    log('note: src/ has changes newer than dist/: run `npm run build` first if you want them measured');
  }
}

function stamp(date) {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function describeRun(r) {
  if (r.error) return `FAILED: ${r.error.split('\n')[0]}`;
  const parts = [`${Math.round(r.pointsPerSec).toLocaleString('en-US')} pts/s`, `lost ${r.lost}`];
  if (r.latency && r.mode !== 'throughput') parts.push(`p50 ${r.latency.p50Ms} ms p99 ${r.latency.p99Ms} ms`);
  if (r.subject) parts.push(`RSS ${Math.round(r.subject.rssPeakMB)} MB CPU ${Math.round(r.subject.cpuAvgPct)} %`);
  if (r.machine && r.machine.otherCores > 0.1) parts.push(`other processes ${r.machine.otherCores} cores`);
  if (r.outcome && r.outcome !== 'complete') parts.push(`(${r.outcome})`);
  return parts.join(' · ');
}

/**
 * On a shared machine: before a run, waits (up to `waitQuietS`, and `waitQuietTotalS` over the
 * whole bench) until processes outside the benchmark use < 15 % of the machine. Our own
 * servers are idle between runs, so the machine's busy share is the others'.
 */
async function waitForQuiet(cfg, quiet) {
  if (cfg.waitQuietS <= 0 || quiet.budgetMs <= 0) return 0;
  const started = Date.now();
  const deadline = started + Math.min(cfg.waitQuietS * 1000, quiet.budgetMs);
  let busy = await SystemCpu.busyPctOver(500);
  if (busy < 15) return 0;
  log(`  waiting for the machine to calm down (${Math.round(busy)} % busy) …`);
  while (busy >= 15 && Date.now() < deadline) busy = await SystemCpu.busyPctOver(1000);
  const waited = Date.now() - started;
  quiet.budgetMs -= waited;
  if (busy >= 15) log(`  still ${Math.round(busy)} % busy after ${Math.round(waited / 1000)} s: running anyway`);
  return waited;
}

/**
 * The extra profiled runs, after the measured ones (profiling slows the process, so the headline
 * figures come from unprofiled runs):
 * - the per-stage cost table: one B3 throughput run at QoS 0 (`auto`, the default of a full run)
 *   or at every QoS (`on`), its Node-RED child CPU-profiled;
 * - a B throughput run per QoS where a B target was missed (`auto`) or at every QoS (`on`),
 *   whose top frames go into the report.
 */
async function profileRuns(env, cfg, results) {
  if (cfg.profile === 'off') return undefined;
  const profiles = [];
  const b3 = SCENARIOS.find((s) => s.id === 'B3');
  const b3Info = results.scenarios.B3;
  if (b3 && b3Info && !b3Info.skipped) {
    for (const qos of cfg.profile === 'on' ? cfg.qos : cfg.qos.slice(0, 1)) {
      profiles.push(await profileRun(env, cfg, b3, qos, 'per-stage cost'));
    }
  }
  const b = SCENARIOS.find((s) => s.id === 'B');
  const bInfo = results.scenarios.B;
  if (b && bInfo && !bInfo.skipped) {
    for (const qos of cfg.qos) {
      let reason;
      if (cfg.profile === 'on') reason = 'requested';
      else {
        const missed = results.targets.filter((t) => t.met === false && t.id.startsWith('B-') && t.id.endsWith(`@qos${qos}`));
        if (missed.length === 0) continue;
        reason = `missed: ${missed.map((t) => t.text).join('; ')}`;
      }
      profiles.push(await profileRun(env, cfg, b, qos, reason));
    }
  }
  return profiles.length ? profiles : undefined;
}

/** One more throughput run of `scenario` with the Node-RED child CPU-profiled; its summary and stage costs. */
async function profileRun(env, cfg, scenario, qos, reason) {
  const id = scenario.id;
  const dir = path.join(REPO, '.cache', 'bench-profiles', `${stamp(new Date())}-${id}-qos${qos}`);
  fs.mkdirSync(dir, { recursive: true });
  log(`profiling ${id} QoS ${qos} throughput (CPU profile of the Node-RED child): ${reason} …`);
  const run = await runOnce(env, scenario, { qos, mode: 'throughput', run: 'profile', ...modePlan(cfg, 'throughput'), profileDir: dir });
  log(`  ${describeRun(run)}`);
  if (run.error) return { scenario: id, qos, reason, error: run.error.split('\n')[0] };
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return { scenario: id, qos, reason, error: 'no .cpuprofile was written' };
  const file = path.join(dir, files.map((f) => [f, fs.statSync(path.join(dir, f)).size]).sort((x, y) => y[1] - x[1])[0][0]);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const summary = summarizeProfile(profile, 20);
  const stages = perReading(stageTimes(profile), run.landed);
  log(formatSummary(summary).replace(/^/gm, '  '));
  log(formatStages(stages).replace(/^/gm, '  '));
  return {
    scenario: id,
    qos,
    reason,
    file: path.relative(REPO, file),
    summary,
    stages,
    run: { pointsPerSec: run.pointsPerSec, lost: run.lost, landed: run.landed, cpuUsPerPoint: run.subject && run.subject.cpuUsPerPoint },
  };
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  if (cfg.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (cfg.table) {
    const results = JSON.parse(fs.readFileSync(cfg.table, 'utf8'));
    process.stdout.write(`${markdown(results, summarize(results))}\n`);
    return 0;
  }
  const startedAt = new Date();
  if (cfg.nice !== undefined) {
    // Children (servers, Node-RED, publisher) and all their threads inherit the nice value of the
    // thread that spawns them: this one. Negative values need root.
    try {
      os.setPriority(process.pid, cfg.nice);
      log(`running at nice ${cfg.nice}: the benchmark's processes take precedence over others on this machine`);
    } catch (err) {
      log(`BENCH_NICE=${cfg.nice} not applied: ${err.message}`);
    }
  }
  checkBuild();
  const { startInflux, startMosquitto } = require(path.join(REPO, 'test', 'support', 'services'));

  const selected = SCENARIOS.filter((s) => !cfg.scenarios || cfg.scenarios.includes(s.id));
  if (cfg.scenarios) {
    const unknown = cfg.scenarios.filter((id) => id !== 'none' && !SCENARIOS.some((s) => s.id === id));
    if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}: choose from ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  const results = {
    startedAt: startedAt.toISOString(),
    config: {
      quick: cfg.quick,
      runs: cfg.runs,
      qos: cfg.qos,
      messages: cfg.messages,
      latencyMessages: cfg.latencyMessages,
      latencyRate: cfg.latencyRate,
      naiveRate: cfg.naiveRate,
      naiveMessages: cfg.naiveMessages,
      burstMessages: cfg.burstMessages,
      waitQuietS: cfg.waitQuietS,
      nice: cfg.nice,
      devices: 1000,
      payloadBytes: '111-115',
      // The editor's defaults the flows use ('' = the node's built-in default).
      ingestBatch: require('./lib/flows').ingestDefaults(),
      archive: require('./lib/flows').ARCHIVE,
    },
    machine: machineInfo(),
    scenarioOrder: selected.map((s) => s.id),
    scenarios: {},
    runs: [],
  };
  for (const s of selected) {
    const why = s.unavailable();
    results.scenarios[s.id] = { title: s.title, ...(why ? { skipped: why } : {}) };
    if (why) log(`scenario ${s.id} skipped: ${why}`);
  }

  if (cfg.micro) {
    results.micro = await runMicroBenchmarks({ env: cfg.quick ? { BENCH_QUICK: '1' } : {}, log });
  }

  const jobs = [];
  for (let run = 1; run <= cfg.runs; run++) {
    for (const s of selected) {
      if (results.scenarios[s.id].skipped) continue;
      for (const qos of cfg.qos) {
        for (const mode of s.modes) {
          if (cfg.modes && !cfg.modes.includes(mode)) continue;
          if (mode === 'burst' && run > 1) continue; // one burst per QoS is the point
          jobs.push({ scenario: s, qos, mode, run });
        }
      }
    }
  }

  let exitCode = 0;
  if (jobs.length > 0) {
    const busy = await SystemCpu.busyPctOver(1000);
    if (busy > 25) log(`warning: the machine is already ${Math.round(busy)} % busy before the benchmark starts: figures will be low and noisy`);
    results.machine.busyBeforePct = Math.round(busy);

    log('starting Mosquitto and InfluxDB …');
    const influx = await startInflux(null, { logLevel: 'warn' });
    const mosquitto = await startMosquitto(null, {});
    const env = { influx, mosquitto };
    try {
      const t0 = Date.now();
      const quiet = { budgetMs: cfg.waitQuietTotalS * 1000 };
      for (let i = 0; i < jobs.length; i++) {
        const j = jobs[i];
        const eta = i > 0 ? ` · ~${Math.ceil((((Date.now() - t0) / i) * (jobs.length - i)) / 60000)} min left` : '';
        log(`[${i + 1}/${jobs.length}] ${j.scenario.id} QoS ${j.qos} ${j.mode} run ${j.run}${eta}`);
        const waitedMs = await waitForQuiet(cfg, quiet);
        const r = await runOnce(env, j.scenario, { qos: j.qos, mode: j.mode, run: j.run, ...modePlan(cfg, j.mode) });
        if (waitedMs) r.waitedForQuietMs = waitedMs;
        log(`  ${describeRun(r)}`);
        results.runs.push(r);
      }
      const summary = summarize(results);
      results.ratios = summary.ratios;
      results.targets = summary.targets;
      results.medians = summary.groups;
      results.profiles = await profileRuns(env, cfg, results);
      if (results.runs.some((r) => r.error)) exitCode = 1;
    } finally {
      await influx.destroy().catch(() => {});
      await mosquitto.destroy().catch(() => {});
    }
  }
  if (results.micro && results.micro.some((b) => !b.ok)) exitCode = exitCode || 1;
  results.finishedAt = new Date().toISOString();
  results.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const table = markdown(results, summarize(results));
  results.markdown = table;
  fs.mkdirSync(cfg.resultsDir, { recursive: true });
  const file = path.join(cfg.resultsDir, `${stamp(startedAt)}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults: ${path.relative(process.cwd(), file) || file} (${results.durationS} s)\n`);
  process.stdout.write(`${table}\n`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`bench failed: ${err.stack || err.message}`);
    process.exit(2);
  },
);
