import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanTimeoutImpact } from '../../../src/analysisRuntime/timeoutImpactScan.js';
import { RECOMMENDATION_BASIS } from '../../../src/core/plan/recommendedTimeouts.js';
import { protectedFlowRefusal } from '../../../src/core/plan/timeoutImpact.js';
import {
  persistCommandFor,
  planTimeoutChanges,
  protectedPortsWith,
  timeoutRows,
} from '../../../src/core/plan/timeoutsPlan.js';
import type { TimeoutsApplied, TimeoutsResult } from '../../../src/core/plan/timeoutsResult.js';
import { readConntrackSettings } from '../../../src/host/conntrackSettings.js';
import { resolveNetns } from '../../../src/host/netns.js';
import { netnsFiles } from '../../../src/host/netnsFiles.js';
import { openTableFile } from '../../../src/host/tableSource.js';
import { renderTimeoutsText, timeoutsJson } from '../../../src/render/timeoutsText.js';
import { fixture } from '../../support/paths.js';

const UNDO = 'ctdoctor rollback --root /srv/image';

/** The timeouts of the captured 6.18 tree, `overrides` as if an operator had changed some. */
async function capturedTimeouts(overrides: Record<string, number> = {}): Promise<Record<string, number>> {
  const roots = { procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') };
  const settings = await readConntrackSettings(netnsFiles(await resolveNetns(undefined, roots), roots));
  return { ...settings.timeouts, ...overrides };
}

/**
 * What `ctdoctor timeouts --set …` finds on the captured pool table (300 PostgreSQL
 * connections), built the way the command builds it.
 */
async function timeoutsResult(
  specs: string[],
  how: {
    force?: boolean;
    applied?: TimeoutsApplied;
    persisting?: boolean;
    overrides?: Record<string, number>;
  } = {},
): Promise<TimeoutsResult> {
  const current = await capturedTimeouts(how.overrides);
  const changes = planTimeoutChanges(specs, current);
  const scan =
    changes.length > 0
      ? await scanTimeoutImpact(
          await openTableFile(fixture('tables', 'pool.procfs.txt')),
          changes,
          protectedPortsWith([]),
        )
      : null;
  const risk = protectedFlowRefusal(scan?.impacts ?? []);
  return {
    basis: RECOMMENDATION_BASIS,
    timeouts: timeoutRows(current),
    changes,
    scan: scan ? { entries: scan.entries, impacts: scan.impacts } : null,
    refusal: risk && !how.force ? risk : null,
    applied: how.applied ?? null,
    persistCommand: persistCommandFor(changes, Boolean(how.persisting)),
  };
}

const lineOf = (text: string, name: string) => text.split('\n').find((line) => line.startsWith(`${name} `));

describe('timeouts text', () => {
  it('lists every entry timeout with its default and the recommended value, arrows where they differ', async () => {
    const text = renderTimeoutsText(await timeoutsResult([], { overrides: { udp_timeout: 24 } }), UNDO);
    assert.match(text, /^timeout +current +default +recommended$/m);
    assert.equal(lineOf(text, 'frag6_timeout'), undefined, 'reassembly is no table timeout');
    assert.match(lineOf(text, 'tcp_timeout_established')!, /432000 +432000 +86400 {2}←$/);
    assert.match(lineOf(text, 'udp_timeout')!, /24 +30 +30 {2}\(changed\) {2}←$/);
    assert.match(lineOf(text, 'sctp_timeout_closed')!, /10 +- +-$/, 'no documented default: a dash');
    assert.match(
      text,
      /\nrecommended: kube-proxy default for established \(24 h\); kernel defaults elsewhere$/,
    );
    assert.doesNotMatch(text, /plan only|to make it stick/, 'nothing was proposed');
  });

  it('shows a proposed value governing long-lived flows as refused, with the persist command, and no "plan only"', async () => {
    const text = renderTimeoutsText(await timeoutsResult(['tcp_timeout_established=3600']), UNDO);
    assert.match(text, /\ntcp_timeout_established: 432000 → 3600 s\n/);
    assert.match(text, /\n {2}governs 300 of 300 entries; 300 are already idle longer than 3600 s\n/); // the captured pool was aged ~3 h idle
    assert.match(text, /\n {2}300 PostgreSQL flows are governed by it\n/);
    assert.match(
      text,
      /\nREFUSED: shorter tcp_timeout_established would cut idle long-lived flows: 300 PostgreSQL \(--force to apply anyway\)\n/,
    );
    assert.doesNotMatch(text, /plan only/);
    assert.match(
      text,
      /\nto make it stick: ctdoctor persist --timeout tcp_timeout_established=3600 --apply$/,
    );
  });

  it('a plan nothing stops says how to apply it', async () => {
    const text = renderTimeoutsText(await timeoutsResult(['udp_timeout=5'], { force: true }), UNDO);
    assert.doesNotMatch(text, /REFUSED/);
    assert.match(
      text,
      /\nplan only: add --apply\nto make it stick: ctdoctor persist --timeout udp_timeout=5 --apply$/,
    );
  });

  it('after --apply --flush-idle --persist: what was flushed, the journal with its undo command, the drop-in', async () => {
    const applied = {
      journalId: '20261201T214715Z-1a2b',
      flushed: 200,
      persisted: ['/etc/sysctl.d/90-ctdoctor.conf'],
    };
    const text = renderTimeoutsText(
      await timeoutsResult(['udp_timeout=5'], { applied, persisting: true }),
      UNDO,
    );
    assert.match(
      text,
      /\napplied, 200 idle entries flushed; journal 20261201T214715Z-1a2b: undo with ctdoctor rollback --root \/srv\/image\npersisted in \/etc\/sysctl.d\/90-ctdoctor.conf$/,
    );
    assert.doesNotMatch(text, /plan only|to make it stick/);
  });

  it('an apply that flushed nothing does not mention flushing', async () => {
    const applied = { journalId: '20261201T214715Z-1a2b', flushed: 0, persisted: [] };
    const text = renderTimeoutsText(await timeoutsResult(['udp_timeout=5'], { applied }), UNDO);
    assert.match(text, /\napplied; journal 20261201T214715Z-1a2b: undo with /);
    assert.doesNotMatch(text, /persisted in/);
  });
});

describe('timeouts --json', () => {
  it('without --set: no impacts, entries null, not applied, no apply fields', async () => {
    const json = timeoutsJson(await timeoutsResult([]));
    assert.deepEqual(Object.keys(json), [
      'schema',
      'basis',
      'timeouts',
      'impacts',
      'entries',
      'refusal',
      'applied',
      'persistCommand',
    ]);
    assert.equal(json.schema, 'ctdoctor.timeouts/v1');
    assert.deepEqual(
      [json.impacts, json.entries, json.applied, json.persistCommand],
      [[], null, false, null],
    );
    assert.deepEqual(
      json.timeouts.find((row) => row.name === 'tcp_timeout_established'),
      { name: 'tcp_timeout_established', current: 432000, default: 432000, recommended: 86400 },
    );
  });

  it('after --apply: applied is a flag, the journal id, flushed count and persisted files its siblings', async () => {
    const applied = { journalId: '20261201T214715Z-1a2b', flushed: 3, persisted: [] };
    const json = timeoutsJson(await timeoutsResult(['udp_timeout=5'], { applied }));
    assert.deepEqual(Object.keys(json).slice(-5), [
      'applied',
      'journalId',
      'flushed',
      'persisted',
      'persistCommand',
    ]);
    assert.equal(json.applied, true);
    assert.equal((json as { flushed?: number }).flushed, 3);
    assert.equal(json.impacts[0]!.name, 'udp_timeout');
    assert.equal(typeof json.entries, 'number');
  });
});
