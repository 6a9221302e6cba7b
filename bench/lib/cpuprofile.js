'use strict';
// Summarises a V8 .cpuprofile (node --cpu-prof): the top frames by self time, and self time per
// package (node_modules/<pkg>, our dist/, Node's internals, GC), so a profile reads in ten lines.
//
//   node bench/lib/cpuprofile.js <file.cpuprofile> [top=15]
const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');

function packageOf(url) {
  if (!url) return '(native/vm)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = u.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (u.startsWith('node:')) return 'node (core)';
  if (u.startsWith(REPO)) {
    const rel = path.relative(REPO, u).split(path.sep);
    return rel[0] === 'dist' ? `ours: dist/${rel[1]}` : `ours: ${rel[0]}`;
  }
  return u;
}

function shortUrl(url) {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(REPO)) return path.relative(REPO, u);
  return u;
}

/**
 * @returns {{ totalMs, busyMs, top: Array<{ frame, selfMs, pct }>, packages: Array<{ name, selfMs, pct }> }}
 *   pct is of busy time (everything but "(idle)").
 */
function summarizeProfile(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] !== undefined ? timeDeltas[i + 1] : 0) / 1000; // µs → ms
    self.set(samples[i], (self.get(samples[i]) || 0) + Math.max(0, dt));
  }
  const frames = new Map();
  const packages = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    totalMs += ms;
    if (cf.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const frame = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`.trim();
    frames.set(frame, (frames.get(frame) || 0) + ms);
    const pkg = cf.url ? packageOf(cf.url) : cf.functionName;
    packages.set(pkg, (packages.get(pkg) || 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const list = (map, key) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ [key]: name, selfMs: Math.round(ms), pct: Math.round((ms / Math.max(1, busyMs)) * 1000) / 10 }));
  return { totalMs: Math.round(totalMs), busyMs: Math.round(busyMs), top: list(frames, 'frame'), packages: list(packages, 'name') };
}

function summarizeFile(file, top) {
  return summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')), top);
}

function formatSummary(s) {
  const lines = [`busy ${s.busyMs} ms of ${s.totalMs} ms profiled`, 'self time by package:'];
  for (const p of s.packages.slice(0, 10)) lines.push(`  ${String(p.pct).padStart(5)}%  ${p.name}`);
  lines.push('top frames (self time):');
  for (const f of s.top) lines.push(`  ${String(f.pct).padStart(5)}%  ${f.frame}`);
  return lines.join('\n');
}

module.exports = { summarizeProfile, summarizeFile, formatSummary };

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/cpuprofile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeFile(file, Number(top) || 15)));
}
