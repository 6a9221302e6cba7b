'use strict';
// Spool directory lock (issue #21): two processes pointed at one spool directory cannot both use
// it. Real processes (small Node children that open the spool the way the archive node does,
// through dist/io/spool-fs.js): the second is refused while the first lives; a holder that
// closes releases the lock; a holder killed with SIGKILL leaves a stale lock that the next
// process takes over, finding every record the dead one spooled.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { waitFor } = require('../support/wait');
const { openDiskSpool, SpoolLockedError } = require('../../dist/io/spool-fs');

const SPOOL_FS = path.resolve(__dirname, '../../dist/io/spool-fs.js');
const OPTIONS = { maxBytes: 1 << 20, onFull: 'drop-oldest' };

/** A process that opens the spool in `dir`, appends `records` records, says OPEN or LOCKED, and waits. */
function holder(dir, { records = 0 } = {}) {
  const code = `
    const { openDiskSpool } = require(${JSON.stringify(SPOOL_FS)});
    let opened;
    try {
      opened = openDiskSpool(${JSON.stringify(dir)}, 'archive-1', ${JSON.stringify(OPTIONS)});
    } catch (err) {
      console.log('LOCKED ' + err.name + ' ' + err.message);
      process.exit(3);
    }
    for (let i = 0; i < ${records}; i++) {
      opened.spool.append({ database: 'db', retentionPolicy: undefined, body: 'm v=' + i + ' ' + (1700000000000 + i), lines: 1 });
    }
    console.log('OPEN ' + opened.found.points);
    process.on('SIGTERM', () => { opened.spool.close(); opened.release(); process.exit(0); });
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const proc = { child, out: '', exited: false, code: undefined };
  child.stdout.on('data', (d) => (proc.out += d));
  child.on('exit', (c, signal) => {
    proc.exited = true;
    proc.code = c ?? signal;
  });
  proc.said = () => waitFor(() => /^(OPEN|LOCKED)/m.test(proc.out), { timeout: 15000, interval: 20, message: 'the child to open the spool' }).then(() => proc.out.trim());
  proc.gone = () => waitFor(() => proc.exited, { timeout: 15000, interval: 20, message: 'the child to exit' });
  return proc;
}

describe('fault: two processes, one spool directory (lock file)', function () {
  this.timeout(60000);
  let root;
  const children = [];
  const start = (dir, opts) => {
    const p = holder(dir, opts);
    children.push(p);
    return p;
  };

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-lock-'));
  });
  afterEach(async function () {
    for (const p of children.splice(0)) if (!p.exited) p.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the second process is refused while the first lives, and gets it once the first closed', async function () {
    const dir = path.join(root, 'spool');
    const first = start(dir, { records: 3 });
    assert.equal(await first.said(), 'OPEN 0');
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8'));
    assert.equal(lock.pid, first.child.pid);

    const second = start(dir);
    assert.match(await second.said(), new RegExp(`^LOCKED SpoolLockedError spool directory .* is locked by process ${first.child.pid} on `));
    await second.gone();
    assert.equal(second.code, 3);
    // This process (the test runner) is refused too, with the holder named.
    assert.throws(() => openDiskSpool(dir, 'archive-2', OPTIONS), (err) => err instanceof SpoolLockedError && err.owner.pid === first.child.pid);

    first.child.kill('SIGTERM');
    await first.gone();
    assert.equal(fs.existsSync(path.join(dir, 'lock')), false, 'a closed holder removes its lock');
    const third = start(dir);
    assert.equal(await third.said(), 'OPEN 3');
  });

  it('a holder killed with SIGKILL leaves a stale lock: the next process takes it over and finds its records', async function () {
    const dir = path.join(root, 'spool');
    const first = start(dir, { records: 5 });
    assert.equal(await first.said(), 'OPEN 0');
    first.child.kill('SIGKILL');
    await first.gone();
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).pid, first.child.pid, 'the lock outlives its process');
    const second = start(dir);
    assert.equal(await second.said(), 'OPEN 5');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).pid, second.child.pid);
  });

  it('a lock whose pid now belongs to another process (pid reuse) is stale; one from another host is respected', function () {
    const dir = path.join(root, 'spool');
    fs.mkdirSync(dir);
    // pid 1 runs, but it was started long before this lock was "taken".
    fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: 1, host: os.hostname(), start: '1' }));
    const opened = openDiskSpool(dir, 'archive-3', OPTIONS);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).pid, process.pid);
    opened.spool.close();
    opened.release();
    assert.equal(fs.existsSync(path.join(dir, 'lock')), false);

    fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: 4242, host: 'other-host.example', start: null }));
    assert.throws(() => openDiskSpool(dir, 'archive-3', OPTIONS), (err) => err instanceof SpoolLockedError && err.owner.host === 'other-host.example');
    // An unreadable lock (a crash while writing it) is stale.
    fs.writeFileSync(path.join(dir, 'lock'), '{"pid":');
    const again = openDiskSpool(dir, 'archive-3', OPTIONS);
    again.spool.close();
    again.release();
  });
});
