import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTECTED_PORTS } from '../../src/core/plan/timeoutImpact.js';
import {
  persistCommandFor,
  planTimeoutChanges,
  protectedPortsWith,
} from '../../src/core/plan/timeoutsPlan.js';
import { readConntrackSettings } from '../../src/host/conntrackSettings.js';
import { resolveNetns } from '../../src/host/netns.js';
import { netnsFiles } from '../../src/host/netnsFiles.js';
import { fixture } from '../support/paths.js';

async function capturedTimeouts(): Promise<Record<string, number>> {
  const roots = { procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') };
  return (await readConntrackSettings(netnsFiles(await resolveNetns(undefined, roots), roots))).timeouts;
}

describe('timeouts --set on the captured 6.18 tree', () => {
  it('each value beside the one it replaces, written with or without the sysctl prefix', async () => {
    const changes = planTimeoutChanges(
      ['tcp_timeout_established=3600', 'net.netfilter.nf_conntrack_udp_timeout=5'],
      await capturedTimeouts(),
    );
    assert.deepEqual(changes, [
      { name: 'tcp_timeout_established', currentSeconds: 432000, newSeconds: 3600 },
      { name: 'udp_timeout', currentSeconds: 30, newSeconds: 5 },
    ]);
  });

  it('a timeout this kernel does not have is refused, naming the command that lists them', async () => {
    assert.throws(() => planTimeoutChanges(['dccp_timeout_open=60'], {}), {
      kind: 'usage',
      message:
        '--set "dccp_timeout_open=60": this kernel has no timeout dccp_timeout_open (see ctdoctor timeouts)',
    });
    assert.throws(() => planTimeoutChanges(['udp_timeout=0'], {}), /below 1 s/, 'the range is checked first');
  });
});

describe('timeouts --protect', () => {
  it('adds a port to the long-lived services, keeping the known ones', () => {
    const ports = protectedPortsWith(['8443']);
    assert.equal(ports[8443], 'port 8443');
    assert.equal(ports[22], 'SSH');
    assert.equal(Object.keys(ports).length, Object.keys(PROTECTED_PORTS).length + 1);
  });

  it('refuses what is not a port', () => {
    for (const port of ['70000', 'ssh', '-1'])
      assert.throws(() => protectedPortsWith([port]), {
        kind: 'usage',
        message: `--protect ${port} is not a port`,
      });
  });
});

describe('the persist command timeouts suggests', () => {
  it('carries every proposed value; none when nothing is proposed or --persist already wrote them', () => {
    const changes = [
      { name: 'tcp_timeout_established', currentSeconds: 432000, newSeconds: 3600 },
      { name: 'udp_timeout', currentSeconds: 30, newSeconds: 5 },
    ];
    assert.equal(
      persistCommandFor(changes, false),
      'ctdoctor persist --timeout tcp_timeout_established=3600 --timeout udp_timeout=5 --apply',
    );
    assert.equal(persistCommandFor(changes, true), null);
    assert.equal(persistCommandFor([], false), null);
  });
});
