import { parseEventLine } from '../core/events/eventLine.js';
import type { NewFlowCounts } from '../core/plan/liveLoad.js';
import { openEventStream } from '../host/eventStream.js';
import type { NetnsFiles } from '../host/netnsFiles.js';

const PROTOCOL_OF: Readonly<Record<number, 'tcp' | 'udp' | 'icmp'>> = {
  6: 'tcp',
  17: 'udp',
  1: 'icmp',
  58: 'icmp',
};

/**
 * NEW events per protocol in the namespace of `files` over the next `seconds`, read the way `top`
 * reads them (conntrack -E with an 8 MiB buffer). `lostWarnings` > 0 means the kernel dropped
 * events and the counts are low.
 */
export async function countNewFlows(
  files: NetnsFiles,
  seconds: number,
): Promise<NewFlowCounts & { lostWarnings: number }> {
  const counts = { windowSeconds: seconds, tcp: 0, udp: 0, icmp: 0, lostWarnings: 0 };
  const stream = await openEventStream(files, {
    onLine(line) {
      const event = parseEventLine(line);
      const protocol = event?.kind === 'NEW' ? PROTOCOL_OF[event.protoNum] : undefined;
      if (protocol) counts[protocol]++;
    },
    onLost() {
      counts.lostWarnings++;
    },
  });
  const startedMs = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, seconds * 1000);
  });
  try {
    // The stream rejects if conntrack could not start or died: that ends the window with its error.
    await Promise.race([elapsed, stream.finished]);
  } finally {
    clearTimeout(timer);
    stream.stop();
  }
  await stream.finished;
  counts.windowSeconds = (Date.now() - startedMs) / 1000;
  return counts;
}
