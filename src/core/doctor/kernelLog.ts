/**
 * The kernel's table-full messages in every form it has printed:
 * - `nf_conntrack: nf_conntrack: table full, dropping packet` (net_warn_ratelimited with pr_fmt: doubled prefix)
 * - `nf_conntrack: table full, dropping packet` (older printk)
 * - `nf_conntrack: nf_conntrack: table full in netns 4026532246, dropping packet` (non-initial netns, 2025+)
 * - `ip_conntrack: table full, dropping packet.` (2.6 era)
 * and the ratelimit notices `net_ratelimit: N callbacks suppressed` (lib/ratelimit.c prints
 * "%s: %u callbacks suppressed" with func "net_ratelimit" when the next interval opens; every
 * net_*_ratelimited message shares that one state, so the N are not all conntrack's).
 */
const TABLE_FULL = /(?:nf|ip)_conntrack: (?:nf_conntrack: )?table full(?: in netns (\d+))?, dropping packet/;
const SUPPRESSED = /net_ratelimit: (\d+) callbacks suppressed/;

/** What one kernel log message says about the table, if anything. */
export type TableFullMessage =
  | { kind: 'table-full'; netnsInode: number | null }
  | { kind: 'suppressed'; count: number };

export function classifyKernelMessage(message: string): TableFullMessage | null {
  const full = TABLE_FULL.exec(message);
  if (full) return { kind: 'table-full', netnsInode: full[1] ? Number(full[1]) : null };
  const quiet = SUPPRESSED.exec(message);
  return quiet ? { kind: 'suppressed', count: Number(quiet[1]) } : null;
}

export interface KernelLogRecord {
  /** Milliseconds since the epoch (from the record's boot-relative time). */
  timeMs: number;
  message: string;
}

export interface TableFullSummary {
  /** Namespace inode from the message; null for the initial namespace or kernels that do not say. */
  netnsInode: number | null;
  messages: number;
  firstMs: number;
  lastMs: number;
}

export interface KernelLogSummary {
  source: string;
  tableFull: TableFullSummary[];
  /** Messages the kernel suppressed by rate limiting: some may be table-full messages. */
  suppressed: number;
  /** Records examined, and since when. */
  records: number;
  sinceMs: number | null;
}

/** `prio,seq,usec,flags;message` (/dev/kmsg) → record; `bootMs` is the epoch time of boot. */
export function parseKmsgRecord(line: string, bootMs: number): KernelLogRecord | null {
  const semicolon = line.indexOf(';');
  if (semicolon < 0) return null;
  const fields = line.slice(0, semicolon).split(',');
  const usec = Number(fields[2]);
  if (!Number.isFinite(usec)) return null;
  return {
    timeMs: bootMs + usec / 1000,
    message: line
      .slice(semicolon + 1)
      .split('\n')[0]!
      .trimEnd(),
  };
}

/**
 * One line of `dmesg --raw`: `<prio>[seconds.micro] message`. The bracketed time is the printk
 * timestamp itself (seconds since boot, the clock /dev/kmsg gives in microseconds), so both sources
 * convert through the same boot time. A line without one (printk.time=0, a continuation) cannot be
 * placed in time and is left out: --since and the inode-reuse guard need every record's time.
 */
export function parseDmesgRawLine(line: string, bootMs: number): KernelLogRecord | null {
  const match = /^(?:<\d+>)?\[\s*(\d+)\.(\d{6})\] ?(.*)$/.exec(line);
  if (!match) return null;
  return {
    timeMs: bootMs + (Number(match[1]) * 1e6 + Number(match[2])) / 1000,
    message: match[3]!.trimEnd(),
  };
}

export function summarizeKernelLog(
  records: KernelLogRecord[],
  source: string,
  sinceMs: number | null,
): KernelLogSummary {
  const byNetns = new Map<string, TableFullSummary>();
  let suppressed = 0;
  let examined = 0;
  for (const record of records) {
    if (sinceMs !== null && record.timeMs < sinceMs) continue;
    examined++;
    const said = classifyKernelMessage(record.message);
    if (said?.kind === 'table-full') {
      const inode = said.netnsInode;
      const key = String(inode);
      const summary = byNetns.get(key) ?? {
        netnsInode: inode,
        messages: 0,
        firstMs: record.timeMs,
        lastMs: record.timeMs,
      };
      summary.messages++;
      summary.firstMs = Math.min(summary.firstMs, record.timeMs);
      summary.lastMs = Math.max(summary.lastMs, record.timeMs);
      byNetns.set(key, summary);
      continue;
    }
    if (said?.kind === 'suppressed') suppressed += said.count;
  }
  return {
    source,
    tableFull: [...byNetns.values()].sort((a, b) => b.lastMs - a.lastMs),
    suppressed,
    records: examined,
    sinceMs,
  };
}

/** How long before a namespace's oldest process a "table full" line may still be its own. */
const NAMESPACE_CLOCK_SLACK_MS = 1000;

/**
 * A namespace's own "table full" lines. Inodes are reused within minutes (docs/kernel-notes.md):
 * only lines from after the namespace surely existed (its oldest process started) are its own; the
 * initial namespace's lines carry no inode.
 */
export function namespaceTableFull(
  records: KernelLogRecord[],
  source: string,
  namespace: { inode: number; initial: boolean; existsSinceMs: number | null },
  sinceMs: number,
): TableFullSummary | null {
  const existed = namespace.initial ? 0 : (namespace.existsSinceMs ?? 0) - NAMESPACE_CLOCK_SLACK_MS;
  const own = summarizeKernelLog(records, source, Math.max(sinceMs, existed)).tableFull;
  return (
    own.find(
      (entry) => entry.netnsInode === namespace.inode || (namespace.initial && entry.netnsInode === null),
    ) ?? null
  );
}
