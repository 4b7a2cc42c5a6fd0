import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidHeavyRule } from '../../../src/core/findings/doctor/counterRules.js';
import { INVALID_HEAVY_THRESHOLDS } from '../../../src/core/findings/doctor/invalidHeavy.js';
import {
  assertDocumentedDoctorFinding,
  doctorInput,
  namespaceReadings,
  statusOf,
} from '../../support/findings.js';

// Two samples of the captured 6.18 stat file, one second apart, the second's `invalid` raised.
const invalidAt = (perSecond: number) => statusOf(1000, 262144, { invalid: perSecond });
const floor = INVALID_HEAVY_THRESHOLDS.minInvalidPerSecond;

describe('invalid-heavy rule', () => {
  it(`reports ${floor} invalid packets/s with commands that run inside the namespace and restore what was read`, () => {
    const ns = namespaceReadings({
      status: invalidAt(floor),
      invalidLogging: { logInvalid: 1, tcpBeLiberal: 0 },
    });
    const [finding] = invalidHeavyRule.detect(ns, doctorInput());
    assert.equal(finding!.id, `invalid-heavy:${ns.inode}`);
    assert.equal(finding!.evidence.invalidPerSecond, floor);
    assert.equal(finding!.evidence.logInvalidNow, 1);
    assert.deepEqual(finding!.fix.commands, [
      "ip netns exec web nft list ruleset | grep -n 'ct state invalid'",
      'sysctl -w net.netfilter.nf_log_all_netns=1 && ip netns exec web sysctl -w net.netfilter.nf_conntrack_log_invalid=6',
      'sleep 60; dmesg | grep nf_ct_proto',
      'ip netns exec web sysctl -w net.netfilter.nf_conntrack_log_invalid=1 && sysctl -w net.netfilter.nf_log_all_netns=0',
      'ip netns exec web sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1',
      'ip netns exec web sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=0',
    ]);
    assert.match(finding!.explanation, /nf_conntrack_tcp_be_liberal=1.*weaker protection/);
    assertDocumentedDoctorFinding(invalidHeavyRule.kinds, finding!);
  });

  it('stays quiet just below the floor and on a namespace without counters', () => {
    assert.deepEqual(
      invalidHeavyRule.detect(namespaceReadings({ status: invalidAt(floor - 1) }), doctorInput()),
      [],
    );
    assert.deepEqual(invalidHeavyRule.detect(namespaceReadings({ status: null }), doctorInput()), []);
  });

  it('on the host: no namespace prefix, no nf_log_all_netns; already liberal: no be_liberal step', () => {
    const ns = namespaceReadings({
      initial: true,
      names: [],
      status: invalidAt(50),
      invalidLogging: { logInvalid: 0, tcpBeLiberal: 1 },
    });
    const [finding] = invalidHeavyRule.detect(ns, doctorInput());
    assert.deepEqual(finding!.fix.commands, [
      "nft list ruleset | grep -n 'ct state invalid'",
      'sysctl -w net.netfilter.nf_conntrack_log_invalid=6',
      'sleep 60; dmesg | grep nf_ct_proto',
      'sysctl -w net.netfilter.nf_conntrack_log_invalid=0',
    ]);
    assertDocumentedDoctorFinding(invalidHeavyRule.kinds, finding!);
  });

  it('reaches a namespace without an ip netns name through its file, settings unread', () => {
    const ns = namespaceReadings({ names: [], path: '/proc/4242/ns/net', status: invalidAt(floor) });
    const [finding] = invalidHeavyRule.detect(ns, doctorInput());
    assert.ok(
      finding!.fix.commands.every(
        (c) => c.startsWith('sleep') || c.includes('nsenter --net=/proc/4242/ns/net '),
      ),
    );
    assert.equal('logInvalidNow' in finding!.evidence, false);
    assertDocumentedDoctorFinding(invalidHeavyRule.kinds, finding!);
  });
});
