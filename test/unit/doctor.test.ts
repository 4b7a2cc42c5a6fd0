import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildDoctorFindings } from '../../src/core/doctor/doctorFindings.js';
import type { DoctorInput } from '../../src/core/findings/doctor/doctorReadings.js';
import { parseKmsgRecord, summarizeKernelLog } from '../../src/core/doctor/kernelLog.js';
import { identifyWorkload } from '../../src/core/doctor/workloadIdentity.js';
import { parseStatFile } from '../../src/core/statFile.js';
import { evaluateStatus } from '../../src/core/status.js';
import { checkOutcome, renderCheckLine } from '../../src/render/checkLine.js';
import { renderStatusText } from '../../src/render/statusText.js';
import { doctorInput } from '../support/findings.js';
import { fixture } from '../support/paths.js';

const kmsg = readFileSync(fixture('kmsg', 'conntrack.txt'), 'utf8').trim().split('\n');
const inode = Number(/netns (\d+)/.exec(kmsg[0]!)![1]);
const BOOT_MS = 1_700_000_000_000;

describe('kernel log', () => {
  const records = kmsg.map((line) => parseKmsgRecord(line, BOOT_MS)!);

  it('reads /dev/kmsg records with boot-relative microseconds', () => {
    const usec = Number(kmsg[0]!.split(',')[2]);
    assert.equal(records[0]!.timeMs, BOOT_MS + usec / 1000);
    assert.match(
      records[0]!.message,
      /^nf_conntrack: nf_conntrack: table full in netns \d+, dropping packet$/,
    );
  });

  it('attributes table-full lines to the namespace inode and counts suppressed ones', () => {
    const summary = summarizeKernelLog(records, '/dev/kmsg', null);
    assert.equal(summary.tableFull.length, 1);
    assert.equal(summary.tableFull[0]!.netnsInode, inode);
    assert.equal(summary.tableFull[0]!.messages, kmsg.filter((line) => line.includes('table full')).length);
    const suppressed = kmsg
      .filter((line) => line.includes('suppressed'))
      .reduce((sum, line) => sum + Number(/(\d+) callbacks/.exec(line)![1]), 0);
    assert.equal(summary.suppressed, suppressed);
  });

  it('drops lines older than the window', () => {
    const last = records.at(-1)!.timeMs;
    assert.equal(summarizeKernelLog(records, 'x', last + 1).tableFull.length, 0);
  });
});

describe('workload identity from cgroups', () => {
  it('names Docker, containerd/Kubernetes and CRI-O workloads', () => {
    assert.deepEqual(
      identifyWorkload(
        '0::/system.slice/docker-3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd.scope\n',
      ),
      {
        runtime: 'docker',
        containerId: '3f2a9c1b7d4e',
        podUid: null,
      },
    );
    const k8s = identifyWorkload(
      '0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_5f60_4718_9293_a4b5c6d7e8f9.slice/cri-containerd-aa11bb22cc33dd44ee55ff6677889900aabbccddeeff00112233445566778899.scope',
    );
    assert.deepEqual(k8s, {
      runtime: 'containerd',
      containerId: 'aa11bb22cc33',
      podUid: '1b2c3d4e-5f60-4718-9293-a4b5c6d7e8f9',
    });
    assert.equal(identifyWorkload('0::/\n').runtime, null);
  });
});

const full = parseStatFile(readFileSync(fixture('proc-6.18-full', 'net/stat/nf_conntrack'), 'utf8'));
const dropping = { ...full, totals: { ...full.totals, drop: (full.totals.drop ?? 0) + 500 } };
const facts = {
  kernel: '6.18.44',
  entrySize: { bytes: 256, source: 'slabinfo' as const },
  netns: { inode, initial: false, name: 'web' },
};
const fullStatus = evaluateStatus(
  { takenAtMs: 0, count: 200, max: 200, buckets: 262144, stats: full },
  { takenAtMs: 1000, count: 200, max: 200, buckets: 262144, stats: dropping },
  facts,
);

/** The captured-kmsg host with one full, dropping namespace (web) and max 200. */
function input(overrides: Partial<DoctorInput> = {}): DoctorInput {
  return doctorInput({
    max: 200,
    namespaces: [
      {
        inode,
        initial: false,
        names: ['web'],
        path: '/run/netns/web',
        processes: [
          { pid: 4242, command: 'nginx', workload: { runtime: null, containerId: null, podUid: null } },
        ],
        status: fullStatus,
        error: null,
        tableFindings: [],
        dnsShare: null,
        establishedIdleOverDay: null,
        zones: ['0'],
        tableFull: { netnsInode: inode, messages: 10, firstMs: BOOT_MS, lastMs: BOOT_MS + 5 },
      },
    ],
    ...overrides,
  });
}

