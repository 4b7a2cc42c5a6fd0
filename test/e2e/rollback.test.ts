import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { makeTree } from '../support/sysctlTrees.js';

const DROP_IN = 'etc/sysctl.d/90-ctdoctor.conf';

/** A --root tree and state dir with `maxes.length` persist applies journaled, one per value. */
async function persisted(...maxes: number[]): Promise<{ tree: string; state: string; ids: string[] }> {
  const tree = makeTree({});
  const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
  const ids: string[] = [];
  for (const max of maxes) {
    const where = ['--root', tree, '--state-dir', state];
    const result = await runCli(['persist', ...where, '--max', String(max), '--apply', '--json']);
    assert.equal(result.code, 0, result.stderr);
    ids.push(JSON.parse(result.stdout).journalId);
  }
  return { tree, state, ids };
}

/** Appends what a crash mid-append leaves (a record cut short, no newline); returns its line number. */
function appendTornLine(state: string): number {
  const journal = join(state, 'journal.jsonl');
  const line = readFileSync(journal, 'utf8').split('\n').length;
  appendFileSync(journal, '{"type":"begin","id":"2026');
  return line;
}

const rollback = (tree: string, state: string, ...args: string[]) =>
  runCli(['rollback', '--root', tree, '--state-dir', state, ...args]);

describe('rollback in a --root tree', () => {
  it('#11.5 --to ID undoes that change and every later one, newest first', async () => {
    const { tree, state, ids } = await persisted(300000, 400000, 500000);
    const result = await rollback(tree, state, '--to', ids[1]!);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      [...result.stdout.matchAll(/^rolled back (\S+)/gm)].map((match) => match[1]),
      [ids[2], ids[1]],
    );
    assert.match(readFileSync(join(tree, DROP_IN), 'utf8'), /^net\.netfilter\.nf_conntrack_max = 300000$/m);
    const list = JSON.parse((await rollback(tree, state, '--list', '--json')).stdout);
    assert.deepEqual(
      list.entries.map((entry: { rolledBack: boolean }) => entry.rolledBack),
      [false, true, true],
    );
  });

  it('#11.5 --to an id that is not active is one line naming --list, and undoes nothing', async () => {
    const { tree, state } = await persisted(300000);
    const result = await rollback(tree, state, '--to', '20990101T000000Z-0000');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ctdoctor: no active change 20990101T000000Z-0000 in .* \(see: ctdoctor rollback --list\)\n$/,
    );
    assert.ok(existsSync(join(tree, DROP_IN)));
  });

  it('#11.5 refuses a file edited since ctdoctor wrote it; --force restores anyway', async () => {
    const { tree, state } = await persisted(300000);
    appendFileSync(join(tree, DROP_IN), 'net.netfilter.nf_conntrack_max = 1\n');
    const refused = await rollback(tree, state);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'ctdoctor: /etc/sysctl.d/90-ctdoctor.conf was modified after ctdoctor wrote it (use --force to restore the backup anyway)\n',
    );
    assert.ok(existsSync(join(tree, DROP_IN)), 'the edited file is left alone');
    const forced = await rollback(tree, state, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(!existsSync(join(tree, DROP_IN)), 'ctdoctor created it, so undoing removes it');
  });
});

describe('a rollback killed midway', () => {
  it('re-run, it finishes: a file already as it was before is not "modified since"', async () => {
    const { tree, state } = await persisted(300000, 400000);
    // The killed rollback had restored the second apply's file (to the first's) but not recorded it.
    const firstDropIn = readFileSync(join(tree, DROP_IN), 'utf8').replace('400000', '300000');
    writeFileSync(join(tree, DROP_IN), firstDropIn);
    const again = await rollback(tree, state, '--to', (await persistedIds(tree, state))[0]!);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!existsSync(join(tree, DROP_IN)), 'the first apply is undone too');
  });
});

async function persistedIds(tree: string, state: string): Promise<string[]> {
  const list = JSON.parse((await rollback(tree, state, '--list', '--json')).stdout);
  return list.entries.map((entry: { id: string }) => entry.id);
}

