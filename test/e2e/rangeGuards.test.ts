import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';

/** A captured 6.18 tree: max 200, buckets 262144, so nothing here reads or writes the live kernel. */
const tree = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];

async function refusedAtParse(args: string[], message: RegExp): Promise<void> {
  const result = await runCli(args);
  assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trim().split('\n').length, 1);
  assert.ok(!hasStackTrace(result.stderr));
  assert.equal(result.stdout, '', 'no plan is printed for a refused value');
}

interface MitigateJson {
  plan: { changes: { key: string; to: number }[]; target: { buckets: number }; refusal: string | null };
}

describe('#11.6 range guards: values the kernel rejects or that would hurt are refused with the bound', () => {
  it('#11.6 mitigate --buckets below the current hash is refused (never shrunk), --force allows it', async () => {
    const { result, json } = await runCliJson<MitigateJson>([
      'mitigate',
      '--buckets',
      '3',
      ...tree,
      '--interval',
      '0.1',
    ]);
    assert.equal(result.code, 1);
    assert.match(json.plan.refusal ?? '', /would shrink the hash from 262144/);
    const forced = await runCliJson<MitigateJson>([
      'mitigate',
      '--buckets',
      '3',
      '--force',
      ...tree,
      '--interval',
      '0.1',
    ]);
    assert.equal(forced.json.plan.refusal, null);
    // The kernel allocates whole pages of buckets: the plan names what it will really make.
    assert.equal(forced.json.plan.target.buckets, 512);
  });

  it('#11.6 mitigate and persist refuse a max above the kernel limit, whatever --force says', async () => {
    await refusedAtParse(
      ['mitigate', '--max', '99999999999', '--force', ...tree],
      /above the kernel's limit 2147483647/,
    );
    await refusedAtParse(
      ['persist', '--max', '99999999999999', ...tree],
      /above the kernel's limit 2147483647/,
    );
    await refusedAtParse(['mitigate', '--max', '1.5', ...tree], /whole number/);
    await refusedAtParse(['persist', '--buckets', '0', ...tree], /whole number of buckets from 1/);
    await refusedAtParse(
      ['mitigate', '--buckets', '300000000', '--force', ...tree],
      /above the kernel's limit 268435455/,
    );
  });

  it('#11.6 timeouts --set and persist --timeout refuse 0, negatives and values beyond INT_MAX jiffies', async () => {
    await refusedAtParse(['timeouts', '--set', 'udp_timeout=0', ...tree], /below 1 s expires every entry/);
    await refusedAtParse(['timeouts', '--set', 'udp_timeout=99999999999', ...tree], /above 2147483 s/);
    await refusedAtParse(['persist', '--timeout', 'udp_timeout=-3', ...tree], /below 1 s/);
  });

  it('#11.6 --memory-budget above RAM (200%) or zero is refused', async () => {
    await refusedAtParse(
      ['mitigate', '--memory-budget', '200%', ...tree, '--interval', '0.1'],
      /at most the .* GiB of RAM \(100%\)/,
    );
    await refusedAtParse(['mitigate', '--memory-budget', '0%', ...tree, '--interval', '0.1'], /more than 0/);
    await refusedAtParse(
      ['mitigate', '--memory-budget', '0.15', ...tree, '--interval', '0.1'],
      /0\.15 bytes, smaller than any table: .* 15%/,
    );
  });
});
