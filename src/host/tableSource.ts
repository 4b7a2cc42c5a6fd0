import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { TableSourceName } from '../core/analysis/analysisRun.js';
import { CtdoctorError } from '../core/errors.js';
import { cannotReadDump } from './dumpFileReader.js';
import { NETLINK_DUMP_COMMAND, netlinkDumpChunks } from './netlinkDump.js';
import type { NetnsFiles } from './netnsFiles.js';
import { type HostRoots, procPath } from './roots.js';

export interface TableSource extends TableSourceName {
  /**
   * The table's bytes; breaking out of the iteration stops the read and releases everything. A
   * chunk may be overwritten by the next one: consume it, or copy it, before asking for more.
   */
  stream: AsyncIterable<Buffer>;
  /** Uncompressed byte size when known up front (files), for progress. */
  sizeBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const READ_CHUNK_BYTES = 4 << 20; // large reads let the kernel's dump run ahead of the parser

export const TABLE_FILE = 'net/nf_conntrack';

/**
 * /proc/net/nf_conntrack exists only with CONFIG_NF_CONNTRACK_PROCFS (same kernel for every netns).
 * Only ENOENT means absent: any other failure (EACCES on a parent) is left to the read, which says so.
 */
export async function procfsTableExists(roots: HostRoots): Promise<boolean> {
  for (const relative of ['self/net/nf_conntrack', TABLE_FILE]) {
    try {
      await stat(procPath(roots, relative));
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return true;
    }
  }
  return false;
}

/**
 * The live table of a namespace: procfs when the kernel has it (the faster dump), else netlink.
 * `netlinkAllowed` is false for a fixture tree or another machine's /proc, where netlink would
 * answer for this kernel instead.
 */
export async function openLiveTable(
  files: NetnsFiles,
  roots: HostRoots,
  choice: 'auto' | 'procfs' | 'netlink',
  netlinkAllowed: boolean,
): Promise<TableSource> {
  if (choice === 'netlink') return openNetlinkTable(files);
  if (await procfsTableExists(roots)) return openProcfsTable(files);
  if (choice === 'procfs') {
    throw new CtdoctorError(
      'not-found',
      `${files.pathOf(TABLE_FILE)} is absent (kernel built without CONFIG_NF_CONNTRACK_PROCFS): use --source netlink`,
    );
  }
  if (!netlinkAllowed)
    throw new CtdoctorError(
      'not-found',
      `no ${files.pathOf(TABLE_FILE)} in this tree: pass a dump file instead`,
    );
  return openNetlinkTable(files);
}

export function openProcfsTable(files: NetnsFiles): TableSource {
  return { kind: 'procfs', description: `/proc/${TABLE_FILE}`, stream: files.streamProc(TABLE_FILE) };
}

/** `conntrack -L -o extended`: the netlink dump, same line format as procfs. */
export function openNetlinkTable(files: NetnsFiles): TableSource {
  const argv = [...files.enterPrefix, ...NETLINK_DUMP_COMMAND];
  return { kind: 'netlink', description: argv.join(' '), stream: netlinkDumpChunks(files.enterPrefix) };
}

async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/**
 * A saved dump: procfs lines, `conntrack -L` or `-o extended`, optionally gzip-compressed. A FIFO,
 * `<(…)` (a pipe in /dev/fd) or a device cannot seek: it is read once, as a stream, on one thread.
 */
export async function openTableFile(path: string): Promise<TableSource & { gzip: boolean }> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CtdoctorError('usage', `${path} is a directory, not a conntrack dump`);
    if (!info.isFile()) return { kind: 'file', description: path, stream: streamChunks(path), gzip: false };
    size = info.size;
  } catch (error) {
    if (error instanceof CtdoctorError) throw error;
    throw cannotReadDump(path, error);
  }
  const gzip = size >= 2 && (await isGzipFile(path));
  return {
    kind: 'file',
    description: path,
    stream: fileChunks(path, gzip),
    gzip,
    ...(gzip ? {} : { sizeBytes: size }),
  };
}