describe('journal repair', () => {
  it('#11.5 a torn last line is skipped and said, by --list and by rollback', async () => {
    const { tree, state } = await persisted(300000);
    const torn = appendTornLine(state);
    const list = await rollback(tree, state, '--list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stderr,
      new RegExp(
        `^warning: .*journal\\.jsonl:${torn} is a line torn by a crash while it was written: skipped\n$`,
      ),
    );
    const undo = await rollback(tree, state);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, new RegExp(`warning: .*journal\\.jsonl:${torn} is a line torn by a crash`));
    assert.ok(!existsSync(join(tree, DROP_IN)));
  });

  it('#11.5 an apply after a torn last line keeps the fragment apart, so both records stay readable', async () => {
    const { tree, state } = await persisted(300000);
    const torn = appendTornLine(state);
    await runCli(['persist', '--root', tree, '--state-dir', state, '--max', '400000', '--apply']);
    const list = await rollback(tree, state, '--list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const parsed = JSON.parse(list.stdout);
    assert.equal(parsed.entries.length, 2);
    assert.match(parsed.warnings[0], new RegExp(`journal\\.jsonl:${torn} is a line torn by a crash`));
    const undo = await rollback(tree, state, '--to', parsed.entries[0].id);
    assert.equal(undo.code, 0, undo.stderr);
  });

  it('#11.5 a damaged line in the middle makes rollback refuse, naming the journal line', async () => {
    const { tree, state } = await persisted(300000, 400000);
    const journal = join(state, 'journal.jsonl');
    // Between the two applies' records: the first apply's lines, then garbage, then the second's.
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    const firstApply = lines.findIndex((line, index) => index > 0 && line.includes('"type":"begin"'));
    const damaged = firstApply + 1;
    lines.splice(firstApply, 0, '{"type":"begin",garbage');
    writeFileSync(journal, `${lines.join('\n')}\n`);
    const undo = await rollback(tree, state);
    assert.equal(undo.code, 1);
    assert.equal(
      undo.stderr,
      `ctdoctor: ${journal}:${damaged} is not a journal record (damaged or edited): rollback will not guess what it recorded; see ctdoctor rollback --list, then repair or delete that line (keep a copy) and retry\n`,
    );
    assert.match(readFileSync(join(tree, DROP_IN), 'utf8'), /nf_conntrack_max = 400000/, 'nothing undone');
    const list = await rollback(tree, state, '--list');
    assert.equal(list.code, 0);
    assert.equal(list.stderr, `warning: ${journal}:${damaged} is not a journal record (damaged or edited)\n`);
    assert.equal([...list.stdout.matchAll(/^\S+Z-[0-9a-f]{4} /gm)].length, 2);
  });

  it('#11.5 rollback --list as non-root says it needs root, not "no changes journaled"', async () => {
    const { tree, state } = await persisted(300000);
    chmodSync(state, 0o700); // as ensurePrivateDir leaves /var/lib/ctdoctor
    const result = await runCli(['rollback', '--list', '--root', tree, '--state-dir', state], {
      asNobody: true,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `ctdoctor: cannot read ${join(state, 'journal.jsonl')}: permission denied: needs root (run with sudo), or use a path you own\n`,
    );
    assert.equal(result.stdout, '');
  });
});

describe('rollback of sysctls written through --proc-root', () => {
  it('rolls back through the tree the change was written through, and refuses to write /proc instead', async () => {
    const proc = mkdtempSync(join(tmpdir(), 'ctd-proc-'));
    cpSync(fixture('proc-6.18-full'), proc, { recursive: true });
    const udpTimeout = join(proc, 'sys/net/netfilter/nf_conntrack_udp_timeout');
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const where = ['--proc-root', proc, '--sys-root', fixture('sys-empty'), '--state-dir', state];
    const applied = await runCli(['timeouts', ...where, '--set', 'udp_timeout=20', '--apply']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(readFileSync(udpTimeout, 'utf8').trim(), '20');
    assert.match(
      applied.stdout,
      new RegExp(`undo with ctdoctor rollback --proc-root ${proc} --state-dir ${state}`),
    );

    const onLiveProc = await runCli(['rollback', '--state-dir', state]);
    assert.equal(onLiveProc.code, 1);
    assert.equal(
      onLiveProc.stderr,
      `ctdoctor: net.netfilter.nf_conntrack_udp_timeout was changed through ${proc} and this rollback writes /proc: run it with --proc-root ${proc}\n`,
    );
    assert.equal(readFileSync(udpTimeout, 'utf8').trim(), '20', 'still to be rolled back');

    const inTree = await runCli(['rollback', '--proc-root', proc, '--state-dir', state]);
    assert.equal(inTree.code, 0, inTree.stderr);
    assert.equal(readFileSync(udpTimeout, 'utf8').trim(), '30');
  });
});
