import { TimeoutImpactCounter, type TimeoutImpact } from '../core/plan/timeoutImpact.js';
import { formatAddress } from '../core/table/address.js';
import type { ConntrackEntry } from '../core/table/entry.js';
import { EntryStreamParser } from '../core/table/entryStream.js';
import type { TableSource } from '../host/tableSource.js';

export interface ImpactScan {
  impacts: TimeoutImpact[];
  /** `conntrack -D` lines (for `conntrack -R -`) deleting TCP/UDP entries idle beyond their new timeout. */
  flushLines: string[];
  entries: number;
}

function deleteLine(entry: ConntrackEntry): string | null {
  const proto = entry.protoNum === 6 ? 'tcp' : entry.protoNum === 17 ? 'udp' : null;
  if (!proto) return null;
  const { src, dst, sport, dport } = entry.orig;
  return `-D -p ${proto} -s ${formatAddress(src)} -d ${formatAddress(dst)} --sport ${sport} --dport ${dport}`;
}

/** One pass over the live table: for each proposed timeout, who it governs and who is idle beyond it. */
export async function scanTimeoutImpact(
  source: TableSource,
  changes: { name: string; currentSeconds: number; newSeconds: number }[],
  protectedPorts: Readonly<Record<number, string>>,
): Promise<ImpactScan> {
  const counters = changes.map(
    (change) =>
      new TimeoutImpactCounter(change.name, change.currentSeconds, change.newSeconds, protectedPorts),
  );
  const flushLines: string[] = [];
  const parser = new EntryStreamParser((entry) => {
    let idle = false;
    for (const counter of counters) if (counter.add(entry)) idle = true;
    if (idle) {
      const line = deleteLine(entry);
      if (line) flushLines.push(line);
    }
  });
  for await (const chunk of source.stream) parser.push(chunk);
  const counts = parser.end();
  return { impacts: counters.map((counter) => counter.impact), flushLines, entries: counts.entries };
}
