import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Journal } from '../../../src/actions/journal.js';
import { rollbackChanges } from '../../../src/actions/rollback.js';
import { undoContextOf } from '../../../src/actions/changeUndo.js';
import { CtdoctorError } from '../../../src/core/errors.js';
import { parseKernelRelease } from '../../../src/core/kernelInfo.js';
import { MAX_KEY } from '../../../src/core/plan/mitigationPlan.js';
import { RELIEF_COMMAND } from '../../../src/core/plan/reliefDecision.js';
import { AutoRelief, type ReliefHost } from '../../../src/daemon/autoRelief.js';
import { addReliefMetrics } from '../../../src/daemon/reliefMetrics.js';
import type { ServeSample } from '../../../src/daemon/serveSample.js';
import { MemoryHost } from '../../support/memoryHost.js';

const STATE = '/var/lib/ctdoctor';
const BUCKETS_KEY = 'net.netfilter.nf_conntrack_buckets';
const GIB = 1024 ** 3;

/** The host namespace at `atSeconds`, full at max 400, with `drop` packets dropped so far. */
function sample(atSeconds: number, drop: number, entries = 400): ServeSample {
  return {
    takenAtMs: atSeconds * 1000,
    durationSeconds: 0.01,
    entrySize: { bytes: 256, source: 'slabinfo' },
    namespaces: [
      {
        inode: 4026531840,
        initial: true,
        name: undefined,
        workload: undefined,
        entries,
        max: 400,
        buckets: 65536,
        counters: { drop, early_drop: 0, insert_failed: 0 },
        tableFullMessages: 0,
      },
    ],
    collectors: [],
    drift: [],
  };
}

function setUp(access?: () => Promise<never>) {
  const host = new MemoryHost();
  host.sysctls.set(MAX_KEY, '400');
  host.sysctls.set(BUCKETS_KEY, '65536');
  const journal = new Journal(STATE, host);
  const reliefHost: ReliefHost = {
    journal,
    access: access ?? (async () => host.sysctlAccess()),
    bounds: async () => ({ kernel: parseKernelRelease('6.18.0'), memTotalBytes: 8 * GIB, entryBytes: 256 }),
  };
  const lines: string[] = [];
  const relief = new AutoRelief({
    host: reliefHost,
    cooldownSeconds: 600,
    memoryBudgetBytes: 0.8 * GIB,
    undoCommand: 'ctdoctor rollback',
    log: (line) => lines.push(line),
  });
  return { host, journal, relief, lines };
}

