import { closeSync, constants, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type KernelLogRecord, parseDmesgRawLine, parseKmsgRecord } from '../core/doctor/kernelLog.js';
import { runTool } from './childProcess.js';
import { KMSG_PATH, readKmsgRecords } from './kernelLogFollower.js';
import { type HostRoots, procPath } from './roots.js';

const MAX_RECORDS = 200_000;

/**
 * Epoch ms of boot, to place printk timestamps (seconds since boot) in time. From /proc/uptime
 * (centiseconds) rather than /proc/stat's btime (whole seconds): both count from the same boot,
 * and neither sees that printk's clock stops during suspend, so after a suspend every source's
 * times are late by the time spent asleep (dmesg(1) warns of the same). Undefined when unreadable:
 * records that cannot be placed in time are not read at all.
 */
export async function bootTimeMs(roots: HostRoots): Promise<number | undefined> {
  const uptime = /^(\d+(?:\.\d+)?) /.exec(await readFile(procPath(roots, 'uptime'), 'utf8').catch(() => ''));
  return uptime ? Date.now() - Number(uptime[1]) * 1000 : undefined;
}

/** /dev/kmsg, read without blocking: one record per read(), EAGAIN at the end of the buffer. */
function readKmsg(bootMs: number): KernelLogRecord[] | null {
  let fd: number;
  try {
    fd = openSync(KMSG_PATH, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    return readKmsgRecords(fd, MAX_RECORDS).flatMap((raw) => parseKmsgRecord(raw, bootMs) ?? []);
  } finally {
    closeSync(fd);
  }
}

/**
 * `dmesg -r` (raw; busybox knows only the short flag): the kernel buffer through syslog(2) when
 * /dev/kmsg cannot be opened (a container without the device). Raw keeps the kernel's own `[seconds.micro]` stamps, which util-linux and
 * busybox dmesg both print; --time-format iso is util-linux only and converts with the same boot time.
 */
async function readDmesg(bootMs: number): Promise<KernelLogRecord[] | null> {
  const dmesg = await runTool('dmesg', ['-r']).catch(() => null);
  if (dmesg?.exitCode !== 0) return null;
  return dmesg.stdout.split('\n').flatMap((line) => parseDmesgRawLine(line, bootMs) ?? []);
}

/** The kernel log from /dev/kmsg, else `dmesg`, else `journalctl -k` (which stamps in epoch time). */
export async function readKernelLog(
  roots: HostRoots,
): Promise<{ source: string; records: KernelLogRecord[] } | null> {
  const bootMs = await bootTimeMs(roots);
  if (bootMs !== undefined) {
    const kmsg = readKmsg(bootMs);
    if (kmsg) return { source: '/dev/kmsg', records: kmsg };
    const dmesg = await readDmesg(bootMs);
    if (dmesg) return { source: 'dmesg', records: dmesg };
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
