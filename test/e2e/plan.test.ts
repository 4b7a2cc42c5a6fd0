import type { CapacityPlan } from '../../src/core/plan/capacityPlan.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';

/** The captured 6.18 tree: udp_timeout 30, time_wait 120, slab entry 256 B, max 200. */
const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];

describe('ctdoctor plan on a fixture tree', () => {
  it('reads in order: the max, buckets and memory, the classes, kube-proxy, then the commands', async () => {
    const result = await runCli([
      'plan',
      ...TREE,
      '--rate',
      '1000/s',
      '--class',
      'tcp-short:life=0.1s',
      '--cpus',
      '4',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(
      lines[0]!,
      /^recommended nf_conntrack_max 262,144 {2}buckets 262,144 {2}memory at max 66\.0 MiB$/,
    );
    assert.match(
      result.stdout,
      /tcp-short +1,000\/s +0\.1 s +tcp_timeout_time_wait 120 s +120 s +120,100 +100%/,
    );
    const order = ['recommended', 'class ', 'kube-proxy', 'now: max 200', 'why:', 'to make it so'].map(
      (start) => lines.findIndex((line) => line.startsWith(start)),
    );
    assert.ok(
      order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)),
      String(order),
    );
    assert.match(result.stdout, /the current max 200 is below the recommended 262144/);
    assert.deepEqual(lines.slice(-2), [
      '  ctdoctor mitigate --max 262144 --buckets 262144 --apply',
      '  ctdoctor persist --max 262144 --buckets 262144 --apply',
    ]);
  });

  it('--json: predicted entries from the tree’s own timeouts and entry size', async () => {
    const { result, json } = await runCliJson<CapacityPlan>([
      'plan',
      ...TREE,
      '--rate',
      '500/s',
      '--class',
      'udp-query',
      '--try',
      'udp_timeout=10',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json.predicted.entries, 500 * 30);
    assert.equal(json.recommended.entryBytes, 256);
    assert.equal(json.recommended.entryBytesSource, 'slabinfo');
    assert.equal(json.kernel, '6.18.44-fc-v595');
    assert.equal(json.tries[0]!.entries, 500 * 10);
    assert.deepEqual(json.current, { count: 200, max: 200, buckets: 262144, coversPrediction: false });
  });

  it('bad input: one line naming the fix, exit 2, no stack trace', async () => {
    for (const [args, message] of [
      [[], /say what the flows are: --rate 2000\/s --mix/],
      [['--rate', '2000/s', '--mix', 'tcp-short=80%'], /--mix adds up to 80%/],
      [['--class', 'web:10/s'], /"web" is not a flow class/],
      [['--rate', '10/s', '--class', 'udp-query', '--try', 'notrack=53'], /notrack=PORT\/PROTO:SHARE/],
      [['--from-live', '--rate', '10/s'], /--from-live measures the load: drop --rate/],
      [['--from-live'], /--from-live watches the running kernel's events, not the tree in --proc-root/],
      [['--rate', '10/s', '--class', 'udp-query', '--headroom', '0'], /--headroom must be a positive number/],
    ] as const) {
      const result = await runCli(['plan', ...TREE, ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(!hasStackTrace(result.stderr));
    }
  });
});
