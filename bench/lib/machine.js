'use strict';
// What the figures were measured on: hardware, OS, and the version of everything in the path.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const REPO = path.resolve(__dirname, '..', '..');

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO }).trim();
  } catch (err) {
    return ((err.stdout || '') + (err.stderr || '')).trim() || undefined;
  }
}

function pkgVersion(name) {
  try {
    return require(path.join(REPO, 'node_modules', name, 'package.json')).version;
  } catch {
    return 'not installed';
  }
}

function binary(name) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

function machineInfo() {
  const mosq = binary('mosquitto');
  const influxd = binary('influxd');
  const mosqVersion = mosq ? (/version ([\d.]+)/.exec(run(mosq, ['-h']) || '') || [])[1] : undefined;
  const influxVersion = influxd ? (/v([\w.~-]+)/.exec(run(influxd, ['version']) || '') || [])[1] : undefined;
  const commit = run('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']);
  return {
    cpu: (os.cpus()[0] || {}).model || 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    nodeRed: pkgVersion('node-red'),
    mosquitto: mosqVersion || 'not installed',
    influxdb: influxVersion || 'not installed',
    mqttJs: pkgVersion('mqtt'),
    peer: pkgVersion('node-red-contrib-influxdb'),
    commit: commit ? `${commit}${dirty ? ' (+ uncommitted changes)' : ''}` : 'unknown',
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

module.exports = { machineInfo };
