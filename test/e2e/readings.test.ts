import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StatusReport } from '../../src/core/status.js';
import type { DoctorReport } from '../../src/core/reports/doctorReport.js';
import { type CliResult, hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { assertMatchesSchema } from '../support/schemas.js';

const SYSCTL = 'sys/net/netfilter';
const scratch = mkdtempSync(join(tmpdir(), 'ctdoctor-readings-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the captured 200/200 tree, damaged by `damage` (paths relative to the tree). */
function damagedTree(name: string, damage: (tree: string) => void = () => {}): string {
  const tree = join(scratch, name);
  cpSync(fixture('proc-6.18-full'), tree, { recursive: true });
  damage(tree);
  return tree;
}

const treeArgs = (tree: string) => [
  '--proc-root',
  tree,
  '--sys-root',
  fixture('sys-empty'),
  '--interval',
  '0.1',
];

function assertOneLine(result: CliResult, pattern: RegExp): void {
  const text = result.stderr.trim();
  assert.match(text, pattern);
  assert.equal(text.split('\n').length, 1, text);
  assert.ok(!hasStackTrace(result.stderr));
}

/** status, check and doctor on the same tree: one refusal, the same words, each command's exit code. */
async function assertAllRefuse(tree: string, message: RegExp, statusExit: number): Promise<void> {
  const status = await runCli(['status', ...treeArgs(tree)]);
  assert.equal(status.code, statusExit, status.stdout + status.stderr);
  assertOneLine(status, new RegExp(`^ctdoctor: ${message.source}`));
  const check = await runCli(['check', ...treeArgs(tree)]);
  assert.equal(check.code, 3, check.stdout);
  assert.match(check.stdout.trim(), new RegExp(`^CONNTRACK UNKNOWN - ${message.source}`));
  const doctor = await runCli(['doctor', '--fast', ...treeArgs(tree)]);
  assert.equal(doctor.code, 3, doctor.stdout + doctor.stderr);
  assertOneLine(doctor, new RegExp(`^ctdoctor: ${message.source}`));
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('readings of /proc and /sys', () => {
  for (const [key, text] of [
    ['nf_conntrack_count', '-1\n'],
    ['nf_conntrack_count', '-5\n'],
    ['nf_conntrack_max', ''],
    ['nf_conntrack_max', 'abc\n'],
    ['nf_conntrack_max', '200.5\n'],
  ] as const) {
    it(`#11.15 #11.17 ${key} holding ${JSON.stringify(text)} is bad input in status, check and doctor alike`, async () => {
      const tree = damagedTree(`${key}-${text.trim() || 'empty'}`, (root) =>
        writeFileSync(join(root, SYSCTL, key), text),
      );
      const path = escaped(join(tree, SYSCTL, key));
      await assertAllRefuse(tree, new RegExp(`${path} holds "${escaped(text.trim())}", not a count$`), 1);
    });
  }

  it('#11.15 a damaged timeout is refused by the command that uses it (analyze), naming its file', async () => {
    const tree = damagedTree('timeout', (root) =>
      writeFileSync(join(root, SYSCTL, 'nf_conntrack_udp_timeout'), 'thirty\n'),
    );
    const result = await runCli(['analyze', ...treeArgs(tree).slice(0, 4)]);
    assert.equal(result.code, 1);
    assertOneLine(result, /nf_conntrack_udp_timeout holds "thirty", not a number of seconds$/);
  });

  it('#11.17 "not loaded" names the file in the tree that is absent, not /proc', async () => {
    const tree = fixture('proc-not-loaded');
    const path = escaped(join(tree, SYSCTL, 'nf_conntrack_max'));
    const status = await runCli(['status', ...treeArgs(tree)]);
    assert.equal(status.code, 1);
    assertOneLine(status, new RegExp(`^ctdoctor: nf_conntrack is not loaded: ${path} is absent`));
    const doctor = await runCli(['doctor', '--fast', ...treeArgs(tree)]);
    assertOneLine(doctor, new RegExp(`^ctdoctor: nf_conntrack is not loaded: ${path} is absent`));
  });

  it('#11.17 a --proc-root that does not exist or is a file is said so in one line, not "not loaded"', async () => {
    const missing = join(scratch, 'no-such-tree');
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a tree\n');
    for (const [root, says] of [
      [missing, 'does not exist'],
      [file, 'is not a directory'],
    ] as const) {
      const message = new RegExp(`--proc-root ${escaped(root)} ${says}$`);
      const status = await runCli(['status', '--proc-root', root]);
      assert.equal(status.code, 2);
      assertOneLine(status, message);
      const check = await runCli(['check', '--proc-root', root]);
      assert.equal(check.code, 3);
      assert.match(check.stdout.trim(), message);
      const doctor = await runCli(['doctor', '--proc-root', root]);
      assert.equal(doctor.code, 3);
      assertOneLine(doctor, message);
      const analyze = await runCli(['analyze', '--proc-root', root]);
      assertOneLine(analyze, message);
    }
    const sys = await runCli(['status', '--proc-root', fixture('proc-6.18-full'), '--sys-root', missing]);
    assert.equal(sys.code, 2);
    assertOneLine(sys, new RegExp(`--sys-root ${escaped(missing)} does not exist$`));
  });

  it('#11.17 --netns of a file that is not a namespace says so (status, analyze), no nsenter text', async () => {
    for (const command of ['status', 'analyze', 'check'] as const) {
      const interval = command === 'analyze' ? [] : ['--interval', '0.1'];
      const result = await runCli([command, '--netns', '/etc/passwd', ...interval]);
      const line = command === 'check' ? result.stdout : result.stderr;
      assert.match(line, /\/etc\/passwd is not a network namespace/, `${command}: ${line}`);
      assert.doesNotMatch(line, /not loaded|Invalid argument|modprobe/);
      assert.equal(result.code, command === 'check' ? 3 : 2);
    }
  });

  it('#11.17 --netns of a namespace of another kind (mount) is not a network namespace', async () => {
    // The file is on nsfs like a network namespace; only setns(2) tells the kind (EINVAL).
    const result = await runCli(['status', '--netns', '/proc/self/ns/mnt', '--interval', '0.1']);
    assert.equal(result.code, 2);
    assertOneLine(result, /^ctdoctor: \/proc\/self\/ns\/mnt is not a network namespace/);
  });

  it('#11.17 an unreadable nf_conntrack_max is "permission denied", not "not loaded" (doctor, as nobody)', async () => {
    const tree = damagedTree('unreadable', (root) =>
      chmodSync(join(root, SYSCTL, 'nf_conntrack_max'), 0o000),
    );
    chmodSync(scratch, 0o755);
    const result = await runCli(['doctor', '--fast', ...treeArgs(tree)], { asNobody: true });
    assert.equal(result.code, 3, result.stderr);
    assertOneLine(
      result,
      new RegExp(`cannot read ${escaped(join(tree, SYSCTL, 'nf_conntrack_max'))}: permission denied`),
    );
  });

  it('#11.17 a tree without net/nf_conntrack is named by its own path, not /proc', async () => {
    const tree = damagedTree('no-table', (root) => rmSync(join(root, 'net', 'nf_conntrack')));
    for (const source of ['procfs', 'auto']) {
      const result = await runCli([
        'analyze',
        '--proc-root',
        tree,
        '--sys-root',
        fixture('sys-empty'),
        '--source',
        source,
      ]);
      assert.equal(result.code, 1, result.stderr);
      assertOneLine(result, new RegExp(escaped(join(tree, 'net', 'nf_conntrack'))));
    }
  });

  it('#11.7 doctor --root that does not exist is refused in one line, exit 3', async () => {
    const result = await runCli([
      'doctor',
      '--fast',
      ...treeArgs(fixture('proc-6.18-full')),
      '--root',
      join(scratch, 'absent'),
    ]);
    assert.equal(result.code, 3, result.stderr);
    assertOneLine(result, /--root .*absent does not exist/);
  });

  it("#11.18 doctor on a full tree reports the tree's own namespace, CRITICAL as status and check say", async () => {
    const tree = damagedTree('full');
    const { result, json } = await runCliJson<DoctorReport>(['doctor', '--fast', ...treeArgs(tree)]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(json.summary.verdict, 'crit');
    assert.equal(json.namespaces.length, 1);
    assert.equal(json.namespaces[0]!.count, 200);
    assert.equal(json.namespaces[0]!.usage, 1);
    assert.equal(json.namespaces[0]!.verdict, 'crit');
    assert.match(json.summary.line, /100% full \(200\/200\)/);
    assertMatchesSchema(json, 'ctdoctor.doctor/v1');
    const status = await runCliJson<StatusReport>(['status', ...treeArgs(tree)]);
    assert.equal(status.json.verdict, 'crit');
    const check = await runCli(['check', ...treeArgs(tree)]);
    assert.equal(check.code, 2);
  });

  it('#11.19 --source netlink with a --proc-root tree is refused in one line (status, check, analyze)', async () => {
    const tree = fixture('proc-6.18-full');
    const message = /--source netlink asks the running kernel, not the tree in --proc-root /;
    const status = await runCli(['status', '--source', 'netlink', ...treeArgs(tree)]);
    assert.equal(status.code, 2);
    assertOneLine(status, message);
    const check = await runCli(['check', '--source', 'netlink', ...treeArgs(tree)]);
    assert.equal(check.code, 3);
    assert.match(check.stdout, message);
    const analyze = await runCli(['analyze', '--source', 'netlink', '--proc-root', tree]);
    assertOneLine(analyze, message);
  });
});
