import { promises as fs } from 'node:fs';
import type { TableFileAccess } from '../core/enrich/file-table';

/** The enrich node's lookup-table files on disk: a stat per poll, a read when they changed. */
export const fsTableFileAccess: TableFileAccess = {
  async stat(file) {
    const stats = await fs.stat(file);
    if (!stats.isFile()) throw new Error('not a regular file');
    return { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
  },
  read: (file) => fs.readFile(file, 'utf8'),
};
