import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withFileDeadline } from '../../src/host/fileFailures.js';
import { type CliResult, runCli } from '../support/cli.js';
import { makeTree } from '../support/sysctlTrees.js';

const persist = (tree: string, state: string, args: string[] = [], options: { asNobody?: boolean } = {}) =>
  runCli(['persist', '--root', tree, '--state-dir', state, '--max', '524288', ...args], options);

/** One line on stderr, exit 1, no "unexpected error", nothing on stdout (no plan that says "ok"). */
function assertOneLineFailure(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  assert.doesNotMatch(result.stderr, /unexpected error/);
  assert.match(result.stderr, /^ctdoctor: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
}

const newState = () => join(mkdtempSync(join(tmpdir(), 'ctd-')), 'state');

/** A tree and a state dir an unprivileged user may traverse (mkdtemp makes them 0700). */
function worldReadable(...paths: string[]): void {
  for (const path of paths) execFileSync('chmod', ['-R', 'a+rX', path]);
}

describe('state dirs and write targets on pseudo filesystems', () => {
  it('#11.10 persist --state-dir /proc/anything --apply is refused at once, not a busy loop', {
    timeout: 20_000,
  }, async () => {
    const result = await persist(makeTree({}), '/proc/anything', ['--apply']);
    assertOneLineFailure(
      result,
      /the state dir \/proc\/anything is on proc \(\/proc\), a kernel pseudo filesystem that stores no files: choose a directory on a real filesystem/,
    );
  });

  it('#11.10 a --root on sysfs is refused before anything is written', { timeout: 20_000 }, async () => {
    const result = await persist('/sys', newState(), ['--apply']);
    assertOneLineFailure(result, /the target directory \/sys\/etc\/sysctl\.d is on sysfs \(\/sys\)/);
  });

  it('#11.10 a FIFO where the journal should be is refused, not waited on forever', {
    timeout: 20_000,
  }, async () => {
    const state = newState();
    mkdirSync(state);
    execFileSync('mkfifo', [join(state, 'journal.jsonl')]);
    const result = await runCli(['rollback', '--list', '--state-dir', state]);
    assertOneLineFailure(
      result,
      /journal\.jsonl is not a regular file \(a FIFO, a device or a directory\?\): move it away/,
    );
  });

  it('#11.10 a file operation that never answers fails at its deadline, naming the path', async () => {
    await assert.rejects(
      withFileDeadline('/mnt/nfs/state/journal.jsonl', 'read', new Promise(() => {}), 50),
      {
        message: /^cannot read \/mnt\/nfs\/state\/journal\.jsonl: no answer after 0\.05 s/,
      },
    );
  });
});

describe('persist filesystem failures are one line naming the path and the fix', () => {
  it('#11.21 etc/sysctl.d is a file: the plan fails naming it instead of saying "ok"', async () => {
    const tree = makeTree({});
    rmSync(join(tree, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(join(tree, 'etc/sysctl.d'), 'not a directory\n');
    for (const args of [[], ['--apply']]) {
      const result = await persist(tree, newState(), args);
      assertOneLineFailure(
        result,
        new RegExp(
          `${join(tree, 'etc/sysctl.d')} is a file, not a directory: move it away, or use another path`,
        ),
      );
    }
  });

  it('#11.21 etc/sysctl.d is a symlink loop: named as one', async () => {
    const tree = makeTree({});
    rmSync(join(tree, 'etc/sysctl.d'), { recursive: true });
    symlinkSync('sysctl.d', join(tree, 'etc/sysctl.d'));
    const result = await persist(tree, newState(), ['--apply']);
    assertOneLineFailure(
      result,
      new RegExp(`${join(tree, 'etc/sysctl.d')} is a symlink loop: .*replace it with a directory`),
    );
  });

  it('#11.21 the state dir is a file', async () => {
    const state = newState();
    writeFileSync(state, '');
    const result = await persist(makeTree({}), state, ['--apply']);
    assertOneLineFailure(
      result,
      new RegExp(`cannot create the directory ${state}: ${state} is a file, not a directory: move it away`),
    );
  });

  it('#11.21 a read-only tree as non-root: names the file and says it needs root', async () => {
    const tree = makeTree({});
    const state = newState();
    mkdirSync(state, { mode: 0o777 });
    chmodSync(state, 0o777);
    worldReadable(tree, join(state, '..'));
    const result = await persist(tree, state, ['--apply'], { asNobody: true });
    assertOneLineFailure(
      result,
      new RegExp(
        `^ctdoctor: cannot write ${tree}/etc/sysctl\\.d/90-ctdoctor\\.conf: permission denied: needs root \\(run with sudo\\), or use a path you own; nothing was changed \\(what was done is undone\\)\\n$`,
      ),
    );
  });

  it('#11.17 an unreadable drop-in is "permission denied", never read as setting nothing', async () => {
    const tree = makeTree({ '/etc/sysctl.d/95-other.conf': 'net.netfilter.nf_conntrack_max = 999\n' });
    const state = newState();
    mkdirSync(state, { mode: 0o777 });
    worldReadable(tree, join(state, '..'));
    chmodSync(join(tree, 'etc/sysctl.d/95-other.conf'), 0o600);
    const result = await persist(tree, state, [], { asNobody: true });
    assertOneLineFailure(
      result,
      new RegExp(`^ctdoctor: cannot read ${tree}/etc/sysctl\\.d/95-other\\.conf: permission denied`),
    );
  });

  it('#11.21 an unwritable state dir as non-root: names the lock and says it needs root', async () => {
    const tree = makeTree({});
    const state = newState();
    mkdirSync(state, { mode: 0o755 });
    worldReadable(tree, join(state, '..'));
    const result = await persist(tree, state, ['--apply'], { asNobody: true });
    assertOneLineFailure(
      result,
      new RegExp(`^ctdoctor: cannot create ${state}/lock: permission denied: needs root`),
    );
    assert.ok(!existsSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf')));
  });
});
