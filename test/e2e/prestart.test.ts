import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prestartForArgs } from '../../src/cli/prestart.js';
import { offerTableReader, prestartTableReader, readProcInThread } from '../../src/host/procReader.js';

const LIVE_TABLE = '/proc/net/nf_conntrack';

describe('the launcher prestart', () => {
  it("starts the live table's reader only for analyze of this namespace's procfs table", async () => {
    for (const argv of [
      ['status'],
      ['analyze', 'table.txt'],
      ['analyze', '--netns', 'blue'],
      ['analyze', '--source', 'netlink'],
      ['analyze', '--proc-root', '/host/proc'],
      ['analyze', '--json', '--bogus'],
    ])
      assert.equal(prestartForArgs(argv).tableReader, undefined, argv.join(' '));
    const started = prestartForArgs(['analyze', '--json', '--top', '5', '--source', 'procfs']);
    try {
      if (existsSync(LIVE_TABLE)) assert.equal(started.tableReader?.path, LIVE_TABLE);
      else assert.equal(started.tableReader, undefined);
      assert.equal(started.parseThread, undefined);
    } finally {
      await started.tableReader?.worker.terminate();
    }
  });

  it('a prestarted reader is taken over by the read of its file, with what it read ahead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-prestart-'));
    try {
      const file = join(dir, 'table');
      const content = Buffer.alloc(5 << 20, 'ipv4     2 udp      17 29 src=127.0.0.1\n');
      writeFileSync(file, content);
      const reader = prestartTableReader(file);
      while (reader.queue.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      offerTableReader(reader);
      const parts: Buffer[] = [];
      for await (const chunk of readProcInThread(file)) parts.push(Buffer.from(chunk));
      assert.ok(Buffer.concat(parts).equals(content));
      assert.equal(reader.queue.length, 0, 'the chunks it had read ahead were the ones consumed');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
