import type { StatusReport } from '../../src/core/status.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { capturedNetlinkTotal, fixture } from '../support/paths.js';

const rootArgs = (tree: string) => [
  '--proc-root',
  fixture(tree),
  '--sys-root',
  fixture('sys-empty'),
  '--interval',
  '0.1',
];

describe('status and check on fixture trees', () => {
  it('reads a full table from a captured tree', async () => {
    const { result, json } = await runCliJson<StatusReport>(['status', ...rootArgs('proc-6.18-full')]);
    assert.equal(result.code, 0);
    assert.equal(json.count, 200);
    assert.equal(json.max, 200);
    assert.equal(json.usage, 1);
    assert.equal(json.verdict, 'crit');
    assert.equal(json.counters?.drop, capturedNetlinkTotal('proc-6.18-full', 'drop'));
    assert.equal(json.statsSource, 'procfs');
    assert.equal(json.memory.entryBytesSource, 'slabinfo');
  });

  it('works on an older stat header: no clash_resolve/chaintoolong, no crash', async () => {
    const { result, json } = await runCliJson<StatusReport>(['status', ...rootArgs('proc-old-stat-header')]);
    assert.equal(result.code, 0);
    assert.equal(json.counters?.clash_resolve, undefined);
    assert.equal(json.counters?.searched, 0);
    assert.equal(json.counters?.drop, capturedNetlinkTotal('proc-6.18-full', 'drop'));
  });

  it('without the procfs stat file: count and max still reported, counters marked unavailable', async () => {
    const { result, json } = await runCliJson<StatusReport>(['status', ...rootArgs('proc-no-procfs-stat')]);
    assert.equal(result.code, 0);
    assert.equal(json.count, 200);
    assert.equal(json.counters, null);
    assert.match(json.statsUnavailable ?? '', /stat\/nf_conntrack is absent/);
  });

  it('with conntrack not loaded: one line naming the fix, exit 1, no stack trace', async () => {
    const result = await runCli(['status', ...rootArgs('proc-not-loaded')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^ctdoctor: nf_conntrack is not loaded: .*modprobe nf_conntrack/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.ok(!hasStackTrace(result.stderr));
  });

  it('check: CRITICAL exit 2 on the full tree, UNKNOWN exit 3 when not loaded', async () => {
    const full = await runCli(['check', ...rootArgs('proc-6.18-full')]);
    assert.equal(full.code, 2);
    assert.match(
      full.stdout,
      /^CONNTRACK CRITICAL - 100% used \(200\/200\), 0 drops\/s \| entries=200;160;190;0;200 /,
    );
    const missing = await runCli(['check', ...rootArgs('proc-not-loaded')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stdout, /^CONNTRACK UNKNOWN - nf_conntrack is not loaded/);
  });

  it('rejects bad flags with exit 2 and one line', async () => {
    const result = await runCli(['status', '--warn', '120']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--warn must be a percentage/);
    assert.ok(!hasStackTrace(result.stderr));
  });
});

describe('status --watch', () => {
  it('refreshes until stopped, one JSON object per sample with --json', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../support/paths.js');
    const child = spawn(
      process.execPath,
      [CLI, 'status', '--watch', '--json', ...rootArgs('proc-6.18-full')],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`only got: ${output}`)), 5000);
      child.stdout.on('data', () => {
        if (output.split('\n').filter(Boolean).length >= 3) {
          clearTimeout(deadline);
          resolve();
        }
      });
    });
    child.kill();
    const samples = output
      .trim()
      .split('\n')
      .slice(0, 3)
      .map((line) => JSON.parse(line) as StatusReport);
    assert.ok(samples.every((sample) => sample.count === 200 && sample.schema === 'ctdoctor.status/v1'));
  });
});
