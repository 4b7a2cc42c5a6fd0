import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(10); end >= 0; end = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

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
    // --fix-conflicts disables the link's line, so nothing is left for the drop-in to sort after.
    assert.equal(applied.plan.file, '/etc/sysctl.d/90-ctdoctor.conf');
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
    assert.ok(!existsSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf')));
  });

  it("#11.2 --fix-conflicts over Debian's 99-sysctl.conf link: a second --apply plans and journals nothing", async () => {
    const tree = makeTree({
      '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' },
      '/etc/sysctl.conf': `${MAX_KEY} = 1000\n`,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const args = [...base(tree, state), '--fix-conflicts', '--apply'];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stdout, /wins there/, 'the line it disabled is not reported as winning');
    assert.match(
      first.stdout,
      /sysctl\.conf:1 {2}net\.netfilter\.nf_conntrack_max = 1000 {2}— commented out/,
    );
    const after = snapshot(tree);
    const second = JSON.parse((await runCli([...args, '--json'])).stdout);
    assert.deepEqual(second.pending, []);
    assert.equal(second.journalId, null);
    assert.deepEqual(second.plan.conflicts, []);
    assert.deepEqual(snapshot(tree), after);
    const list = JSON.parse(
      (await runCli(['rollback', '--list', '--json', '--root', tree, '--state-dir', state])).stdout,
    );
    assert.equal(list.entries.length, 1, 'one journaled change, from the first run');
  });

  it('#11.2 --file /etc/sysctl.conf twice: the second run writes nothing (no second block)', async () => {
    const tree = makeTree({ '/etc/sysctl.conf': `vm.swappiness = 10\n${MAX_KEY} = 1000\n` });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const args = [...base(tree, state), '--file', '/etc/sysctl.conf', '--apply', '--json'];
    const first = JSON.parse((await runCli(args)).stdout);
    assert.deepEqual(first.pending, ['/etc/sysctl.conf']);
    const written = readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8');
    const second = JSON.parse((await runCli(args)).stdout);
    assert.deepEqual(second.pending, []);
    assert.equal(second.journalId, null);
    assert.equal(readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8'), written);
    assert.equal(written.split('# Written by ctdoctor persist').length, 2, 'one block');
  });

  it('#11.2 --file /etc/sysctl.conf again after the operator appended a line: their line stays', async () => {
    const tree = makeTree({ '/etc/sysctl.conf': `${MAX_KEY} = 1000\n` });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const args = [...base(tree, state), '--file', '/etc/sysctl.conf', '--apply'];
    assert.equal((await runCli(args)).code, 0);
    appendFileSync(join(tree, 'etc/sysctl.conf'), 'vm.swappiness = 10\n'); // echo … >> /etc/sysctl.conf
    const second = await runCli([...args, '--timeout', 'udp_timeout=60']);
    assert.equal(second.code, 0, second.stderr);
    const written = readFileSync(join(tree, 'etc/sysctl.conf'), 'utf8');
    assert.match(written, /^vm\.swappiness = 10$/m);
    assert.equal(written.split('# Written by ctdoctor persist').length, 2, 'one block');
  });

  it('#11.3 --fix-conflicts changes only the lines it comments out, byte for byte; rollback restores every byte', async () => {
    const lines = [
      Buffer.from('# caf\xe9 \xff\xfe not UTF-8\r', 'latin1'),
      Buffer.from(`${MAX_KEY} = 1000\r`),
      Buffer.from('vm.swappiness = 10 \xff', 'latin1'),
      Buffer.from(''),
    ];
    const original = Buffer.concat(lines.flatMap((line, i) => (i ? [Buffer.from('\n'), line] : [line])));
    const tree = makeTree({ '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' } });
    writeFileSync(join(tree, 'etc/sysctl.conf'), original);
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const applied = await runCli([...base(tree, state), '--fix-conflicts', '--apply']);
    assert.equal(applied.code, 0, applied.stderr);
    const fixed = readFileSync(join(tree, 'etc/sysctl.conf'));
    const fixedLines = splitLines(fixed);
    assert.equal(fixedLines.length, lines.length);
    for (const [i, line] of lines.entries()) {
      if (i === 1)
        assert.equal(
          fixedLines[i]!.toString('latin1'),
          `# ${MAX_KEY} = 1000  # disabled by ctdoctor persist --fix-conflicts\r`,
        );
      else assert.ok(fixedLines[i]!.equals(line), `line ${i + 1} kept byte for byte`);
    }
    const rollback = await runCli(['rollback', '--root', tree, '--state-dir', state]);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.ok(readFileSync(join(tree, 'etc/sysctl.conf')).equals(original));
  });

  it('#11.7 a --root that does not exist is refused in one line, and nothing is created', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'ctd-missing-')), 'no-such-root');
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const result = await runCli([...base(missing, state), '--apply']);
    assert.equal(result.code, 2, result.stdout);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^ctdoctor: --root \S+no-such-root does not exist: give the directory that holds/,
    );
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(missing));
    assert.ok(!existsSync(join(state, 'journal.jsonl')));
  });

  it('#11.7 the undo hint after --apply carries --root and --state-dir, and followed literally it undoes the change', async () => {
    const tree = makeTree({});
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const applied = await runCli([...base(tree, state), '--apply']);
    const hint = /undo with {2}ctdoctor (.+)$/m.exec(applied.stdout)?.[1];
    assert.equal(hint, `rollback --root ${tree} --state-dir ${state}`, applied.stdout);
    const undo = await runCli(hint.split(' '));
    assert.equal(undo.code, 0, undo.stderr);
    assert.ok(!existsSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf')));
  });

  it('#11.8 an absolute link in a --root tree is read inside the tree, not on the host', async () => {
    const tree = makeTree({
      '/etc/sysctl.d/99-sysctl.conf': { link: '/etc/sysctl.conf' },
      '/etc/sysctl.conf': `${MAX_KEY} = 1001\n`,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const plan = JSON.parse((await runCli([...base(tree, state), '--json'])).stdout).plan;
    assert.deepEqual(
      plan.conflicts.map((c: { path: string; value: string }) => [c.path, c.value]),
      [['/etc/sysctl.d/99-sysctl.conf -> /etc/sysctl.conf', '1001']],
    );
  });

  it('#11.8 a self-linked drop-in is refused by name: nothing written, nothing journaled', async () => {
    const tree = makeTree({ '/etc/sysctl.d/90-ctdoctor.conf': { link: '90-ctdoctor.conf' } });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const result = await runCli([...base(tree, state), '--apply']);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(
      result.stderr,
      `ctdoctor: ${tree}/etc/sysctl.d/90-ctdoctor.conf is a symlink loop (→ 90-ctdoctor.conf): systemd-sysctl and sysctl --system cannot open it, and ctdoctor will not write through it; remove the link (rm ${tree}/etc/sysctl.d/90-ctdoctor.conf) and re-run\n`,
    );
    assert.equal(readlinkSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf')), '90-ctdoctor.conf');
    assert.ok(!existsSync(join(state, 'journal.jsonl')));
  });

  it('#11.8 link loops and dangling links in sysctl.d are named in the plan with what the appliers do', async () => {
    const tree = makeTree({
      '/etc/sysctl.d/50-a.conf': { link: '50-b.conf' },
      '/etc/sysctl.d/50-b.conf': { link: '50-a.conf' },
      '/etc/sysctl.d/60-gone.conf': { link: '/nonexistent/60-gone.conf' },
      '/usr/lib/sysctl.d/60-gone.conf': `${MAX_KEY} = 5\n`,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const result = await runCli(base(tree, state));
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /! \/etc\/sysctl\.d\/50-a\.conf is a symlink loop \(→ 50-b\.conf\): systemd-sysctl and `sysctl --system` both report it and exit 1/,
    );
    assert.match(
      result.stdout,
      /! \/etc\/sysctl\.d\/60-gone\.conf is a dangling symlink \(→ \/nonexistent\/60-gone\.conf\): .* it still hides \/usr\/lib\/sysctl\.d\/60-gone\.conf/,
    );
  });

  it('#11.8 a looping /etc/sysctl.d is refused with the fix, not "unexpected error: ELOOP"', async () => {
    const tree = makeTree({});
    rmSync(join(tree, 'etc/sysctl.d'), { recursive: true });
    symlinkSync('sysctl.d', join(tree, 'etc/sysctl.d'));
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const result = await runCli([...base(tree, state), '--apply']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ctdoctor: \S+\/etc\/sysctl\.d is a symlink loop: neither systemd-sysctl nor sysctl --system reads it, and nothing can be written there; replace it with a directory/,
    );
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

  it('--check that cannot answer (a bad --root, --proc-root or option) is unknown, exit 3, as its help says', async () => {
    for (const args of [['--root', '/nonexistent'], ['--proc-root', '/nonexistent'], ['--bogus']]) {
      const result = await runCli(['persist', '--check', ...args]);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^ctdoctor: .+\n$/);
    }
    const plan = await runCli(['persist', '--root', '/nonexistent']);
    assert.equal(plan.code, 2, 'without --check a bad option is a usage error');
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

describe('one precedence model for persist, persist --check and doctor', () => {
  it('#11.20 /etc/sysctl.conf winning under sysctl --system: the plan, --check and doctor all say so', async () => {
    const max = readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8').trim();
    const buckets = readFileSync('/proc/sys/net/netfilter/nf_conntrack_buckets', 'utf8').trim();
    const tree = makeTree({
      '/etc/sysctl.d/90-ctdoctor.conf': `# Written by ctdoctor persist\n${MAX_KEY} = ${max}\nnet.netfilter.nf_conntrack_buckets = ${buckets}\n`,
      '/etc/sysctl.conf': `${MAX_KEY} = 999\n`,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));

    const plan = JSON.parse(
      (await runCli(['persist', '--root', tree, '--state-dir', state, '--json'])).stdout,
    ).plan;
    const planned = plan.atBoot.find((row: { key: string }) => row.key === MAX_KEY);
    assert.deepEqual(
      [planned.systemd.value, planned.procps],
      [max, { value: '999', from: '/etc/sysctl.conf:1' }],
    );

    const check = await runCli(['persist', '--check', '--root', tree, '--json']);
    assert.equal(check.code, 1, 'drift: a boot through sysctl --system sets 999');
    const row = JSON.parse(check.stdout).rows.find((r: { key: string }) => r.key === MAX_KEY);
    assert.equal(row.inSync, false);
    assert.deepEqual(row.sysctlSystem, { value: '999', from: '/etc/sysctl.conf:1' });

    const doctor = JSON.parse(
      (await runCli(['doctor', '--root', tree, '--fast', '--interval', '0.2', '--json'])).stdout,
    );
    const drift = doctor.findings.find((f: { id: string }) => f.id === `drift:${MAX_KEY}`);
    assert.ok(drift, JSON.stringify(doctor.findings.map((f: { id: string }) => f.id)));
    assert.match(drift.title, /`sysctl --system` sets 999 \(\/etc\/sysctl\.conf:1\)/);
    assert.equal(drift.evidence.sysctlSystemAtBoot, '999');
    assert.notEqual(doctor.summary.verdict, 'ok');
  });
});
