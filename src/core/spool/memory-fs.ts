/**
 * An in-memory SpoolFs for tests and benchmarks, which can also play the part of a crash:
 * `crash()` forgets every byte not fsynced, `tearNextAppend(n)` writes only the first n bytes
 * of the next append and then fails, `damage()` overwrites bytes in place.
 */

import type { SpoolFs } from './types';

interface File {
  data: Buffer;
  /** Bytes known to be on stable storage. */
  synced: number;
}

export class MemoryFs implements SpoolFs {
  readonly files = new Map<string, File>();
  /** Every call, for tests that check fsync discipline. */
  readonly calls: string[] = [];
  private tearAfter: number | undefined;
  private failWith: string | undefined;

  ensureDir(): void {
    this.calls.push('ensureDir');
  }

  list(): string[] {
    return [...this.files.keys()];
  }

  size(name: string): number {
    return this.get(name).data.length;
  }

  read(name: string, position: number, length: number): Buffer {
    const { data } = this.get(name);
    return Buffer.from(data.subarray(position, Math.min(data.length, position + length)));
  }

  append(name: string, data: Buffer, sync: boolean): void {
    this.calls.push(`append:${name}:${sync ? 'sync' : 'nosync'}`);
    if (this.failWith) {
      const message = this.failWith;
      this.failWith = undefined;
      throw Object.assign(new Error(message), { code: message.split(':')[0] });
    }
    const file = this.files.get(name) ?? { data: Buffer.alloc(0), synced: 0 };
    this.files.set(name, file);
    if (this.tearAfter !== undefined) {
      const kept = this.tearAfter;
      this.tearAfter = undefined;
      file.data = Buffer.concat([file.data, data.subarray(0, kept)]);
      file.synced = file.data.length;
      throw new Error('simulated crash in the middle of an append');
    }
    file.data = Buffer.concat([file.data, data]);
    if (sync) file.synced = file.data.length;
  }

  truncate(name: string, length: number): void {
    this.calls.push(`truncate:${name}:${length}`);
    const file = this.get(name);
    file.data = Buffer.from(file.data.subarray(0, length));
    file.synced = Math.min(file.synced, length);
  }

  remove(name: string): void {
    this.calls.push(`remove:${name}`);
    this.files.delete(name);
  }

  readText(name: string): string | undefined {
    const file = this.files.get(name);
    return file ? file.data.toString('utf8') : undefined;
  }

  writeTextAtomic(name: string, text: string): void {
    const data = Buffer.from(text, 'utf8');
    this.files.set(name, { data, synced: data.length });
  }

  syncDir(): void {
    this.calls.push('syncDir');
  }

  // --- crash simulation ------------------------------------------------------------------------

  /** The process died: every file keeps only what was fsynced. */
  crash(): void {
    for (const file of this.files.values()) file.data = Buffer.from(file.data.subarray(0, file.synced));
  }

  /** The next append writes only `bytes` bytes, then throws (a torn record is left behind). */
  tearNextAppend(bytes: number): void {
    this.tearAfter = bytes;
  }

  /** The next append throws, e.g. `ENOSPC: no space left on device`. */
  failNextAppend(message: string): void {
    this.failWith = message;
  }

  /** Overwrites bytes in place (a damaged disk block). */
  damage(name: string, position: number, bytes: Buffer): void {
    bytes.copy(this.get(name).data, position);
  }

  /** Appends raw bytes without going through the spool (a torn tail written by a dead process). */
  appendRaw(name: string, bytes: Buffer): void {
    const file = this.files.get(name) ?? { data: Buffer.alloc(0), synced: 0 };
    file.data = Buffer.concat([file.data, bytes]);
    file.synced = file.data.length;
    this.files.set(name, file);
  }

  private get(name: string): File {
    const file = this.files.get(name);
    if (!file) throw Object.assign(new Error(`ENOENT: no such file ${name}`), { code: 'ENOENT' });
    return file;
  }
}
