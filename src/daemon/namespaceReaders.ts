import { join } from 'node:path';
import { IP_NETNS_DIR } from '../host/netns.js';
import type { NetnsInodeEntry } from '../host/netnsInodes.js';
import type { NamespaceHolder } from '../host/nsenter.js';
import { mapLimited } from './mapLimited.js';

/** A namespace no process is in, kept only by its `ip netns` bind mount. */
export interface BoundNamespace {
  inode: number;
  /** Its /run/netns file, which nsenter enters. */
  path: string;
}

export type StartHolder = (namespace: BoundNamespace) => Promise<NamespaceHolder>;

/** Holders started at once: each is an nsenter fork, and 200 at once would be a fork storm. */
const HOLDER_STARTS_IN_FLIGHT = 16;

/**
 * One long-lived holder process per process-less namespace, so that every sample reads its
 * /proc/HOLDER/net files with no fork (a fork per namespace per sample cost 23 s per sample at 200
 * namespaces). A holder keeps its namespace alive, so it is killed at the first sample that no
 * longer lists the namespace's /run/netns file (`ip netns delete` removed it), and at shutdown.
 */
export class NamespaceReaders {
  private readonly holders = new Map<number, NamespaceHolder>();
  private closed = false;

  constructor(private readonly startHolder: StartHolder) {}

  /** The holders' pids: the inventory leaves them out, or no namespace would ever look process-less. */
  pids(): Set<number> {
    return new Set([...this.holders.values()].map((holder) => holder.pid));
  }

  pidOf(inode: number): number | undefined {
    return this.holders.get(inode)?.pid;
  }

  /**
   * The namespaces that need a holder: the `ip netns` ones no process is in, and those that have one
   * already, for as long as their name is listed. A process that enters a held namespace is often
   * gone the next moment (ctdoctor's own nsenter reading its timeouts, an `ip netns exec`): killing
   * the holder for it broke an analysis round reading through the holder's /proc/PID/net.
   */
  wantedAmong(entries: readonly NetnsInodeEntry[]): BoundNamespace[] {
    return entries
      .filter((entry) => (entry.pid === null || this.holders.has(entry.inode)) && entry.names.length > 0)
      .map((entry) => ({ inode: entry.inode, path: join(IP_NETNS_DIR, entry.names[0]!) }));
  }

  /** The pid to read a namespace through: its holder's, which lives as long as the namespace, else a process in it. */
  readerPid(entry: NetnsInodeEntry): number | undefined {
    return this.pidOf(entry.inode) ?? entry.pid ?? undefined;
  }

  /**
   * Keeps a holder for each of `wanted` and none for anything else (a namespace deleted); a holder
   * that died is started again. Returns why a start failed,
   * by inode, for the sample to report.
   */
  async sync(wanted: readonly BoundNamespace[]): Promise<Map<number, string>> {
    const failures = new Map<number, string>();
    if (this.closed) return failures;
    const wantedInodes = new Set(wanted.map((namespace) => namespace.inode));
    for (const [inode, holder] of this.holders) {
      if (!wantedInodes.has(inode) || !holder.alive()) {
        holder.kill();
        this.holders.delete(inode);
      }
    }
    const missing = wanted.filter((namespace) => !this.holders.has(namespace.inode));
    await mapLimited(missing, HOLDER_STARTS_IN_FLIGHT, async (namespace) => {
      try {
        const holder = await this.startHolder(namespace);
        // A shutdown while it started: nothing would ever kill it.
        if (this.closed) holder.kill();
        else this.holders.set(namespace.inode, holder);
      } catch (error) {
        failures.set(namespace.inode, error instanceof Error ? error.message : String(error));
      }
    });
    return failures;
  }

  close(): void {
    this.closed = true;
    for (const holder of this.holders.values()) holder.kill();
    this.holders.clear();
  }
}
