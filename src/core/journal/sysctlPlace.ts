/**
 * Where a sysctl was written, beyond its namespace path: the procfs tree (`--proc-root`, when not
 * /proc) and, for ctdoctor's own namespace, its inode. A rollback must write the same place: run
 * with another --proc-root, or from another namespace (`ip netns exec lab ctdoctor persist --reload
 * --apply`, then `ctdoctor rollback` on the host), it would otherwise restore a value where ctdoctor
 * never changed one — whenever that value happened to equal the journaled one, or with --force.
 */
export interface SysctlPlace {
  procRoot?: string;
  netnsInode?: number;
}

const LIVE_PROC = '/proc';

/** Why `change` must not be undone through `here` (another tree, another namespace); null when it may. */
export function sysctlPlaceMismatch(
  change: { key: string; netns?: string } & SysctlPlace,
  here: SysctlPlace,
): string | null {
  const madeRoot = change.procRoot ?? LIVE_PROC;
  const hereRoot = here.procRoot ?? LIVE_PROC;
  if (madeRoot !== hereRoot)
    return `${change.key} was changed through ${madeRoot} and this rollback writes ${hereRoot}: run it ${madeRoot === LIVE_PROC ? 'without --proc-root' : `with --proc-root ${madeRoot}`}`;
  if (change.netns === undefined && change.netnsInode !== undefined && here.netnsInode !== undefined) {
    if (change.netnsInode !== here.netnsInode)
      return `${change.key} was changed in network namespace ${change.netnsInode}, where ctdoctor ran, and this rollback runs in ${here.netnsInode}: run it inside that namespace (ip netns exec NAME ctdoctor rollback)`;
  }
  return null;
}
