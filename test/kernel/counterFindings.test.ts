import type { DoctorReport } from '../../src/core/reports/doctorReport.js';
import type { StatusReport } from '../../src/core/status.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { assertMatchesSchema } from '../support/schemas.js';

const hostSysctl = (key: string) => readFileSync(`/proc/sys/net/netfilter/${key}`, 'utf8').trim();

/**
 * Bare ACKs to a closed loopback port, with loose pickup off (per netns): conntrack cannot place a
 * mid-stream packet it never saw open, so each ACK and the RST it draws count `invalid` (hping3,
 * which scripts/test.sh installs). 1000 packets/s for as long as the test needs it.
 */
async function sendInvalid(lab: LabNamespace): Promise<() => void> {
  await lab.setSysctl('nf_conntrack_tcp_loose', 0);
  const child = spawn(
    'ip',
    ['netns', 'exec', lab.name, 'hping3', '-q', '-A', '-p', '9', '-i', 'u1000', '127.0.0.1'],
    { stdio: 'ignore' },
  );
  return () => child.kill('SIGKILL');
}

const invalidHeavy = <F extends { id: string }>(findings: F[]): F[] =>
  findings.filter((f) => f.id.startsWith('invalid-heavy:'));

describe('counter findings on the real kernel', () => {
  before(requireKernelLab);

  it('status and doctor report invalid-heavy for the namespace that makes invalid packets, not for a quiet one', async () => {
    await withLabNamespace(async (quiet) => {
      await withLabNamespace(async (noisy) => {
        const stop = await sendInvalid(noisy);
        try {
          const status = await runCliJson<StatusReport>(['status', '--netns', noisy.name, '--interval', '1']);
          assert.equal(status.result.code, 0, status.result.stderr);
          const [finding] = invalidHeavy(status.json.findings);
          assert.equal(finding?.id, `invalid-heavy:${noisy.inode}`, JSON.stringify(status.json.rates));
          assert.ok(Number(finding!.evidence.invalidPerSecond) >= 100, JSON.stringify(finding!.evidence));
          assert.equal(status.json.verdict, 'ok'); // invalid packets are counted, not dropped, here
          assertMatchesSchema(status.json, 'ctdoctor.status/v1');

          const calm = await runCliJson<StatusReport>(['status', '--netns', quiet.name, '--interval', '1']);
          assert.deepEqual(invalidHeavy(calm.json.findings), []);

          const doctor = await runCliJson<DoctorReport>(['doctor', '--fast', '--interval', '1']);
          const found = invalidHeavy(doctor.json.findings);
          const ids = found.map((f) => f.id);
          // doctor reads the settings of the namespaces it reports, for the restore command.
          const mine = found.find((f) => f.id === `invalid-heavy:${noisy.inode}`);
          assert.equal(
            mine?.evidence.logInvalidNow,
            Number(await noisy.readSysctl('nf_conntrack_log_invalid')),
          );
          assert.ok(ids.includes(`invalid-heavy:${noisy.inode}`), ids.join(', '));
          assert.ok(!ids.includes(`invalid-heavy:${quiet.inode}`), ids.join(', '));
          assertMatchesSchema(doctor.json, 'ctdoctor.doctor/v1');
        } finally {
          stop();
        }
      });
    });
  });

  it("invalid-heavy's logging commands change the namespace's log_invalid, not the host's, and restore it", async () => {
    await withLabNamespace(async (noisy) => {
      // Not the kernel's default (0), so a restore to the default would not pass for a restore of the value read.
      await noisy.setSysctl('nf_conntrack_log_invalid', 1);
      const stop = await sendInvalid(noisy);
      const hostBefore = hostSysctl('nf_conntrack_log_invalid');
      const allNetnsBefore = hostSysctl('nf_log_all_netns');
      try {
        const { json } = await runCliJson<StatusReport>(['status', '--netns', noisy.name, '--interval', '1']);
        const [finding] = invalidHeavy(json.findings);
        assert.equal(finding!.evidence.logInvalidNow, 1);
        const commands = finding!.fix.commands;
        const enable = commands.find((c) => c.includes('nf_conntrack_log_invalid=6'))!;
        const restore = commands.find((c) =>
          c.includes(`nf_conntrack_log_invalid=${finding!.evidence.logInvalidNow}`),
        )!;
        // As an operator runs them: from the host, where a command not aimed at the lab would change the host.
        const onHost = (command: string) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn('sh', ['-c', command], { stdio: 'ignore' });
            child.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}`)),
            );
          });
        await onHost(enable);
        assert.equal(await noisy.readSysctl('nf_conntrack_log_invalid'), '6');
        assert.equal(
          hostSysctl('nf_conntrack_log_invalid'),
          hostBefore,
          'the host namespace must not change',
        );
        await onHost(restore);
        assert.equal(
          await noisy.readSysctl('nf_conntrack_log_invalid'),
          String(finding!.evidence.logInvalidNow),
        );
        assert.equal(hostSysctl('nf_log_all_netns'), allNetnsBefore);
      } finally {
        stop();
      }
    });
  });
});
