import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostFacts } from '../../../src/collectors/hostFacts.js';
import { keyOwners } from '../../../src/collectors/keyOwners.js';
import { numaNodes } from '../../../src/collectors/numaNodes.js';
import { persistenceState } from '../../../src/collectors/persistAudit.js';
import { CtdoctorError } from '../../../src/core/errors.js';
import { CTDOCTOR_MARK } from '../../../src/core/plan/persistPlan.js';
import type { SysctlAccess } from '../../../src/host/sysctlAccess.js';
import { fixture } from '../../support/paths.js';
import { makeTree } from '../../support/sysctlTrees.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';
const ESTABLISHED = 'net.netfilter.nf_conntrack_tcp_timeout_established';

/** Runtime values as a namespace would answer them; `undefined` is a key it does not have. */
function runtimeOf(values: Record<string, string>): SysctlAccess & { asked: string[] } {
  const asked: string[] = [];
  return {
    netns: undefined,
    asked,
    read: async (key) => {
      asked.push(key);
      return values[key];
    },
    write: () => Promise.reject(new Error('a collector never writes')),
  };
}

describe('numa nodes collector', () => {
  it('is 1 node when sysfs does not list any', async () => {
    const collected = await numaNodes({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') });
    assert.ok(collected.ok);
    assert.equal(collected.data, 1);
    assert.equal(typeof collected.durationMs, 'number');
  });

  it('counts node directories', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'ctdoctor-sys-'));
    for (const node of ['node0', 'node1', 'possible'])
      mkdirSync(join(sys, 'devices/system/node', node), { recursive: true });
    const collected = await numaNodes({ procRoot: fixture('proc-6.18-full'), sysRoot: sys });
    assert.ok(collected.ok);
    assert.equal(collected.data, 2);
  });
});

describe('key owners collector', () => {
  it('finds nobody in a tree without kube-proxy, tuned or container markers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ctdoctor-root-'));
    const collected = await keyOwners(
      root,
      { procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') },
      4,
      true,
    );
    assert.ok(collected.ok);
    assert.deepEqual(collected.data, []);
  });

  it('names tuned when its active profile sets conntrack values', async () => {
    const root = makeTree({
      '/etc/tuned/active_profile': 'network-latency\n',
      '/etc/tuned/network-latency/tuned.conf': '[sysctl]\nnet.netfilter.nf_conntrack_max=1048576\n',
    });
    const collected = await keyOwners(
      root,
      { procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') },
      4,
      true,
    );
    assert.ok(collected.ok);
    assert.deepEqual(
      collected.data.map((owner) => owner.who),
      ['tuned'],
    );
  });
});

describe('persistence state collector', () => {
  it('reads the tree and the runtime value of max, buckets and every key ctdoctor persists', async () => {
    const root = makeTree({
      '/etc/sysctl.d/90-ctdoctor.conf': `${CTDOCTOR_MARK}\n${ESTABLISHED} = 3600\n`,
      '/etc/sysctl.d/10-other.conf': `${MAX} = 65536\n`,
    });
    const access = runtimeOf({ [MAX]: '65536', [ESTABLISHED]: '432000' });
    const collected = await persistenceState(root, access);
    assert.ok(collected.ok);
    assert.deepEqual(access.asked.sort(), [BUCKETS, ESTABLISHED, MAX].sort());
    assert.deepEqual(collected.data.runtime, { [MAX]: '65536', [BUCKETS]: null, [ESTABLISHED]: '432000' });
    assert.ok(collected.data.tree.files.some((file) => file.path.endsWith('/etc/sysctl.d/90-ctdoctor.conf')));
    assert.equal(typeof collected.durationMs, 'number');
  });

  it('is "permission" when a runtime value needs root', async () => {
    const root = makeTree({});
    const access: SysctlAccess = {
      netns: undefined,
      read: () =>
        Promise.reject(
          new CtdoctorError('permission', `cannot read ${MAX}: permission denied (run as root)`),
        ),
      write: () => Promise.reject(new Error('a collector never writes')),
    };
    const collected = await persistenceState(root, access);
    assert.ok(!collected.ok);
    assert.equal(collected.reason, 'permission');
    assert.match(collected.message, /run as root/);
  });
});

describe('host facts collector', () => {
  it('takes the entry size from slabinfo when the tree has it', async () => {
    const collected = await hostFacts({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') });
    assert.ok(collected.ok);
    assert.equal(collected.data.entrySize.source, 'slabinfo');
    assert.equal(
      collected.data.kernel,
      readFileSync(fixture('proc-6.18-full', 'sys/kernel/osrelease'), 'utf8').trim(),
    );
  });

  it('estimates the entry size, and leaves module facts unknown, when slabinfo and sysfs say nothing', async () => {
    const collected = await hostFacts({
      procRoot: fixture('proc-not-loaded'),
      sysRoot: fixture('sys-empty'),
    });
    assert.ok(collected.ok);
    assert.equal(collected.data.entrySize.source, 'estimate');
    assert.equal(collected.data.conntrackBuiltIn, undefined);
  });
});
