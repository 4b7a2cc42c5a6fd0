import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { peekSavedInput } from '../../src/host/streamHead.js';
import { openTableFile } from '../../src/host/tableSource.js';

const HEAD_BYTES = 64 << 10;
const directory = mkdtempSync(join(tmpdir(), 'ctdoctor-head-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** Numbered lines, so that a head or a stream shifted by any byte differs. */
function tableText(lines: number): Buffer {
  const text = Array.from(
    { length: lines },
    (_, line) => `ipv4     2 udp      17 30 src=10.0.0.${line % 250} n=${line}\n`,
  );
  return Buffer.from(text.join(''));
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('the head of a saved input', () => {
  it('a plain file: its first 64 KiB, and its stream still gives the whole file', async () => {
    const bytes = tableText(20_000);
    const path = join(directory, 'table.procfs');
    writeFileSync(path, bytes);
    const peeked = await peekSavedInput(await openTableFile(path));
    assert.deepEqual(peeked.head, bytes.subarray(0, HEAD_BYTES));
    assert.deepEqual(await readAll(peeked.stream), bytes);
    await peeked.release();
  });

  it('a file shorter than the head: all of it', async () => {
    const bytes = tableText(3);
    const path = join(directory, 'short.procfs');
    writeFileSync(path, bytes);
    const peeked = await peekSavedInput(await openTableFile(path));
    assert.deepEqual(peeked.head, bytes);
    assert.deepEqual(await readAll(peeked.stream), bytes);
  });

  it('a gzipped file: the start of what it unpacks to', async () => {
    const bytes = tableText(20_000);
    const path = join(directory, 'table.procfs.gz');
    writeFileSync(path, gzipSync(bytes));
    const peeked = await peekSavedInput(await openTableFile(path));
    assert.deepEqual(peeked.head, bytes.subarray(0, peeked.head.length));
    assert.ok(peeked.head.length > 0);
    assert.deepEqual(await readAll(peeked.stream), bytes);
  });
});