describe('doctor findings', () => {
  it('a full, dropping namespace is critical, named by inode, name and process, with the exact fix', () => {
    const [first] = buildDoctorFindings(input());
    assert.equal(first!.severity, 'crit');
    assert.equal(
      first!.title,
      `netns ${inode} (ip netns web, nginx) is dropping 500 new connections/s — table full (200/200)`,
    );
    assert.deepEqual(first!.fix.commands.slice(0, 2), [
      'ctdoctor mitigate --apply --netns web',
      'sysctl -w net.netfilter.nf_conntrack_max=512',
    ]);
    assert.equal(first!.evidence.kernelLogMessages, 10);
  });

  it('persistence drift and overridden files are warnings that name both files', () => {
    const findings = buildDoctorFindings(
      input({
        namespaces: [],
        persist: {
          file: '/etc/sysctl.d/90-ctdoctor.conf',
          rows: [
            {
              key: 'net.netfilter.nf_conntrack_max',
              runtime: '200',
              atBoot: '1234',
              bootFrom: '/etc/sysctl.d/95-other.conf:1',
              sysctlSystem: { value: '1234', from: '/etc/sysctl.d/95-other.conf:1' },
              ctdoctor: '524288',
              inSync: false,
            },
          ],
          overridden: [
            {
              key: 'net.netfilter.nf_conntrack_max',
              loser: '/etc/sysctl.d/90-ctdoctor.conf:2',
              loserValue: '524288',
              winner: '/etc/sysctl.d/95-other.conf:1',
              winnerValue: '1234',
              appliers: ['systemd-sysctl', 'sysctl --system'],
            },
          ],
        },
      }),
    );
    assert.ok(findings.every((finding) => finding.severity === 'warn'));
    assert.ok(
      findings.some(
        (finding) =>
          finding.title.includes('/etc/sysctl.d/90-ctdoctor.conf:2') &&
          finding.title.includes('/etc/sysctl.d/95-other.conf:1'),
      ),
    );
  });

  it('a max far above the buckets, NUMA, unused helper modules and no root are reported', () => {
    const ids = buildDoctorFindings(
      input({
        namespaces: [],
        max: 8 * 65536,
        buckets: 65536,
        numaNodes: 2,
        root: false,
        helpers: [{ name: 'ftp', presence: 'module-loaded', inUse: false }],
      }),
    ).map((finding) => `${finding.severity}:${finding.id}`);
    assert.deepEqual(
      ids.sort(),
      ['info:helper-unused:ftp', 'info:not-root', 'info:numa', 'warn:buckets-few'].sort(),
    );
  });

  it('a helper whose users could not be read (not root) is not reported unused', () => {
    const ids = buildDoctorFindings(
      input({
        namespaces: [],
        max: 65536,
        buckets: 65536,
        helpers: [{ name: 'ftp', presence: 'module-loaded', inUse: false, usageUnknown: 'needs root' }],
      }),
    ).map((finding) => finding.id);
    assert.ok(!ids.includes('helper-unused:ftp'), ids.join(', '));
  });

  it('a healthy host has no findings', () => {
    const healthy = evaluateStatus(
      { takenAtMs: 0, count: 10, max: 262144, buckets: 262144, stats: full },
      { takenAtMs: 1000, count: 10, max: 262144, buckets: 262144, stats: full },
      facts,
    );
    const ns = { ...input().namespaces[0]!, status: healthy, tableFull: null };
    assert.deepEqual(buildDoctorFindings(input({ max: 262144, namespaces: [ns] })), []);
  });
});

describe('renderers', () => {
  it('status text leads with the verdict and shows the loss rates', () => {
    const text = renderStatusText(fullStatus);
    assert.match(text.split('\n')[0]!, /^CRITICAL {2}conntrack table in trouble/);
    assert.match(text, /drop +500\/s/);
  });

  it('check line stays within the plugin grammar', () => {
    const line = renderCheckLine(checkOutcome(fullStatus, { warnUsage: 0.8, critUsage: 0.95 }));
    // label=value[UOM];[warn];[crit];[min];[max], trailing fields optional (plugin guidelines)
    assert.match(line, /^CONNTRACK CRITICAL - [^|]+ \| ([a-z_]+=[\d.]+%?(;[\d.]*){0,4} ?)+$/);
  });
});

describe('initial namespace without a reference process', () => {
  it('recognises the fixed init inode range and nothing dynamic', async () => {
    const { hasFixedInitialInode } = await import('../../src/host/initialNetns.js');
    assert.equal(hasFixedInitialInode(4026531833), true); // init_net on 6.18 (0xEFFFFFF9)
    assert.equal(hasFixedInitialInode(4026532177), false); // a namespace made by `ip netns add`
    assert.equal(hasFixedInitialInode(0), false);
  });
});
