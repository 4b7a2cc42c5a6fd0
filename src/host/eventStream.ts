import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CtdoctorError } from '../core/errors.js';
import { LOST_EVENTS_LINE } from '../core/events/eventLine.js';
import { missingToolError, requireTool, toolError } from './childProcess.js';
import { netlinkPermissionError } from './netlinkPermission.js';
import type { NetnsFiles } from './netnsFiles.js';

/**
 * Netlink receive buffer asked of conntrack (`-b`). conntrack-tools sets it with SO_RCVBUFFORCE, so
 * as root it is not capped by net.core.rmem_max, and the kernel doubles it for its bookkeeping
 * (socket(7): "NOTICE: Netlink socket buffer size has been set to 16777216 bytes" for 8 MiB). The
 * default (~200 KiB) overflows within milliseconds of a burst of tens of thousands of new flows.
 */
export const EVENT_BUFFER_BYTES = 8 << 20;

export interface EventListener {
  /** Called with every stdout line of `conntrack -E`. */
  onLine(line: string): void;
  /** Called for each ENOBUFS warning: the kernel dropped events it could not queue. */
  onLost(): void;
}

export interface EventStream {
  /** The command line, for --debug and messages. */
  description: string;
  /** Resolves when stopped; rejects when conntrack could not start or ended by itself. */
  finished: Promise<void>;
  stop(): void;
}

/** `conntrack -E -e NEW,DESTROY -o timestamp,id -b …`, in the namespace of `files`. */
export async function openEventStream(files: NetnsFiles, listener: EventListener): Promise<EventStream> {
  const argv = [
    ...files.enterPrefix,
    'conntrack',
    '-E',
    '-e',
    'NEW,DESTROY',
    '-o',
    'timestamp,id',
    '-b',
    String(EVENT_BUFFER_BYTES),
  ];
  for (const tool of new Set([argv[0]!, 'conntrack'])) await requireTool(tool);
  // Its own process group: Ctrl-C reaches ctdoctor, which stops it, rather than both at once
  // (which would read as conntrack dying by itself).
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killAtExit = () => child.kill('SIGKILL');
  process.once('exit', killAtExit);
  let stopped = false;
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => listener.onLine(line));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (LOST_EVENTS_LINE.test(line)) listener.onLost();
    else stderr += `${line}\n`;
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(toolError(argv[0] === 'nsenter' ? 'nsenter' : 'conntrack', error)),
    );
    child.on('close', (code) => {
      process.removeListener('exit', killAtExit);
      if (stopped) resolve();
      else reject(eventFailure(code, stderr));
    });
  });
  return {
    description: argv.join(' '),
    finished,
    stop() {
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}

function eventFailure(code: number | null, stderr: string): CtdoctorError {
  const missing = /^nsenter: failed to execute (\S+): No such file or directory/m.exec(stderr);
  if (missing) return missingToolError(missing[1]!);
  const message =
    stderr
      .trim()
      .split('\n')
      .filter((line) => !/^NOTICE:/.test(line))
      .join('; ') || `exit ${code}`;
  return (
    netlinkPermissionError(message, 'conntrack events', null) ??
    new CtdoctorError('kernel', `conntrack -E ended: ${message}`)
  );
}
