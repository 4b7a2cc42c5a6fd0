import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { marked } from 'marked';
import { summarizeKernelLog } from '../../src/core/doctor/kernelLog.js';
import { readKernelLog } from '../../src/host/kernelLogSource.js';
import { DEFAULT_ROOTS } from '../../src/host/roots.js';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { scenario } from '../../src/lab/tableScenarios.js';
import type { DoctorReport } from '../../src/core/reports/doctorReport.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { assertMatchesSchema } from '../support/schemas.js';
import { K1, makeTree } from '../support/sysctlTrees.js';

async function waitForTableFullMessage(inode: number, sinceMs: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const log = await readKernelLog(DEFAULT_ROOTS);
    const summary = log ? summarizeKernelLog(log.records, log.source, sinceMs) : null;
    if (summary?.tableFull.some((entry) => entry.netnsInode === inode)) return;
    if (Date.now() > deadline) throw new Error(`no "table full in netns ${inode}" message within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function withNamespaces<T>(
  count: number,
  body: (labs: LabNamespace[]) => Promise<T>,
  labs: LabNamespace[] = [],
): Promise<T> {
  if (labs.length === count) return body(labs);
  return withLabNamespace((lab) => withNamespaces(count, body, [...labs, lab]));
}

describe('doctor on the real kernel', () => {
  before(requireKernelLab);

  it('names the full namespace, its process and its kernel-log messages, with a crit fix; healthy ones stay quiet', async () => {
    await withNamespaces(3, async ([full, busy, idle]) => {
      await full!.setSysctl('nf_conntrack_udp_timeout', 120);
      await full!.runWorkload('udp-spread', { count: 300, port: 9000 });
      await busy!.runWorkload('udp-answered', { count: 40 });
      await idle!.runWorkload('tcp-churn', { count: 5, port: 8080 });
      const started = Date.now();
      await withGlobalMax(400, async () => {
        const traffic = full!.startWorkload('udp-spread', {
          count: 100000,
          port: 9100,
          offset: 10000,
          rate: 1000,
          seconds: 40,
        });
        await full!.waitFor(async () => (await full!.count()) >= 400, 10_000, 'the table to fill');
        await waitForTableFullMessage(full!.inode, started);
        const { result, json } = await runCliJson<DoctorReport>(['doctor', '--since', '5']);
        assert.equal(result.code, 2, result.stderr);
        assertMatchesSchema(json, 'ctdoctor.doctor/v1');
        const ns = json.namespaces.find((n) => n.inode === full!.inode);
        assert.ok(ns, 'the full namespace is listed');
        assert.ok(
          ns.processes.some((p) => p.pid === traffic.child.pid || p.command === 'node'),
          JSON.stringify(ns.processes),
        );
        assert.ok(ns.kernelLogMessages >= 1);
        assert.ok(json.kernelLog?.tableFull.some((e) => e.netnsInode === full!.inode));
        const crit = json.findings.find((f) => f.severity === 'crit' && f.netns === full!.inode);
        assert.ok(crit, JSON.stringify(json.findings.map((f) => f.title)));
        assert.match(
          crit.title,
          new RegExp(`netns ${full!.inode} .*dropping \\d+ new connections/s — table full \\(\\d+/400\\)`),
        );
        assert.ok(crit.fix.commands.some((c) => /^sysctl -w net\.netfilter\.nf_conntrack_max=\d+$/.test(c)));
        assert.ok(crit.fix.commands.some((c) => c.startsWith('ctdoctor mitigate --apply --netns')));
        assert.match(json.summary.line, /^CRITICAL: netns \d+/);
        for (const healthy of [busy!, idle!]) {
          assert.ok(
            !json.findings.some((f) => f.severity === 'crit' && f.netns === healthy.inode),
            `nothing critical for ${healthy.name}`,
          );
        }
        traffic.child.kill();
      });
    });
  });

  it('names the scanner and the pool in one namespace', async () => {
    await withLabNamespace(async (lab) => {
      await scenario('scan').make(lab);
      await scenario('pool').make(lab);
      const { json } = await runCliJson<DoctorReport>(['doctor', '--netns', lab.name]);
      const titles = json.findings.map((f) => f.title);
      assert.ok(
        titles.some((t) => t.endsWith('port-scan 127.0.0.66')),
        titles.join('\n'),
      );
      assert.ok(
        titles.some((t) => t.endsWith('established-leak 127.0.0.50 -> 127.0.0.60:5432')),
        titles.join('\n'),
      );
      assert.ok(json.namespaces.every((n) => n.inode === lab.inode));
    });
  });

  it('names both files when another sysctl.d file overrides the persisted one', async () => {
    const tree = makeTree({
      '/etc/sysctl.d/90-ctdoctor.conf':
        '# Written by ctdoctor persist\nnet.netfilter.nf_conntrack_max = 524288\n',
      '/etc/sysctl.d/95-other.conf': `net.netfilter.nf_conntrack_max = 1234\n${K1} = 600\n`,
    });
    const { json } = await runCliJson<DoctorReport>([
      'doctor',
      '--root',
      tree,
      '--fast',
      '--interval',
      '0.2',
    ]);
    const finding = json.findings.find((f) => f.id.startsWith('overridden:net.netfilter.nf_conntrack_max'));
    assert.ok(finding, JSON.stringify(json.findings.map((f) => f.id)));
    assert.equal(
      finding.title,
      '/etc/sysctl.d/90-ctdoctor.conf:2 sets net.netfilter.nf_conntrack_max = 524288, but /etc/sysctl.d/95-other.conf:1 overrides it with 1234 at boot',
    );
  });

  it('--markdown is a Markdown document with the summary, findings and namespaces', async () => {
    await withLabNamespace(async (lab) => {
      await lab.runWorkload('tcp-churn', { count: 300, port: 8080 });
      const result = await runCli(['doctor', '--netns', lab.name, '--markdown']);
      const tokens = marked.lexer(result.stdout);
      const headings = tokens.filter((t) => t.type === 'heading').map((t) => (t as { text: string }).text);
      assert.equal(headings[0], 'ctdoctor report');
      assert.ok(
        headings.includes('Findings') && headings.includes('Network namespaces'),
        headings.join(' | '),
      );
      assert.ok(
        headings.some((h) => h.startsWith('WARNING: netns') && h.includes('time-wait-pile')),
        headings.join(' | '),
      );
      assert.ok(tokens.some((t) => t.type === 'table'));
      assert.ok(
        tokens.some((t) => t.type === 'code' && (t as { text: string }).text.includes('ctdoctor timeouts')),
      );
    });
  });
});
