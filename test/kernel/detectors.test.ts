import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AnalysisReport } from '../../src/core/reports/analysisReport.js';
import { scoreScenario, truthOf } from '../../src/lab/corpusAccuracy.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { NAT_SERVICE, scenario } from '../../src/lab/tableScenarios.js';
import { runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

/**
 * Each #13 detector on a table made by real traffic in a namespace, read live by the CLI: the
 * finding names exactly the scenario's subject (and accuses exactly its offenders), and a healthy
 * control namespace made in the same test stays quiet (nothing above info).
 */
async function analyzeLive(lab: LabNamespace): Promise<AnalysisReport> {
  const { result, json } = await runCliJson<AnalysisReport>(['analyze', '--netns', lab.name]);
  assert.equal(result.code, 0, result.stderr);
  return json;
}

const shown = (report: AnalysisReport) =>
  JSON.stringify(
    report.findings.map(({ kind, subject, severity, offenders }) => ({ kind, subject, severity, offenders })),
  );

/** Makes `name` in a fresh namespace; the live analysis must score exact against its truth. */
async function assertNamed(name: string, after?: (lab: LabNamespace) => Promise<void>): Promise<void> {
  const made = scenario(name);
  await withLabNamespace(async (lab) => {
    await made.make(lab);
    const report = await analyzeLive(lab);
    const score = scoreScenario(name, truthOf(made, report.entries), report.findings);
    assert.ok(score.exact, `${name}: ${shown(report)}`);
    await after?.(lab);
  });
}

/** The healthy control: nothing above info. */
async function assertQuiet(name: string): Promise<void> {
  const control = scenario(name);
  assert.deepEqual(control.expected, [], `${name} is no healthy scenario`);
  await withLabNamespace(async (lab) => {
    await control.make(lab);
    const report = await analyzeLive(lab);
    assert.deepEqual(
      report.findings.filter((finding) => finding.severity !== 'info'),
      [],
      `${name}: ${shown(report)}`,
    );
  });
}

describe('detectors on live tables, each beside a healthy control', () => {
  before(requireKernelLab);

  it('dead-upstream (UDP): clients retrying a resolver that drops, beside a live one; DNS all answered stays quiet', async () => {
    await assertNamed('dead-upstream-udp');
    await assertQuiet('healthy-dns');
  });

  it('dead-upstream (TCP): SYNs from 3 clients to one silent address:port is no scan; a busy web server stays quiet', async () => {
    await assertNamed('dead-upstream-tcp');
    await assertQuiet('healthy-web');
  });

  it('stale-nat: a real DNAT rule whose backend stopped answering; its conntrack -D frees the pinned clients; a NATed service with a live backend stays quiet', async () => {
    const { vip, port, dead, live } = NAT_SERVICE;
    await assertNamed('stale-nat', async (lab) => {
      const report = await analyzeLive(lab);
      const stale = report.findings.find((finding) => finding.kind === 'stale-nat')!;
      const flush = stale.commands.find((command) => command.startsWith('conntrack -D'));
      assert.equal(
        flush,
        `conntrack -D -p udp --orig-dst ${vip} --orig-port-dst ${port} --reply-src ${dead}`,
      );
      await lab.execChecked('conntrack', flush.split(' ').slice(1));
      // The pinned clients' next queries are NATed afresh, to the backend the rule names now.
      await lab.waitFor(
        async () => !(await lab.execChecked('conntrack', ['-L', '-p', 'udp', '--reply-src', dead])).trim(),
        10_000,
        `no entry left on the dead backend ${dead}`,
      );
      const after = await analyzeLive(lab);
      assert.equal(
        after.findings.some((finding) => finding.kind === 'stale-nat'),
        false,
        shown(after),
      );
      assert.ok(after.signals.natBackends.some((backend) => backend.backendAddress === live));
    });
    await assertQuiet('healthy-nat');
  });

  it('established-leak: a pool idle for hours; a busy client with fresh connections and idle pools spread over 60 clients stay quiet', async () => {
    await assertNamed('pool');
    await assertQuiet('busy-client-fresh');
    await assertQuiet('healthy-pools');
  });

  it('time-wait-pile names the service its closed connections belong to; a busy web server with some churn stays quiet', async () => {
    await assertNamed('time-wait');
    await assertQuiet('healthy-web');
  });

  it('udp-flood accuses only the source with a material share of its own; DNS all answered stays quiet', async () => {
    await assertNamed('udp-flood-offender');
    await assertQuiet('healthy-dns');
  });
});
