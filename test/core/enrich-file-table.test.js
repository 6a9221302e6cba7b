'use strict';
const assert = require('assert');
const { FileTable } = require('../../dist/core/enrich/file-table');

/** An in-memory filesystem: each write bumps mtime (and can change the inode, as an atomic rename does). */
class FakeFiles {
  constructor() {
    this.files = new Map();
    this.reads = 0;
    this.clock = 1000;
    this.onRead = undefined;
  }
  write(path, text, { newInode = false } = {}) {
    const old = this.files.get(path);
    this.clock += 1;
    this.files.set(path, { text, mtimeMs: this.clock, ino: newInode || !old ? this.clock : old.ino });
  }
  remove(path) {
    this.files.delete(path);
  }
  async stat(path) {
    const file = this.files.get(path);
    if (!file) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return { size: Buffer.byteLength(file.text), mtimeMs: file.mtimeMs, ino: file.ino };
  }
  async read(path) {
    this.reads++;
    const file = this.files.get(path);
    if (!file) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    const text = file.text;
    if (this.onRead) this.onRead();
    return text;
  }
}

const CSV = '/data/sites.csv';
const options = { key: 'device', as: 'tags' };

function site(table, device) {
  const row = table.current() && table.current().get(device);
  return row && row.values[row.columns.indexOf('site')];
}

describe('core/enrich/file-table', function () {
  let fs;
  let table;
  beforeEach(function () {
    fs = new FakeFiles();
    table = new FileTable(CSV, 'csv', options, fs);
  });

  it('loads the file on the first refresh', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    assert.deepStrictEqual(await table.refresh(), { kind: 'loaded', rows: 1, duplicates: 0 });
    assert.strictEqual(site(table, 'dev-1'), 'plant-a');
    assert.strictEqual(table.error, undefined);
  });

  it('does not read an unchanged file again', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    assert.deepStrictEqual(await table.refresh(), { kind: 'unchanged' });
    assert.strictEqual(fs.reads, 1);
  });

  it('reloads a changed file', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    fs.write(CSV, 'device,site\ndev-1,plant-b\n');
    assert.strictEqual((await table.refresh()).kind, 'loaded');
    assert.strictEqual(site(table, 'dev-1'), 'plant-b');
  });

  it('notices a file replaced by a rename (same size and mtime, new inode)', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    const { mtimeMs } = fs.files.get(CSV);
    fs.write(CSV, 'device,site\ndev-1,plant-b\n', { newInode: true });
    fs.files.get(CSV).mtimeMs = mtimeMs;
    assert.strictEqual((await table.refresh()).kind, 'loaded');
    assert.strictEqual(site(table, 'dev-1'), 'plant-b');
  });

  it('keeps the last good table when the file breaks, and reports it once', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    fs.write(CSV, 'device,site\ndev-1,"unclosed\n');
    const outcome = await table.refresh();
    assert.strictEqual(outcome.kind, 'failed');
    assert.match(outcome.message, /sites\.csv: invalid CSV/);
    assert.strictEqual(outcome.kept, 1);
    assert.strictEqual(site(table, 'dev-1'), 'plant-a');
    assert.match(table.error, /invalid CSV/);
    assert.deepStrictEqual(await table.refresh(), { kind: 'unchanged' });
  });

  it('clears the problem once the file is fixed', async function () {
    fs.write(CSV, 'device,site\ndev-1,"unclosed\n');
    await table.refresh();
    fs.write(CSV, 'device,site\ndev-1,plant-c\n');
    assert.strictEqual((await table.refresh()).kind, 'loaded');
    assert.strictEqual(table.error, undefined);
    assert.strictEqual(site(table, 'dev-1'), 'plant-c');
  });

  it('reports a missing file once, with no table to fall back on', async function () {
    const outcome = await table.refresh();
    assert.deepStrictEqual(outcome, { kind: 'failed', message: `cannot read ${CSV}: no such file`, kept: undefined });
    assert.strictEqual(table.current(), undefined);
    assert.deepStrictEqual(await table.refresh(), { kind: 'unchanged' });
  });

  it('keeps the table when the file is deleted, and loads it when it comes back', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    fs.remove(CSV);
    assert.strictEqual((await table.refresh()).kind, 'failed');
    assert.strictEqual(site(table, 'dev-1'), 'plant-a');
    fs.write(CSV, 'device,site\ndev-1,plant-d\n');
    assert.strictEqual((await table.refresh()).kind, 'loaded');
    assert.strictEqual(site(table, 'dev-1'), 'plant-d');
  });

  it('treats an empty file as broken (a file being rewritten in place), keeping the last table', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    fs.write(CSV, '');
    const outcome = await table.refresh();
    assert.strictEqual(outcome.kind, 'failed');
    assert.match(outcome.message, /is empty/);
    assert.strictEqual(site(table, 'dev-1'), 'plant-a');
  });

  it('refuses a file above the size limit without reading it', async function () {
    const small = new FileTable(CSV, 'csv', options, fs, 10);
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    const outcome = await small.refresh();
    assert.strictEqual(outcome.kind, 'failed');
    assert.match(outcome.message, /more than the 10 a lookup table may have/);
    assert.strictEqual(fs.reads, 0);
  });

  it('does not report a file that changed while it was read; the next refresh loads it', async function () {
    fs.write(CSV, 'device,site\ndev-1,"half');
    fs.onRead = () => {
      fs.onRead = undefined;
      fs.write(CSV, 'device,site\ndev-1,plant-e\n');
    };
    assert.deepStrictEqual(await table.refresh(), { kind: 'unchanged' });
    assert.strictEqual(table.error, undefined);
    assert.strictEqual((await table.refresh()).kind, 'loaded');
    assert.strictEqual(site(table, 'dev-1'), 'plant-e');
  });

  it('re-reads an unchanged file when forced', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    await table.refresh();
    assert.strictEqual((await table.refresh(true)).kind, 'loaded');
    assert.strictEqual(fs.reads, 2);
  });

  it('shares one load between overlapping refreshes', async function () {
    fs.write(CSV, 'device,site\ndev-1,plant-a\n');
    const [a, b] = await Promise.all([table.refresh(), table.refresh()]);
    assert.strictEqual(a, b);
    assert.strictEqual(fs.reads, 1);
  });

  it('loads JSON files too', async function () {
    const json = new FileTable('/data/sites.json', 'json', { key: 'device', as: 'fields' }, fs);
    fs.write('/data/sites.json', '{"dev-1":{"altitude":12}}');
    assert.strictEqual((await json.refresh()).kind, 'loaded');
    const row = json.current().get('dev-1');
    assert.deepStrictEqual([row.columns, row.values], [['altitude'], [12]]);
  });
});
