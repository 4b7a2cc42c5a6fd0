import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { LossWindow } from '../../../src/core/lossWindow.js';
import { planMitigation } from '../../../src/core/plan/mitigationPlan.js';
import type {
  MitigateReport,
  MitigationResult,
  TableBefore,
} from '../../../src/core/plan/mitigationResult.js';
import { readHostFacts } from '../../../src/host/hostFacts.js';
import { mitigateJson, renderMitigation } from '../../../src/render/mitigateText.js';
import { capturedNetlinkTotal, fixture } from '../../support/paths.js';

const TREE = 'proc-6.18-full';
const UNDO = 'ctdoctor rollback';
const sysctl = (name: string) => Number(readFileSync(fixture(TREE, 'sys', 'net', 'netfilter', name), 'utf8'));

/** The captured full table (count = max), before and planned as mitigate plans it. */
async function capturedReport(options: { requestedMax?: number; budgetBytes?: number } = {}) {
  const facts = await readHostFacts({ procRoot: fixture(TREE), sysRoot: fixture(TREE, 'sys') });
  const before: TableBefore = {
    count: sysctl('nf_conntrack_count'),
    max: sysctl('nf_conntrack_max'),
    buckets: sysctl('nf_conntrack_buckets'),
    lossPerSecond: 0,
    netns: { inode: 0, initial: true },
  };
  const memTotalBytes = facts.memTotalBytes!;
  const plan = planMitigation({
    ...before,
    kernel: facts.kernelVersion,
    memTotalBytes,
    entryBytes: facts.entrySize.bytes,
    requestedMax: options.requestedMax,
    headroom: 2,
    memoryBudgetBytes: options.budgetBytes ?? memTotalBytes * 0.1,
    force: false,
  });
  return { before, plan };
}

/** What applying did, with the loss seen over the verification window after it. */
function applied(after: LossWindow, relieved: boolean): MitigationResult {
  return { applied: true, journalId: '20261201T222413Z-6b52', after, relieved };
}

describe('mitigate text and JSON', () => {
  it('a full table: now, the change to make, the memory it commits, the raw sysctl and persist lines', async () => {
    const report: MitigateReport = { ...(await capturedReport()), result: null };
    const lines = renderMitigation(report, UNDO).split('\n');
    assert.equal(
      lines[0],
      'now: 200 / 200 entries, 262,144 buckets, 0/s lost (drop + early_drop + insert_failed)',
    );
    assert.equal(lines[1], 'plan (nothing changed; add --apply to do it):');
    assert.ok(lines.includes('  net.netfilter.nf_conntrack_max       200 → 512'), lines.join('\n'));
    assert.ok(
      lines.some((line) => /^ {2}memory at max: .* \(256 B × 512 \+ 8 B × 262,144\), budget /.test(line)),
    );
    assert.ok(lines.includes('raw equivalent:'));
    assert.ok(lines.includes('  sysctl -w net.netfilter.nf_conntrack_max=512'));
    assert.equal(lines.at(-1), '  ctdoctor persist --max 512 --buckets 262144 --apply   # survive reboots');
    const json = mitigateJson(report);
    assert.deepEqual(Object.keys(json), ['schema', 'before', 'plan', 'applied']);
    assert.equal(json.applied, false);
  });

  it('a plan over the memory budget is REFUSED and offers no command to run', async () => {
    const { before, plan } = await capturedReport({ requestedMax: 67_108_864, budgetBytes: 1024 ** 3 });
    const text = renderMitigation({ before, plan, result: null }, UNDO);
    assert.match(
      text,
      /\nREFUSED: a full table at max 67108864 would use 16896 MiB, above the memory budget 1024 MiB/,
    );
    assert.doesNotMatch(text, /sysctl -w|ctdoctor persist/);
  });

  it('applied: relief verified, or the loss still seen, each with the journal to undo it', async () => {
    const { before, plan } = await capturedReport();
    const seconds = 5.012;
    const quiet = { seconds, deltas: { drop: 0, early_drop: 0, insert_failed: 0 }, count: 300, max: 512 };
    const relieved = renderMitigation({ before, plan, result: applied(quiet, true) }, UNDO).split('\n');
    assert.equal(relieved[1], 'applied:');
    assert.ok(relieved.includes('relief verified: no packets lost in 5.0 s'));
    assert.ok(relieved.includes('  journal 20261201T222413Z-6b52: undo with  ctdoctor rollback'));
    assert.ok(relieved.includes('next:') && !relieved.some((line) => line.includes('sysctl -w')));
    const deltas = {
      drop: capturedNetlinkTotal(TREE, 'drop'),
      early_drop: capturedNetlinkTotal(TREE, 'early_drop'),
      insert_failed: capturedNetlinkTotal(TREE, 'insert_failed'),
    };
    const losing = applied({ ...quiet, deltas }, false);
    const text = renderMitigation({ before, plan, result: losing }, UNDO);
    assert.match(text, /\nstill losing packets: drop 349, early_drop 1, insert_failed 0 in 5\.0 s\n/);
    assert.deepEqual(mitigateJson({ before, plan, result: losing }), {
      schema: 'ctdoctor.mitigate/v1',
      before,
      plan,
      ...losing,
    });
  });
});
