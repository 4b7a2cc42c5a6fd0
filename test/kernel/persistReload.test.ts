import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runTool } from '../../src/host/childProcess.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { CLI } from '../support/paths.js';
import { makeTree } from '../support/sysctlTrees.js';

const hostValue = (key: string) => readFileSync(`/proc/sys/net/netfilter/${key}`, 'utf8').trim();

describe('persist --reload, timeouts --persist, and errors that name the fix', () => {
  before(requireKernelLab);

  it('persist --reload applies the persisted values now, in the namespace it runs in, and rollback undoes it there (not from the host)', async () => {
    await withLabNamespace(async (lab) => {
      const tree = makeTree({});
      const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
      const run = (...args: string[]) => lab.exec(process.execPath, [CLI, ...args]);
      const applied = await run(
        'persist',
        '--root',
        tree,
        '--state-dir',
        state,
        '--timeout',
        'udp_timeout=77',
        '--reload',
        '--apply',
        '--json',
      );
      assert.equal(applied.exitCode, 0, applied.stderr);
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '77', 'runtime equals persisted');
      assert.match(
        readFileSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf'), 'utf8'),
        /nf_conntrack_udp_timeout = 77/,
      );
      const check = await run('persist', '--check', '--root', tree);
      assert.equal(check.exitCode, 0, check.stdout);
      // From the host, the same journal names a value of the lab's namespace: never the host's to restore.
      const fromHost = await runCli(['rollback', '--root', tree, '--state-dir', state, '--force']);
      assert.equal(fromHost.code, 1);
      assert.match(
        fromHost.stderr,
        /^ctdoctor: net\.netfilter\.nf_conntrack_udp_timeout was changed in network namespace \d+, where ctdoctor ran, and this rollback runs in \d+: run it inside that namespace \(ip netns exec NAME ctdoctor rollback\)\n$/,
      );
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '77');
      const inLab = await run('rollback', '--root', tree, '--state-dir', state);
      assert.equal(inLab.exitCode, 0, inLab.stderr);
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '30');
    });
  });

  it('timeouts --persist refuses in a child namespace and chains into the drop-in on the host', async () => {
    await withLabNamespace(async (lab) => {
      const refused = await runCli([
        'timeouts',
        '--netns',
        lab.name,
        '--set',
        'udp_timeout=20',
        '--apply',
        '--persist',
      ]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--persist writes the host's sysctl\.d/);
    });
    const tree = makeTree({});
    const current = hostValue('nf_conntrack_udp_timeout');
    const result = await runCli([
      'timeouts',
      '--set',
      `udp_timeout=${current}`,
      '--apply',
      '--persist',
      '--root',
      tree,
      '--state-dir',
      mkdtempSync(join(tmpdir(), 'ctd-state-')),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      readFileSync(join(tree, 'etc/sysctl.d/90-ctdoctor.conf'), 'utf8'),
      new RegExp(`nf_conntrack_udp_timeout = ${current}`),
    );
    assert.equal(hostValue('nf_conntrack_udp_timeout'), current);
  });

  it('mitigate --apply: one line naming the fix when not root, or in a child namespace', async () => {
    const mitigate = ['mitigate', '--max', '300000', '--apply', '--interval', '0.1'];
    const asNobody = await runTool('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      CLI,
      ...mitigate,
    ]);
    assert.equal(asNobody.exitCode, 1, asNobody.stderr);
    assert.match(asNobody.stderr, /^ctdoctor: changing nf_conntrack_max needs root: run with sudo\n$/);
    await withLabNamespace(async (lab) => {
      const inChild = await lab.exec(process.execPath, [CLI, ...mitigate]);
      assert.equal(inChild.exitCode, 1);
      assert.match(
        inChild.stderr,
        /^ctdoctor: nf_conntrack_max and buckets are global and writable only from the host's initial network namespace: run ctdoctor on the host/,
      );
    });
  });
});
