import { classifyKernelMessage } from './doctor/kernelLog.js';

/** Table-full messages read since the previous sample, by the namespace they name. */
export interface TableFullArrivals {
  /** inode → messages naming it: kernels since mid-2025 name every namespace but the initial one. */
  named: Map<number, number>;
  /** Messages naming no namespace: the initial one's on those kernels, anyone's on older ones. */
  unnamed: number;
}

/**
 * Tallies the table-full messages among `messages` (kernel log lines in order). A
 * `net_ratelimit: N callbacks suppressed` notice is printed by the call that opens the next
 * ratelimit interval, just before that call's own message (lib/ratelimit.c
 * ratelimit_end_interval): when that message is a table-full one, the N suppressed are counted
 * with it. They may include other net messages sharing net_ratelimit's state; on a node dropping
 * for a full table, the table-full ones are nearly all of them. `pendingSuppressed` carries a
 * notice that was the last line read over to the next read.
 */
export function tallyTableFull(
  messages: readonly string[],
  pendingSuppressed: number,
): { arrivals: TableFullArrivals; pendingSuppressed: number } {
  const arrivals: TableFullArrivals = { named: new Map(), unnamed: 0 };
  let pending = pendingSuppressed;
  for (const message of messages) {
    const said = classifyKernelMessage(message);
    if (said?.kind === 'suppressed') {
      pending += said.count;
      continue;
    }
    if (said?.kind === 'table-full') {
      const count = 1 + pending;
      if (said.netnsInode === null) arrivals.unnamed += count;
      else arrivals.named.set(said.netnsInode, (arrivals.named.get(said.netnsInode) ?? 0) + count);
    }
    pending = 0;
  }
  return { arrivals, pendingSuppressed: pending };
}

export interface AttributionContext {
  /** The initial namespace's inode, when the sample has it. */
  initialInode: number | undefined;
  /** This kernel has been seen naming a namespace in the message (so an unnamed one is the initial's). */
  kernelNamesNamespaces: boolean;
  /** Namespaces whose `drop` counter rose in this sample or the one before. */
  dropping: readonly number[];
}

/**
 * Messages per namespace. A named message is its namespace's. An unnamed one is the initial
 * namespace's on a kernel known to name the others; on an older kernel it is every namespace's
 * whose `drop` counter rose — the kernel counts a drop in the same call that prints the message
 * (nf_conntrack_in after __nf_conntrack_alloc fails) — each counting it, since an alert per
 * namespace asks "did this one log table-full", not a share; with no such namespace, the initial's.
 * `drop` rather than early_drop: a successful early drop makes room and prints nothing.
 */
export function attributeTableFull(
  arrivals: TableFullArrivals,
  context: AttributionContext,
): Map<number, number> {
  const counts = new Map(arrivals.named);
  if (arrivals.unnamed === 0) return counts;
  const owners =
    context.kernelNamesNamespaces || context.dropping.length === 0
      ? context.initialInode === undefined
        ? []
        : [context.initialInode]
      : context.dropping;
  for (const inode of owners) counts.set(inode, (counts.get(inode) ?? 0) + arrivals.unnamed);
  return counts;
}
