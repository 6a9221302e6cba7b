'use strict';
// CPU and memory of named processes, from /proc (Linux), sampled every 200 ms:
// - /proc/<pid>/stat fields 14 + 15 (utime + stime, clock ticks) → CPU % of one core;
// - /proc/<pid>/status VmRSS (resident now) and VmHWM (the kernel's own peak-RSS mark, so a
//   peak between two samples is not missed).
const fs = require('fs');
const { execFileSync } = require('child_process');

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** `{ cpuSeconds, rssKb, hwmKb }` of a live process, or undefined when it is gone. */
function readProc(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (15) rest[12].
    const cpuSeconds = (Number(rest[11]) + Number(rest[12])) / ticksPerSecond();
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : 0;
    };
    return { cpuSeconds, rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

class ProcessSampler {
  constructor(intervalMs = 200) {
    this.intervalMs = intervalMs;
    this.series = new Map(); // name → { pid, samples: [{ t, cpuSeconds, rssKb, hwmKb }] }
    this.timer = undefined;
  }

  /** Starts watching `pid` under `name` (may be called while running). */
  watch(name, pid) {
    if (!pid) return;
    const entry = { pid, samples: [] };
    this.series.set(name, entry);
    this.sampleOne(entry);
  }

  start() {
    this.sampleAll();
    this.timer = setInterval(() => this.sampleAll(), this.intervalMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sampleAll();
  }

  sampleAll() {
    for (const entry of this.series.values()) this.sampleOne(entry);
  }

  sampleOne(entry) {
    const s = readProc(entry.pid);
    if (s) entry.samples.push({ t: Date.now(), ...s });
  }

  /**
   * Per process, over [from, to] (epoch ms; default: everything sampled):
   * `cpuAvgPct` (CPU time / wall time, 100 = one core), `cpuPeakPct` (busiest 1 s),
   * `cpuSeconds`, `rssPeakMB` (max of VmHWM and the sampled VmRSS: the process's lifetime peak),
   * `rssEndMB`.
   */
  summary(from = -Infinity, to = Infinity) {
    const out = {};
    for (const [name, { samples }] of this.series) {
      const inside = samples.filter((s) => s.t >= from - this.intervalMs && s.t <= to + this.intervalMs);
      if (inside.length === 0) continue;
      const first = inside[0];
      const last = inside[inside.length - 1];
      const wall = (last.t - first.t) / 1000;
      let peak = 0;
      for (let i = 0, j = 0; i < inside.length; i++) {
        while (inside[i].t - inside[j].t > 1000) j++;
        const span = (inside[i].t - inside[j].t) / 1000;
        if (span >= 0.5) peak = Math.max(peak, ((inside[i].cpuSeconds - inside[j].cpuSeconds) / span) * 100);
      }
      const cpuSeconds = last.cpuSeconds - first.cpuSeconds;
      out[name] = {
        cpuAvgPct: wall > 0 ? round((cpuSeconds / wall) * 100, 1) : 0,
        cpuPeakPct: round(peak, 1),
        cpuSeconds: round(cpuSeconds, 2),
        rssPeakMB: round(Math.max(...samples.map((s) => Math.max(s.hwmKb, s.rssKb))) / 1024, 1),
        rssEndMB: round(last.rssKb / 1024, 1),
      };
    }
    return out;
  }
}

/**
 * The whole machine's CPU from /proc/stat (all cores): how busy it was over a window, so the
 * runner can tell how much of it went to processes outside the benchmark.
 */
class SystemCpu {
  constructor(intervalMs = 200) {
    this.intervalMs = intervalMs;
    this.samples = [];
    this.timer = undefined;
  }

  static read() {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    const idle = v[3] + (v[4] || 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { t: Date.now(), busySeconds: (total - idle) / ticksPerSecond(), totalSeconds: total / ticksPerSecond() };
  }

  start() {
    this.samples.push(SystemCpu.read());
    this.timer = setInterval(() => this.samples.push(SystemCpu.read()), this.intervalMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.samples.push(SystemCpu.read());
    }
  }

  /** `{ busyPct (100 = all cores busy), busyCpuSeconds, seconds, cores }` over [from, to]. */
  summary(from = -Infinity, to = Infinity) {
    const inside = this.samples.filter((s) => s.t >= from - this.intervalMs && s.t <= to + this.intervalMs);
    const cores = require('os').cpus().length;
    if (inside.length < 2) return { busyPct: undefined, busyCpuSeconds: 0, seconds: 0, cores };
    const a = inside[0];
    const b = inside[inside.length - 1];
    const busy = b.busySeconds - a.busySeconds;
    const all = b.totalSeconds - a.totalSeconds;
    return { busyPct: all > 0 ? round((busy / all) * 100, 1) : undefined, busyCpuSeconds: busy, seconds: (b.t - a.t) / 1000, cores };
  }

  /** Samples the machine for `ms` and returns the busy share (100 = all cores). */
  static async busyPctOver(ms) {
    const a = SystemCpu.read();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const b = SystemCpu.read();
    const all = b.totalSeconds - a.totalSeconds;
    return all > 0 ? ((b.busySeconds - a.busySeconds) / all) * 100 : 0;
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { ProcessSampler, SystemCpu, readProc, ticksPerSecond };
