import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chunksFromGrowingFile } from '../../src/host/procReader.js';

/** Twenty 100 kB lines 5 ms apart, then one of 300 kB written just before the writer exits. */
const WRITER = `
  const piece = (i, size) => Buffer.alloc(size, 65 + (i % 26)).fill(10, size - 1);
  for (let i = 0; i < 20; i++) {
    require('node:fs').writeSync(1, piece(i, 100_000));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  require('node:fs').writeSync(1, piece(20, 300_000));`;

function expectedBytes(): Buffer {
  const piece = (i: number, size: number) => Buffer.alloc(size, 65 + (i % 26)).fill(10, size - 1);
  return Buffer.concat([...Array.from({ length: 20 }, (_, i) => piece(i, 100_000)), piece(20, 300_000)]);
}

describe('reading a file while another process writes it', () => {
  it('returns every byte in order, the last write included, starts before the writer ends and counts the lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-growing-'));
    try {
      const path = join(dir, 'out');
      const writeEnd = openSync(path, 'wx');
      let writerExited = false;
      const { chunks, writerDone, linesRead } = chunksFromGrowingFile(path, () => {
        const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['ignore', writeEnd, 'inherit'] });
        closeSync(writeEnd);
        child.on('close', () => {
          writerExited = true;
          writerDone();
        });
      });
      const parts: Buffer[] = [];
      let readWhileWriting = 0;
      for await (const chunk of chunks) {
        if (!writerExited) readWhileWriting++;
        parts.push(Buffer.from(chunk));
      }
      assert.ok(Buffer.concat(parts).equals(expectedBytes()), 'the bytes read are the bytes written');
      assert.ok(readWhileWriting >= 2, `${readWhileWriting} chunks came before the writer ended`);
      assert.equal(linesRead(), 21);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
