import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import type { AnalysisReport } from '../../src/measure/analysisReport.js';
import { runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

interface Scenario {
  name: string;
  make: (lab: LabNamespace) => Promise<unknown>;
  expected: [string, string][];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a TCP port scan from one source',
    make: (lab) => lab.runWorkload('tcp-scan', { ports: '20000-20249', source: '127.0.0.66' }),
    expected: [['port-scan', '127.0.0.66']],
  },
  {
    name: 'a UDP flood from many 127.x sources to one port',
    make: (lab) => lab.runWorkload('udp-sources', { count: 400, offset: 500, target: '127.0.0.1', port: 53 }),
    expected: [['udp-flood', '127.0.0.1:53/udp']],
  },
  {
    name: 'a TIME_WAIT pile from short TCP connections',
    make: (lab) => lab.runWorkload('tcp-churn', { count: 300, port: 8080 }),
    expected: [['time-wait-pile', 'TIME_WAIT']],
  },
  {
    name: 'a held-open pool of ESTABLISHED connections',
    make: (lab) =>
      lab.startWorkload('tcp-hold', { count: 300, client: '127.0.0.50', server: '127.0.0.60', port: 5432 })
        .ready,
    expected: [['established-leak', '127.0.0.50 -> 127.0.0.60:5432']],
  },
  {
    name: 'a healthy mix',
    make: async (lab) => {
      await lab.startWorkload('tcp-hold', {
        count: 200,
        clients: 50,
        offset: 100,
        server: '127.0.0.60',
        port: 5432,
      }).ready;
      await lab.runWorkload('tcp-churn', { count: 60, port: 8080 });
      await lab.runWorkload('udp-answered', { count: 150 });
    },
    expected: [],
  },
];

describe('analyze on live tables', () => {
  before(requireKernelLab);

  for (const scenario of SCENARIOS) {
    it(`names ${scenario.name} (procfs and netlink agree)`, async () => {
      await withLabNamespace(async (lab) => {
        await scenario.make(lab);
        const count = await lab.count();
        for (const source of ['procfs', 'netlink']) {
          const { result, json } = await runCliJson<AnalysisReport>([
            'analyze',
            '--netns',
            lab.name,
            '--source',
            source,
          ]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(json.source.kind, source);
          assert.equal(json.malformed.count, 0);
          assert.ok(
            Math.abs(json.entries - count) <= 2,
            `${source}: ${json.entries} entries vs count ${count}`,
          );
          assert.equal(json.max, Number(await lab.readSysctl('nf_conntrack_max')));
          const findings = json.findings.filter((finding) => finding.kind !== 'unreplied-heavy');
          assert.deepEqual(
            findings.map((finding) => [finding.kind, finding.subject]),
            scenario.expected,
            `${source}: ${JSON.stringify(json.findings.map((f) => f.kind))}`,
          );
        }
      });
    });
  }

  it("uses the namespace's own timeouts in its advice", async () => {
    await withLabNamespace(async (lab) => {
      await lab.setSysctl('nf_conntrack_tcp_timeout_time_wait', 90);
      await lab.runWorkload('tcp-churn', { count: 200, port: 8080 });
      const { json } = await runCliJson<AnalysisReport>(['analyze', '--netns', lab.name]);
      assert.equal(json.findings[0]?.evidence.timeoutSeconds, 90);
    });
  });
});
