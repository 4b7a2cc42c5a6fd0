import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { crashAfterEveryStep } from '../support/crashHarness.js';
import { K1, makeTree } from '../support/sysctlTrees.js';

const MAX_KEY = 'net.netfilter.nf_conntrack_max';
const NOBODY = 65534;

/** Every entry under `root`, byte for byte, with modes and link targets. */
function treeSnapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const key = relative(root, path);
      if (stat.isSymbolicLink()) entries[key] = `link ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        entries[key] = `dir ${stat.mode.toString(8)}`;
        walk(path);
      } else entries[key] = `${stat.mode.toString(8)} ${readFileSync(path).toString('base64')}`;
    }
  };
  walk(root);
  return entries;
}

/** A tree owned by nobody whose /etc is read-only and /etc/sysctl.d writable, as issue #11.1 found it. */
function readOnlyEtcTree(): { tree: string; state: string; as: string[] } {
  const tree = makeTree({ '/etc/sysctl.conf': `# mine\n${MAX_KEY} = 1000\n${K1} = 600\n` });
  const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    for (const dir of [tree, state]) chownSync(dir, NOBODY, NOBODY);
    for (const dir of ['etc', 'etc/sysctl.d', 'etc/sysctl.conf', 'run', 'usr'])
      chownSync(join(tree, dir), NOBODY, NOBODY);
  }
  chmodSync(join(tree, 'etc'), 0o555);
  const as = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'] : [];
  return { tree, state, as };
}

const persistFixConflicts = (stateArgs: string[]) => [
  'persist',
  ...stateArgs,
  '--max',
  '524288',
  '--buckets',
  '524288',
  '--fix-conflicts',
  '--apply',
];

describe('--apply is all or nothing', () => {
  it('#11.1 persist --fix-conflicts with a read-only /etc leaves nothing changed and journals the failure', async () => {
    const { tree, state, as } = readOnlyEtcTree();
    const before = treeSnapshot(tree);
    const stateArgs = ['--root', tree, '--state-dir', state];
    const result = await runCli(persistFixConflicts(stateArgs), { as });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /etc\/.*sysctl\.conf/, 'names the file it could not write');
    assert.match(result.stderr, /nothing was changed/);
    assert.doesNotMatch(result.stderr, /unexpected error/);
    assert.deepEqual(treeSnapshot(tree), before, 'the drop-in written first is removed again');
    const list = await runCli(['rollback', '--list', '--json', ...stateArgs], { as });
    const entries = JSON.parse(list.stdout).entries;
    assert.equal(entries.length, 1, list.stdout);
    assert.equal(entries[0].state, 'undone on failure');
    const paths = entries[0].changes.map((change: { path: string }) => change.path);
    assert.match(paths[0], /^\/etc\/sysctl\.d\/\S*ctdoctor\.conf$/);
    assert.equal(paths[1], '/etc/sysctl.conf');
    const rollback = await runCli(['rollback', ...stateArgs], { as });
    assert.equal(rollback.code, 1, 'nothing is left to roll back');
    assert.match(rollback.stderr, /nothing to roll back/);
  });

  it('#11.4 persist --fix-conflicts killed after each step: unchanged or journaled, and rollback restores byte for byte', async () => {
    const tree = makeTree({
      '/etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' },
      '/etc/sysctl.conf': `# mine\n${MAX_KEY} = 1000\n${K1} = 600\n`,
    });
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    const stateArgs = ['--root', tree, '--state-dir', state];
    const { steps, killedAfter } = await crashAfterEveryStep({
      apply: persistFixConflicts(stateArgs),
      snapshot: async () => treeSnapshot(tree),
      stateArgs,
    });
    // begin, then the drop-in and the fixed conflict, each with its journal step, then commit
    assert.equal(steps, 6, killedAfter.join('\n'));
    assert.match(killedAfter[1]!, /^write \/etc\/sysctl\.d\/\S*ctdoctor\.conf$/);
    assert.deepEqual(
      [killedAfter[0], ...killedAfter.slice(2)],
      ['journal begin', 'journal step', 'write /etc/sysctl.conf', 'journal step', 'journal commit'],
    );
  });

  it('#11.4 the failing persist of #11.1 killed after each step of its own undo: rollback restores byte for byte', async () => {
    const { tree, state, as } = readOnlyEtcTree();
    const stateArgs = ['--root', tree, '--state-dir', state];
    const { steps, killedAfter } = await crashAfterEveryStep({
      apply: persistFixConflicts(stateArgs),
      snapshot: async () => treeSnapshot(tree),
      stateArgs,
      as,
      fails: true,
    });
    assert.deepEqual(
      killedAfter.map((step) => step.replace(/\/etc\/sysctl\.d\/\S*ctdoctor\.conf$/, 'DROP-IN')),
      [
        'journal begin',
        'write DROP-IN',
        'journal step',
        'journal undoing',
        'undo write DROP-IN',
        'journal abort',
      ],
    );
    assert.equal(steps, 6);
  });
});
