import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The lock that keeps two processes (two Node-RED instances pointed at the same spoolDir) from
 * using one spool directory: `<dir>/lock`, created exclusively (O_EXCL), holding the owner's pid,
 * host and process start time. Two writers would interleave records and each delete segments the
 * other still needs.
 *
 * A lock left by a process that is gone (killed, crashed, machine rebooted) is stale and taken
 * over: its pid no longer runs, or now belongs to a process started at another time (pid reuse,
 * checked through /proc on Linux). A lock from another host cannot be checked and is respected;
 * delete it by hand if that host no longer uses the directory (the error says so).
 *
 * In one process the lock is taken once per directory (the in-process owner map in spool-fs.ts
 * decides between nodes); a lock naming this very process is ours from an earlier open.
 */

export const LOCK_FILE = 'lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time (clock ticks since boot, /proc/<pid>/stat field 22), when known. */
  start: string | null;
}

export class SpoolLockedError extends Error {
  constructor(readonly dir: string, readonly owner: LockOwner) {
    super(`spool directory ${dir} is locked by process ${owner.pid} on ${owner.host}`);
    this.name = 'SpoolLockedError';
  }
}

/** Takes the lock on `dir` (which must exist) for this process; returns its release. */
export function lockSpoolDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), start: processStart(process.pid) };
  // Two rounds: the second follows the removal of a stale lock. Should another process take the
  // lock in between, the exclusive create fails and its (live) lock is respected.
  for (let round = 0; round < 2; round++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return () => releaseIfMine(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readOwner(file);
    if (holder && isAlive(holder)) {
      if (holder.pid === process.pid && holder.host === me.host) return () => releaseIfMine(file);
      throw new SpoolLockedError(dir, holder);
    }
    // Stale (its process is gone) or unreadable (a crash while writing it): take it over.
    fs.rmSync(file, { force: true });
  }
  const holder = readOwner(file);
  throw new SpoolLockedError(dir, holder ?? { pid: 0, host: 'unknown', start: null });
}

function releaseIfMine(file: string): void {
  const holder = readOwner(file);
  if (holder && holder.pid === process.pid && holder.host === os.hostname()) fs.rmSync(file, { force: true });
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (!Number.isSafeInteger(parsed.pid) || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid as number, host: parsed.host, start: typeof parsed.start === 'string' ? parsed.start : null };
  } catch {
    return undefined;
  }
}

/** Whether the lock's process still runs. Another host's process is assumed to. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  if (owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it runs, as another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  // The pid runs, but was it started when the lock was taken? (pid reuse after a reboot or wrap)
  return owner.start === null || start === null || start === owner.start;
}

/** Field 22 of /proc/<pid>/stat (start time since boot), or null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
