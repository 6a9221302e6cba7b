import fs from 'node:fs';
import path from 'node:path';
import { DiskSpool, type DiskSpoolOptions, type OpenSummary } from '../core/spool/disk-spool';
import type { SpoolFs } from '../core/spool/types';

import { lockSpoolDir } from './spool-lock';

export { SpoolLockedError } from './spool-lock';

/**
 * Spool directories in use in this process: their owner node (two nodes must never share one),
 * how many opens hold it (a redeployed node may open before its old self released), and the
 * release of the directory's lock file (spool-lock.ts: two processes must never share one).
 */
const dirsInUse = new Map<string, { owner: string; holders: number; unlock: () => void }>();

export class SpoolInUseError extends Error {
  constructor(readonly dir: string, readonly owner: string) {
    super(`spool directory ${dir} is already used by node ${owner}`);
  }
}

export interface OpenedDiskSpool {
  spool: DiskSpool;
  /** What an earlier run left there. */
  found: OpenSummary;
  /** Frees the directory for another node or process (after the spool is closed). */
  release(): void;
}

/**
 * Opens the disk spool in `dir` for node `owner`, who keeps the directory until `release`.
 * Throws SpoolInUseError when another node of this process holds it (a redeployed node may
 * reopen its own), SpoolLockedError when another live process does.
 */
export function openDiskSpool(dir: string, owner: string, options: DiskSpoolOptions, spoolFs: SpoolFs = createSpoolFs(dir)): OpenedDiskSpool {
  const held = dirsInUse.get(dir);
  if (held !== undefined && held.owner !== owner) throw new SpoolInUseError(dir, held.owner);
  let entry = held;
  if (!entry) {
    fs.mkdirSync(dir, { recursive: true });
    entry = { owner, holders: 0, unlock: lockSpoolDir(dir) };
    dirsInUse.set(dir, entry);
  }
  entry.holders += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const current = dirsInUse.get(dir);
    if (!current) return;
    current.holders -= 1;
    if (current.holders > 0) return;
    dirsInUse.delete(dir);
    current.unlock();
  };
  try {
    const spool = new DiskSpool(spoolFs, options);
    const found = spool.open();
    return { spool, found, release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * The real file system under DiskSpool, bound to one directory. Synchronous: see SpoolFs.
 * Appends open the file in append mode, write every byte, fdatasync, and close: a descriptor
 * held open across redeploys would outlive its node.
 */
export function createSpoolFs(dir: string): SpoolFs {
  const at = (name: string): string => path.join(dir, name);
  return {
    ensureDir() {
      fs.mkdirSync(dir, { recursive: true });
    },
    list() {
      return fs.readdirSync(dir);
    },
    size(name) {
      return fs.statSync(at(name)).size;
    },
    read(name, position, length) {
      const fd = fs.openSync(at(name), 'r');
      try {
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const n = fs.readSync(fd, buffer, filled, length - filled, position + filled);
          if (n === 0) break;
          filled += n;
        }
        return buffer.subarray(0, filled);
      } finally {
        fs.closeSync(fd);
      }
    },
    append(name, data, sync) {
      const fd = fs.openSync(at(name), 'a');
      try {
        let written = 0;
        while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
        if (sync) fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    truncate(name, length) {
      fs.truncateSync(at(name), length);
    },
    remove(name) {
      fs.rmSync(at(name), { force: true });
    },
    readText(name) {
      try {
        return fs.readFileSync(at(name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    writeTextAtomic(name, text) {
      const temp = at(`${name}.tmp`);
      fs.writeFileSync(temp, text);
      fs.renameSync(temp, at(name));
    },
    syncDir() {
      let fd: number | undefined;
      try {
        fd = fs.openSync(dir, 'r');
        fs.fsyncSync(fd);
      } catch {
        // some file systems refuse fsync on a directory; the data itself is synced already
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    },
  };
}
