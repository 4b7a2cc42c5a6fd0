import { closeSync, constants, openSync, readSync } from 'node:fs';
import { CtdoctorError } from '../core/errors.js';
import { failureReason } from './errnoReason.js';

export const KMSG_PATH = '/dev/kmsg';

/** The kernel's records are at most 1 KiB of text plus its dictionary; a read takes one whole record. */
const RECORD_BUFFER_BYTES = 8192;

/**
 * Raw records of an open non-blocking /dev/kmsg (`prio,seq,usec,flags;message`), one per read(),
 * until EAGAIN (nothing newer) or `limit`. EPIPE means the records next in line were overwritten
 * before they were read: the following read resumes at the oldest one left.
 */
export function readKmsgRecords(fd: number, limit: number): string[] {
  const records: string[] = [];
  const buffer = Buffer.alloc(RECORD_BUFFER_BYTES);
  while (records.length < limit) {
    let bytes: number;
    try {
      bytes = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') continue;
      break; // EAGAIN: nothing more
    }
    if (bytes === 0) break;
    records.push(buffer.toString('utf8', 0, bytes));
  }
  return records;
}

/** Every record of the ring at once (its size is bounded by the kernel's log buffer). */
const DRAIN_LIMIT = 1_000_000;
/** Per read: net_ratelimit lets 10 messages through per 5 s, so more than this is not table-full. */
const FOLLOW_LIMIT = 10_000;

/**
 * /dev/kmsg opened once and read from its end on: each call returns the records logged since the
 * previous one. Opening reads and discards what the ring already holds (Node has no lseek for
 * SEEK_END; draining is the same position), so only messages logged while ctdoctor watches count.
 */
export class KernelLogFollower {
  private fd: number | undefined;

  /** Opens /dev/kmsg if not open yet; a one-line error naming what it needs when it cannot. */
  private ensureOpen(): number {
    if (this.fd !== undefined) return this.fd;
    try {
      this.fd = openSync(KMSG_PATH, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      const reason = failureReason(error);
      throw new CtdoctorError(
        reason === 'absent' ? 'not-found' : 'permission',
        reason === 'absent'
          ? `${KMSG_PATH} is absent (a container without the device?): table-full messages are not counted; mount it to count them`
          : `cannot read ${KMSG_PATH} (${(error as NodeJS.ErrnoException).code}): table-full messages are not counted; run as root or grant CAP_SYSLOG`,
        { cause: error },
      );
    }
    readKmsgRecords(this.fd, DRAIN_LIMIT);
    return this.fd;
  }

  /** Records logged since the previous call (none on the first: it only finds the end). */
  readNew(): string[] {
    const wasOpen = this.fd !== undefined;
    const fd = this.ensureOpen();
    return wasOpen ? readKmsgRecords(fd, FOLLOW_LIMIT) : [];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
