'use strict';
// An in-memory SpoolFs (src/core/spool/types.ts) for tests and benchmarks, which can also play
// the part of a crash: `crash()` forgets every byte not fsynced, `tearNextAppend(n)` writes only
// the first n bytes of the next append and then fails, `damage()` overwrites bytes in place.
// A file is { data: Buffer, synced: bytes known to be on stable storage }.

class MemoryFs {
  constructor() {
    this.files = new Map();
    /** Every call, for tests that check fsync discipline. */
    this.calls = [];
    this.tearAfter = undefined;
    this.failWith = undefined;
  }

  ensureDir() {
    this.calls.push('ensureDir');
  }

  list() {
    return [...this.files.keys()];
  }

  size(name) {
    return this.get(name).data.length;
  }

  read(name, position, length) {
    const { data } = this.get(name);
    return Buffer.from(data.subarray(position, Math.min(data.length, position + length)));
  }

  append(name, data, sync) {
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

  truncate(name, length) {
    this.calls.push(`truncate:${name}:${length}`);
    const file = this.get(name);
    file.data = Buffer.from(file.data.subarray(0, length));
    file.synced = Math.min(file.synced, length);
  }

  remove(name) {
    this.calls.push(`remove:${name}`);
    this.files.delete(name);
  }

  readText(name) {
    const file = this.files.get(name);
    return file ? file.data.toString('utf8') : undefined;
  }

  writeTextAtomic(name, text) {
    const data = Buffer.from(text, 'utf8');
    this.files.set(name, { data, synced: data.length });
  }

  syncDir() {
    this.calls.push('syncDir');
  }

  // --- crash simulation ------------------------------------------------------------------------

  /** The process died: every file keeps only what was fsynced. */
  crash() {
    for (const file of this.files.values()) file.data = Buffer.from(file.data.subarray(0, file.synced));
  }

  /** The next append writes only `bytes` bytes, then throws (a torn record is left behind). */
  tearNextAppend(bytes) {
    this.tearAfter = bytes;
  }

  /** The next append throws, e.g. `ENOSPC: no space left on device`. */
  failNextAppend(message) {
    this.failWith = message;
  }

  /** Overwrites bytes in place (a damaged disk block). */
  damage(name, position, bytes) {
    bytes.copy(this.get(name).data, position);
  }

  /** Appends raw bytes without going through the spool (a torn tail written by a dead process). */
  appendRaw(name, bytes) {
    const file = this.files.get(name) ?? { data: Buffer.alloc(0), synced: 0 };
    file.data = Buffer.concat([file.data, bytes]);
    file.synced = file.data.length;
    this.files.set(name, file);
  }

  get(name) {
    const file = this.files.get(name);
    if (!file) throw Object.assign(new Error(`ENOENT: no such file ${name}`), { code: 'ENOENT' });
    return file;
  }
}

module.exports = { MemoryFs };
