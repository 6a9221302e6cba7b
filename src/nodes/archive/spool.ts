import { type ArchiveSettings, MEMORY_SPOOL_MAX_BYTES } from '../../core/archive/settings';
import { type ConfigResult, configFailed, configOk } from '../../core/config-result';
import { formatExact } from '../../core/rate';
import { MemorySpool } from '../../core/spool/memory-spool';
import type { Spool } from '../../core/spool/types';
import { SpoolInUseError, SpoolLockedError, openDiskSpool } from '../../io/spool-fs';
import type { Node } from '../shared/red';
import type { Translate } from '../shared/translate';

export interface ArchiveSpool {
  spool: Spool;
  /** Frees the spool directory for another node; call once the spool is closed. */
  release(): void;
}

/**
 * The archive's spool: the disk spool in its own directory (what an earlier run left there is
 * logged), or with `spool: false` the memory spool. A directory another node or another live
 * process holds, or one that cannot be opened, is a problem the node shows like bad config.
 */
export function openArchiveSpool(node: Node, t: Translate, settings: ArchiveSettings): ConfigResult<ArchiveSpool> {
  const options = { maxBytes: settings.spoolMaxBytes, onFull: settings.onSpoolFull };
  if (!settings.spool) {
    return configOk({ spool: new MemorySpool({ ...options, maxBytes: Math.min(options.maxBytes, MEMORY_SPOOL_MAX_BYTES) }), release: () => undefined });
  }
  try {
    const { spool, found, release } = openDiskSpool(settings.spoolDir, node.id, options);
    for (const problem of found.problems) node.warn(problem.message);
    if (found.points > 0) node.log(t('log.spoolFound', { points: formatExact(found.points), dir: settings.spoolDir }));
    return configOk({ spool, release });
  } catch (err) {
    if (err instanceof SpoolInUseError) return configFailed([{ key: 'spoolInUse', params: { dir: err.dir, owner: err.owner } }]);
    if (err instanceof SpoolLockedError) {
      return configFailed([{ key: 'spoolLocked', params: { dir: err.dir, pid: String(err.owner.pid), host: err.owner.host } }]);
    }
    return configFailed([{ key: 'spoolOpen', params: { reason: err instanceof Error ? err.message : String(err) } }]);
  }
}
