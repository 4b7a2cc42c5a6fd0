import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { prepareAtomicWrite, writeFileAtomic } from '../../src/host/atomicFile.js';
import { runCli } from '../support/cli.js';
import { K1, makeTree } from '../support/sysctlTrees.js';

/** Every file under `root` with its content: to prove a command changed nothing. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(root, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}

const MAX_KEY = 'net.netfilter.nf_conntrack_max';

describe('persist in a --root tree', () => {
  const base = (tree: string, state: string) => [
    'persist',
    '--root',
    tree,
    '--state-dir',
    state,
    '--max',
    '524288',
    '--buckets',
    '524288',
  ];

  it('prints a plan and changes nothing without --apply', async () => {
    const tree = makeTree({ '/usr/lib/sysctl.d/50-vendor.conf': `${MAX_KEY} = 65536\n` });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const before = snapshot(tree);
    const result = await runCli(base(tree, state));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /write {2}\/etc\/sysctl\.d\/90-ctdoctor\.conf/);
    assert.match(
      result.stdout,
      /50-vendor\.conf:1 {2}net\.netfilter\.nf_conntrack_max = 65536 {2}— sorts before ctdoctor's file/,
    );
    assert.deepEqual(snapshot(tree), before);
    assert.ok(!existsSync(join(state, 'journal.jsonl')));
  });

  it('writes once, then a second --apply writes nothing; rollback removes the file', async () => {
    const tree = makeTree({});
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const first = JSON.parse((await runCli([...base(tree, state), '--apply', '--json'])).stdout);
    assert.deepEqual(first.pending, ['/etc/sysctl.d/90-ctdoctor.conf']);
    const content = readFileSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf'), 'utf8');
    assert.match(content, /^# Written by ctdoctor persist/);
    assert.match(content, /^net\.netfilter\.nf_conntrack_max = 524288$/m);
    const second = JSON.parse((await runCli([...base(tree, state), '--apply', '--json'])).stdout);
    assert.deepEqual(second.pending, []);
    assert.equal(second.journalId, null);
    const rollback = await runCli(['rollback', '--root', tree, '--state-dir', state]);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.ok(!existsSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf')));
  });

  it('backs up a file it replaces and rollback restores it byte for byte', async () => {
    const original = `# mine\n${MAX_KEY} = 1000\n${K1} = 600\n`;
    const tree = makeTree({
      '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' },
      '/etc/sysctl.conf': original,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const applied = JSON.parse(
      (await runCli([...base(tree, state), '--fix-conflicts', '--apply', '--json'])).stdout,
    );
    assert.equal(applied.plan.file, '/etc/sysctl.d/99-zz-ctdoctor.conf');
    const fixed = readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8');
    assert.match(fixed, /^# net\.netfilter\.nf_conntrack_max = 1000 {2}# disabled by ctdoctor/m);
    assert.match(fixed, new RegExp(`^${K1} = 600$`, 'm'));
    assert.ok(
      statSync(join(tree, 'etc/sysctl.d/99-sysctl.conf'), { throwIfNoEntry: true }),
      'the Debian link is kept',
    );
    const backups = readdirSync(join(state, 'backups'));
    assert.equal(backups.length, 1);
    await runCli(['rollback', '--root', tree, '--state-dir', state]);
    assert.equal(readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8'), original);
    assert.ok(!existsSync(join(tree, 'etc/sysctl.d/99-zz-ctdoctor.conf')));
  });

  it('check: exit 1 on drift, 0 in sync, and names the file that wins', async () => {
    const tree = makeTree({});
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    await runCli([...base(tree, state), '--apply']);
    const drift = await runCli(['persist', '--check', '--root', tree, '--json']);
    assert.equal(drift.code, 1, 'the running kernel is not at 524288');
    const rows = JSON.parse(drift.stdout).rows;
    assert.equal(
      rows.find((r: { key: string }) => r.key === MAX_KEY).bootFrom,
      '/etc/sysctl.d/90-ctdoctor.conf:4',
    );
    const current = readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8').trim();
    const buckets = readFileSync('/proc/sys/net/netfilter/nf_conntrack_buckets', 'utf8').trim();
    const synced = makeTree({
      '/etc/sysctl.d/90-ctdoctor.conf': `# Written by ctdoctor persist\n${MAX_KEY} = ${current}\nnet.netfilter.nf_conntrack_buckets = ${buckets}\n`,
    });
    const ok = await runCli(['persist', '--check', '--root', synced]);
    assert.equal(ok.code, 0, ok.stdout);
    const overridden = makeTree({
      '/etc/sysctl.d/90-ctdoctor.conf': `# Written by ctdoctor persist\n${MAX_KEY} = ${current}\n`,
      '/etc/sysctl.d/95-other.conf': `${MAX_KEY} = 1234\n`,
    });
    const lost = await runCli(['persist', '--check', '--root', overridden]);
    assert.equal(lost.code, 1);
    assert.match(lost.stdout, /at boot 1234 \(\/etc\/sysctl\.d\/95-other\.conf:1\), ctdoctor \d+/);
  });

  it('rejects bad --timeout and --file values with one line', async () => {
    const tree = makeTree({});
    for (const [args, pattern] of [
      [['--timeout', 'bogus'], /is not NAME=SECONDS/],
      [['--timeout', 'tcp_timeout_nope=5'], /does not exist on this kernel/],
      [['--file', '/tmp/x.conf'], /--file takes \/etc\/sysctl\.conf/],
    ] as const) {
      const result = await runCli(['persist', '--root', tree, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
    }
  });
});

describe('atomic writes', () => {
  it('a crash after writing the temp file and before the rename leaves the old file intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctd-atomic-'));
    const path = join(dir, 'x.conf');
    writeFileSync(path, 'old\n');
    const temp = await prepareAtomicWrite(path, 'new\n'); // "crash" here: the rename never happens
    assert.equal(readFileSync(path, 'utf8'), 'old\n');
    assert.ok(existsSync(temp));
    await writeFileAtomic(path, 'newer\n'); // the next run cleans up and replaces
    assert.equal(readFileSync(path, 'utf8'), 'newer\n');
    assert.deepEqual(readdirSync(dir), ['x.conf']);
  });
});

describe('persist keeps what it persisted before', () => {
  it('a second --timeout adds to the drop-in instead of replacing the first', async () => {
    const tree = makeTree({});
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    await runCli([
      'persist',
      '--root',
      tree,
      '--state-dir',
      state,
      '--timeout',
      'tcp_timeout_established=86400',
      '--apply',
    ]);
    await runCli(['persist', '--root', tree, '--state-dir', state, '--timeout', 'udp_timeout=20', '--apply']);
    const content = readFileSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf'), 'utf8');
    assert.match(content, /^net\.netfilter\.nf_conntrack_tcp_timeout_established = 86400$/m);
    assert.match(content, /^net\.netfilter\.nf_conntrack_udp_timeout = 20$/m);
  });
});
