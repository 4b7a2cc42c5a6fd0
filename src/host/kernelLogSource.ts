import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type KernelLogRecord, parseKmsgRecord } from '../core/doctor/kernelLog.js';
import { runTool } from './childProcess.js';
import { type HostRoots, procPath } from './roots.js';

const MAX_RECORDS = 200_000;

async function bootTimeMs(roots: HostRoots): Promise<number> {
  const uptime = Number((await readFile(procPath(roots, 'uptime'), 'utf8').catch(() => '0')).split(' ')[0]);
  return Date.now() - uptime * 1000;
}

/** /dev/kmsg, read without blocking: one record per read(), EAGAIN at the end of the buffer. */
function readKmsg(bootMs: number): KernelLogRecord[] | null {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const records: KernelLogRecord[] = [];
  const buffer = Buffer.alloc(8192);
  try {
    while (records.length < MAX_RECORDS) {
      let bytes: number;
      try {
        bytes = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') continue; // records overwritten while reading
        break; // EAGAIN: nothing more
      }
      if (bytes === 0) break;
      const record = parseKmsgRecord(buffer.toString('utf8', 0, bytes), bootMs);
      if (record) records.push(record);
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

/** The kernel log from /dev/kmsg, else `dmesg`, else `journalctl -k`. */
export async function readKernelLog(
  roots: HostRoots,
): Promise<{ source: string; records: KernelLogRecord[] } | null> {
  const bootMs = await bootTimeMs(roots);
  const kmsg = readKmsg(bootMs);
  if (kmsg) return { source: '/dev/kmsg', records: kmsg };
  const dmesg = await runTool('dmesg', ['--raw', '--notime']).catch(() => null);
  if (dmesg && dmesg.exitCode === 0) {
    const now = Date.now();
    return {
      source: 'dmesg',
      records: dmesg.stdout
        .split('\n')
        .map((message) => ({ timeMs: now, message: message.replace(/^<\d+>/, '') })),
    };
  }
  const journal = await runTool('journalctl', [
    '-k',
    '-o',
    'short-unix',
    '--no-pager',
    '-n',
    String(MAX_RECORDS),
  ]).catch(() => null);
  if (journal && journal.exitCode === 0) {
    return {
      source: 'journalctl -k',
      records: journal.stdout.split('\n').flatMap((line) => {
        const match = /^(\d+(?:\.\d+)?) \S+ kernel: (.*)$/.exec(line);
        return match ? [{ timeMs: Number(match[1]) * 1000, message: match[2]! }] : [];
      }),
    };
  }
  return null;
}
