import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startServe } from '../support/serve.js';

const SYSCTL_DIR = '/proc/sys/net/netfilter';
const hostSetting = (name: string) => Number(readFileSync(join(SYSCTL_DIR, name), 'utf8'));
const LOWERED_MAX = 400;
/** Flows the workload cycles through each second: more than the lowered limit, fewer than one step up. */
const FLOWS = 600;

/** The lab namespace's drop + early_drop and the sample they are from, as serve's /metrics shows them. */
async function tableFullLoss(url: string, lab: LabNamespace): Promise<{ lost: number; sampledAt: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (metric: string) => {
    const series = `${metric}{netns="${lab.inode}",netns_name="${lab.name}"}`;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
  };
  const sampledAt = Number(/^ctdoctor_sample_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
  return {
    lost: value('ctdoctor_conntrack_stat_drop_total') + value('ctdoctor_conntrack_stat_early_drop_total'),
    sampledAt,
  };
}

/** Polls serve's /metrics until `samples` more samples were taken than at `after`. */
async function samplesLater(url: string, lab: LabNamespace, after: number, samples: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const loss = await tableFullLoss(url, lab);
    if (loss.sampledAt >= after + samples * 0.99) return loss;
    if (Date.now() > deadline) throw new Error(`serve took no ${samples} samples after ${after}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface JournalListJson {
  entries: {
    id: string;
    command: string;
    state: string;
    changes: { key: string; before: string; after: string }[];
  }[];
}

describe('serve --auto-relief on the real kernel', () => {
  before(requireKernelLab);

  it('raises a lowered limit a namespace drops at, the drops stop, the journal has it, rollback restores it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ctdoctor-relief-state-'));
    const bucketsBefore = hostSetting('nf_conntrack_buckets');
    try {
      await withLabNamespace(async (lab) => {
        // Unanswered UDP entries outlive the test: the table stays full at the lowered limit.
        await lab.setSysctl('nf_conntrack_udp_timeout', 120);
        // withGlobalMax restores the original limit in finally, whatever the relief or rollback left.
        await withGlobalMax(LOWERED_MAX, async () => {
          const traffic = lab.startWorkload('udp-spread', {
            count: FLOWS,
            port: 9100,
            rate: FLOWS,
            seconds: 60,
          });
          await lab.waitFor(async () => (await lab.count()) >= LOWERED_MAX, 10_000, 'the table to fill');
          const serve = await startServe([
            '--listen',
            '127.0.0.1:0',
            '--interval',
            '1',
            '--auto-relief',
            '--state-dir',
            stateDir,
          ]);
          let journalId: string;
          try {
            const deadline = Date.now() + 20_000;
            while (!/auto-relief applied/.test(serve.stderr())) {
              if (Date.now() > deadline) throw new Error(`no relief: ${serve.stderr()}`);
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            const line = serve
              .stderr()
              .split('\n')
              .find((l) => l.includes('auto-relief applied'))!;
            assert.match(
              line,
              new RegExp(
                `^ctdoctor serve: auto-relief applied: namespace \\d+ lost \\d+ packets in [\\d.]+ s at a full table \\(\\d+ of ${LOWERED_MAX} entries\\): nf_conntrack_max ${LOWERED_MAX} → 1024, journal (\\S+); undo: ctdoctor rollback --state-dir \\S+$`,
              ),
            );
            journalId = /journal (\S+);/.exec(line)![1]!;
            assert.equal(hostSetting('nf_conntrack_max'), 1024);
            assert.equal(hostSetting('nf_conntrack_buckets'), bucketsBefore, 'the hash already covers 1:1');
            // From the sample after the relief's, the lab's drop and early_drop stay flat over 4 samples.
            const { sampledAt } = await tableFullLoss(serve.url, lab);
            const settled = await samplesLater(serve.url, lab, sampledAt, 1);
            const later = await samplesLater(serve.url, lab, settled.sampledAt, 4);
            assert.ok(Number.isFinite(settled.lost));
            assert.equal(later.lost, settled.lost, 'no packet lost to a full table after the relief');
            assert.equal(await lab.count(), FLOWS, 'every flow has its entry now');
            const metrics = await (await fetch(`${serve.url}/metrics`)).text();
            assert.match(metrics, /^ctdoctor_auto_relief_total\{result="applied"\} 1$/m);
          } finally {
            traffic.child.kill();
            assert.equal(await serve.stop(), 0);
          }

          const listed = await runCliJson<JournalListJson>([
            'rollback',
            '--list',
            '--state-dir',
            stateDir,
            '--json',
          ]);
          assert.deepEqual(
            listed.json.entries.map(({ id, command, state, changes }) => ({
              id,
              command,
              state,
              changes: changes.map(({ key, before, after }) => ({ key, before, after })),
            })),
            [
              {
                id: journalId,
                command: 'serve --auto-relief',
                state: 'applied',
                changes: [
                  { key: 'net.netfilter.nf_conntrack_max', before: String(LOWERED_MAX), after: '1024' },
                ],
              },
            ],
          );
          const rollback = await runCli(['rollback', '--state-dir', stateDir, '--json']);
          assert.equal(rollback.code, 0, rollback.stderr);
          assert.equal(JSON.parse(rollback.stdout).undone[0].id, journalId);
          assert.equal(
            hostSetting('nf_conntrack_max'),
            LOWERED_MAX,
            'rollback restores the lowered limit exactly',
          );
        });
      });
    } finally {
      if (hostSetting('nf_conntrack_buckets') !== bucketsBefore)
        writeFileSync(join(SYSCTL_DIR, 'nf_conntrack_buckets'), String(bucketsBefore));
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