describe('serve --auto-relief (in-memory host)', () => {
  it('raises the limit one step as mitigate does, journaled for rollback, logged as one line', async () => {
    const { host, journal, relief, lines } = setUp();
    const event = await relief.afterSample(sample(0, 10), sample(1, 130));
    assert.equal(host.sysctls.get(MAX_KEY), '1024');
    assert.equal(event?.result, 'applied');
    assert.deepEqual(event?.changes, [{ key: MAX_KEY, from: 400, to: 1024 }]);
    const { entries } = await journal.active();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.id, event?.journalId);
    assert.equal(entries[0]!.command, RELIEF_COMMAND);
    assert.deepEqual(
      entries[0]!.changes.map(
        (change) => change.kind === 'sysctl' && [change.key, change.before, change.after],
      ),
      [[MAX_KEY, '400', '1024']],
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^auto-relief applied: namespace 4026531840 lost 120 packets in 1\.0 s at a full table \(400 of 400 entries\): nf_conntrack_max 400 → 1024, journal \S+; undo: ctdoctor rollback$/,
    );
    assert.deepEqual(relief.tally, { applied: 1, refused: 0, skipped: 0, lastAppliedAtMs: 1000 });

    await rollbackChanges(journal, { ...undoContextOf(host.sysctlAccess()), force: false });
    assert.equal(host.sysctls.get(MAX_KEY), '400', 'rollback restores the value before the relief');
  });

  it('does nothing for a table that is not dropping, or dropping while far from full', async () => {
    const { host, relief } = setUp();
    assert.equal(await relief.afterSample(sample(0, 10), sample(1, 10)), undefined);
    assert.equal(await relief.afterSample(sample(1, 10, 100), sample(2, 500, 100)), undefined);
    assert.equal(host.sysctls.get(MAX_KEY), '400');
    assert.deepEqual(relief.tally, { applied: 0, refused: 0, skipped: 0, lastAppliedAtMs: undefined });
  });

  it('within the cool-down it skips, counted each sample but logged once', async () => {
    const { host, relief, lines } = setUp();
    await relief.afterSample(sample(0, 10), sample(1, 130));
    host.sysctls.set(MAX_KEY, '400'); // as if the table filled again at the old size
    const first = await relief.afterSample(sample(1, 130), sample(2, 250));
    const second = await relief.afterSample(sample(2, 250), sample(3, 370));
    assert.equal(first?.result, 'skipped');
    assert.equal(second, undefined, 'the same reason is told once');
    assert.equal(host.sysctls.get(MAX_KEY), '400');
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^auto-relief skipped: .*within the cool-down of the last relief: the next is possible in 599 s$/,
    );
    assert.deepEqual(relief.tally, { applied: 1, refused: 0, skipped: 2, lastAppliedAtMs: 1000 });
  });

  it('refuses while another ctdoctor holds the change lock: nothing changed or journaled, logged once', async () => {
    const { host, journal, relief, lines } = setUp();
    host.fileBytes.set(`${STATE}/lock`, Buffer.from('4321'));
    host.livePids.add(4321);
    const first = await relief.afterSample(sample(0, 10), sample(1, 130));
    const second = await relief.afterSample(sample(1, 130), sample(2, 250));
    assert.equal(first?.result, 'refused');
    assert.deepEqual(first?.changes, [{ key: MAX_KEY, from: 400, to: 1024 }], 'what it wanted to change');
    assert.equal(second, undefined);
    assert.match(lines[0]!, /auto-relief refused: .*another ctdoctor \(pid 4321\) is changing the system/);
    assert.equal(lines.length, 1);
    assert.equal(host.sysctls.get(MAX_KEY), '400');
    assert.deepEqual((await journal.all()).entries, []);
    assert.deepEqual(relief.tally, { applied: 0, refused: 2, skipped: 0, lastAppliedAtMs: undefined });
  });

  it('never lowers a limit something else raised after the sample was taken', async () => {
    const { host, journal, relief, lines } = setUp();
    host.sysctls.set(MAX_KEY, '4096');
    const event = await relief.afterSample(sample(0, 10), sample(1, 130));
    assert.equal(event?.result, 'refused');
    assert.equal(host.sysctls.get(MAX_KEY), '4096');
    assert.match(lines[0]!, /nf_conntrack_max is 4096, not the 400 this plan was made for/);
    assert.deepEqual((await journal.all()).entries, []);
  });

  it('without root it says so once at start, and then refuses silently', async () => {
    const { relief, lines } = setUp(async () => {
      throw new CtdoctorError('permission', 'changing nf_conntrack_max needs root: run with sudo');
    });
    await relief.checkAccess();
    assert.deepEqual(lines, [
      'auto-relief will be refused: changing nf_conntrack_max needs root: run with sudo',
    ]);
    assert.equal(await relief.afterSample(sample(0, 10), sample(1, 130)), undefined);
    assert.equal(lines.length, 1);
    assert.equal(relief.tally.refused, 1);
  });

  it('/metrics counts each result, 0 before any, and the time of the last relief', async () => {
    const registry = new Registry();
    let tally = { applied: 0, refused: 0, skipped: 0, lastAppliedAtMs: undefined as number | undefined };
    addReliefMetrics(registry, () => tally);
    assert.match(await registry.metrics(), /^ctdoctor_auto_relief_total\{result="refused"\} 0$/m);
    assert.match(await registry.metrics(), /^ctdoctor_auto_relief_last_timestamp_seconds 0$/m);
    tally = { applied: 2, refused: 1, skipped: 5, lastAppliedAtMs: 1_700_000_000_000 };
    const text = await registry.metrics();
    assert.match(text, /^ctdoctor_auto_relief_total\{result="applied"\} 2$/m);
    assert.match(text, /^ctdoctor_auto_relief_total\{result="skipped"\} 5$/m);
    assert.match(text, /^ctdoctor_auto_relief_last_timestamp_seconds 1700000000$/m);
  });
});
