import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HostTable, globalMaxFloor, labSafety } from '../../../src/core/lab/labSafety.js';
import { parseTuning } from '../../../src/core/lab/labTuning.js';

const HOST: HostTable = { count: 0, max: 262144, buckets: 262144, initialNamespace: true, root: true };
const tunings = (...texts: string[]) => texts.map((text) => parseTuning(text, []));

describe('lab guards', () => {
  it('the max floor keeps the host its count plus a quarter, at least 1,024 entries', () => {
    assert.equal(globalMaxFloor(0), 1024);
    assert.equal(globalMaxFloor(4000), 5024);
    assert.equal(globalMaxFloor(10_000), 12_500);
  });

  it('not root: refused first, whatever the tunings', () => {
    for (const list of [tunings('as-is'), tunings('max=100')]) {
      const safety = labSafety(list, { ...HOST, root: false }, true);
      assert.match(safety.refusal ?? '', /run it as root \(sudo ctdoctor lab/);
    }
  });

  it('outside the initial namespace: globals refused, timeouts and NOTRACK allowed', () => {
    const host = { ...HOST, initialNamespace: false };
    assert.match(
      labSafety(tunings('max=4000'), host, true).refusal ?? '',
      /writable only from the initial network namespace: run the lab on the host, not in a container, or compare timeouts and NOTRACK only/,
    );
    assert.match(labSafety(tunings('buckets=8192'), host, true).refusal ?? '', /initial network namespace/);
    assert.equal(
      labSafety(tunings('tcp_timeout_time_wait=2', 'notrack=8080/tcp', 'as-is'), host, false).refusal,
      null,
    );
  });

  it('a max below the floor is refused, naming it and the room the host would have', () => {
    const host = { ...HOST, count: 4000 };
    const refused = labSafety(tunings('max=6000', 'max=5000'), host, true);
    assert.match(
      refused.refusal ?? '',
      /^--compare max=5000: a max of 5000 would leave this host's own table \(4000 entries\) less than 1024 entries/,
    );
    assert.equal(labSafety(tunings('max=5024'), host, true).refusal, null, 'the floor itself is allowed');
  });

  it('every global change is said before the run, old → new', () => {
    const { changes } = labSafety(tunings('max=4000,buckets=8192', 'udp_timeout=5'), HOST, false);
    assert.deepEqual(changes, [
      'for "max=4000,buckets=8192": nf_conntrack_max 262144 → 4000, buckets 262144 → 8192 (machine-wide, restored after the run)',
    ]);
  });

  it('--yes is needed only when the host tracks traffic and a global changes', () => {
    const busy = { ...HOST, count: 10 };
    assert.equal(labSafety(tunings('max=4000'), busy, false).needsConsent, true);
    assert.equal(labSafety(tunings('max=4000'), busy, true).needsConsent, false);
    assert.equal(labSafety(tunings('max=4000'), HOST, false).needsConsent, false, 'an idle host');
    assert.equal(labSafety(tunings('udp_timeout=5'), busy, false).needsConsent, false, 'no global');
    assert.equal(
      labSafety(tunings('max=4000'), { ...busy, root: false }, false).needsConsent,
      false,
      'refused anyway',
    );
  });
});
