import { runTool } from './childProcess.js';
import type { DeliveryOutcome } from './notificationQueue.js';

/** logger sends to a remote server over UDP (RFC 5424) when given one; else to /dev/log, which journald reads. */
export interface SyslogTarget {
  server: { host: string; port: number } | undefined;
}

/** logger writes one datagram or socket message; a hung /dev/log reader must not hold a child for long. */
const LOGGER_TIMEOUT_MS = 5_000;

/** One message through util-linux logger, tagged `ctdoctor`, at `priority` (e.g. daemon.crit). */
export async function sendToSyslog(
  message: string,
  priority: string,
  target: SyslogTarget,
): Promise<DeliveryOutcome> {
  // Without --socket-errors=on, logger exits 0 when /dev/log is missing (no journald, a bare
  // container): every notification would count as sent and go nowhere.
  const destination = target.server
    ? ['--server', target.server.host, '--port', String(target.server.port), '--udp']
    : ['--socket-errors=on'];
  try {
    const run = await runTool(
      'logger',
      ['--tag', 'ctdoctor', '--priority', priority, ...destination, '--', message],
      {
        timeoutMs: LOGGER_TIMEOUT_MS,
      },
    );
    if (run.exitCode === 0) return { result: 'sent' };
    return { result: 'failed', reason: run.stderr.trim().split('\n')[0] || `logger exited ${run.exitCode}` };
  } catch (error) {
    return { result: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}