/** A file that cannot seek, read front to back; gunzipped when it starts with the gzip magic. */
async function* streamChunks(path: string): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  try {
    yield* gunzipIfCompressed(raw, path);
  } catch (error) {
    if (error instanceof CtdoctorError) throw error;
    throw cannotReadDump(path, error);
  } finally {
    raw.destroy();
  }
}

/** Opened on first read: a dump split across worker threads is never opened here at all. */
async function* fileChunks(path: string, gzip: boolean): AsyncGenerator<Buffer> {
  if (!gzip) {
    yield* fileRangeChunks(path, 0, Number.POSITIVE_INFINITY);
    return;
  }
  yield* streamChunks(path);
}

/**
 * [start, end) of a plain file, read into one reused buffer: a fresh 4 MiB buffer per read costs a
 * page fault per 4 KiB, ~100 ms on a 170 MB dump (more than reading it). Each chunk is therefore
 * valid only until the next one is asked for.
 */
async function* fileRangeChunks(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  // Two buffers: the next read runs in the thread pool while the caller parses the current chunk.
  const buffers = [Buffer.allocUnsafeSlow(READ_CHUNK_BYTES), Buffer.allocUnsafeSlow(READ_CHUNK_BYTES)];
  const readAt = (position: number, buffer: Buffer) =>
    position < end
      ? handle.read(buffer, 0, Math.min(buffer.length, end - position), position)
      : Promise.resolve({ bytesRead: 0, buffer });
  let next = readAt(start, buffers[0]!);
  try {
    for (let position = start, turn = 0; ; turn ^= 1) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      position += bytesRead;
      next = readAt(position, buffers[turn ^ 1]!);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await next.catch(() => undefined);
    await handle.close();
  }
}

/** Standard input, gunzipped when it starts with the gzip magic. */
export function openStdinTable(input: Readable = process.stdin): TableSource {
  return { kind: 'stdin', description: 'stdin', stream: gunzipIfCompressed(input, 'stdin') };
}

function isGzipHead(head: Buffer): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

async function* gunzipIfCompressed(input: Readable, label: string): AsyncGenerator<Buffer> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) return;
  const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => chunks };
  if (!isGzipHead(first.value)) {
    yield first.value;
    yield* rest;
    return;
  }
  // Loaded only for a compressed dump: zlib costs every other run ~5 ms of start-up. Required, not
  // imported: the analyze bundle runs from V8's code cache, where Node 20 has no import()
  // (src/host/codeCache.ts).
  const { createGunzip } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  const gunzip = createGunzip();
  const feed = (async () => {
    gunzip.write(first.value);
    for await (const chunk of rest) if (!gunzip.write(chunk)) await once(gunzip, 'drain');
    gunzip.end();
  })();
  feed.catch((error: Error) => gunzip.destroy(error));
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    throw new CtdoctorError('bad-input', `${label}: bad gzip data (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** Byte offsets that split a file into `parts` ranges on line boundaries. */
export async function lineAlignedRanges(
  path: string,
  size: number,
  parts: number,
): Promise<[number, number][]> {
  const handle = await open(path, 'r');
  try {
    const cuts = [0];
    const probe = Buffer.alloc(8192);
    for (let part = 1; part < parts; part++) {
      let offset = Math.floor((size * part) / parts);
      for (;;) {
        const { bytesRead } = await handle.read(probe, 0, probe.length, offset);
        if (bytesRead === 0) {
          offset = size;
          break;
        }
        const newline = probe.subarray(0, bytesRead).indexOf(0x0a);
        if (newline >= 0) {
          offset += newline + 1;
          break;
        }
        offset += bytesRead;
      }
      cuts.push(Math.max(offset, cuts[cuts.length - 1]!));
    }
    cuts.push(size);
    return cuts
      .slice(0, -1)
      .map((start, i) => [start, cuts[i + 1]!] as [number, number])
      .filter(([s, e]) => e > s);
  } finally {
    await handle.close();
  }
}

export function openFileRange(path: string, start: number, endExclusive: number): AsyncIterable<Buffer> {
  return fileRangeChunks(path, start, endExclusive);
}
