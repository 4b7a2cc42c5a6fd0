import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../../src/core/errors.js';
import { parseScenario } from '../../../src/core/lab/labScenarios.js';
import {
  AS_IS_LABEL,
  bareTuning,
  changesGlobals,
  parseTuning as parseTuningFor,
  tuningsOf as tuningsOfFor,
} from '../../../src/core/lab/labTuning.js';

const MIXED = parseScenario('mixed');
const parseTuning = (text: string) => parseTuningFor(text, MIXED);
const tuningsOf = (texts: string[]) => tuningsOfFor(texts, MIXED);

const usage = (fix: RegExp) => (error: unknown) =>
  error instanceof CtdoctorError && error.kind === 'usage' && fix.test(error.message);

describe('lab --compare', () => {
  it('max, buckets, a timeout and notrack in one tuning, labelled as written', () => {
    assert.deepEqual(parseTuning('max=4000,buckets=8192,tcp_timeout_time_wait=10,notrack=8080/tcp'), {
      label: 'max=4000,buckets=8192,tcp_timeout_time_wait=10,notrack=8080/tcp',
      max: 4000,
      buckets: 8192,
      timeouts: { tcp_timeout_time_wait: 10 },
      notrack: [{ port: 8080, protocol: 'tcp' }],
      helpers: [],
    });
  });

  it('as-is is the host as it is: nothing set, labelled "as is"', () => {
    const asIs = { label: AS_IS_LABEL, timeouts: {}, notrack: [], helpers: [] };
    assert.deepEqual(parseTuning('as-is'), asIs);
    assert.deepEqual(tuningsOf([]), [asIs]);
    assert.deepEqual(bareTuning(AS_IS_LABEL), asIs);
  });

  it('only max and buckets change machine-wide settings', () => {
    assert.equal(changesGlobals(parseTuning('max=4000')), true);
    assert.equal(changesGlobals(parseTuning('buckets=8192')), true);
    assert.equal(changesGlobals(parseTuning('udp_timeout=5,notrack=53/udp')), false);
    assert.equal(changesGlobals(parseTuning('as-is')), false);
  });

  it('a max or buckets that is not a whole number in bounds is refused', () => {
    for (const text of ['max=abc', 'max=0', 'max=1.5', 'max=', 'buckets=0', 'buckets=x'])
      assert.throws(() => parseTuning(text), usage(new RegExp(`^--compare ${text}: `)), text);
    assert.throws(() => parseTuning(`max=${2 ** 40}`), usage(/^--compare max=\d+: /));
  });

  it('an unknown key is refused, listing what a tuning may say', () => {
    assert.throws(
      () => parseTuning('foo=1'),
      usage(
        /"foo=1" is not max=N, buckets=N, a timeout \(tcp_timeout_time_wait=10\), notrack=PORT\/tcp\|udp, helper=NAME:PORT\/tcp\|udp, helpers=on\|off, or as-is alone/,
      ),
    );
  });

  it('a bad timeout or notrack is refused with an example', () => {
    assert.throws(
      () => parseTuning('tcp_timeout_time_wait=0'),
      usage(/^--compare tcp_timeout_time_wait=0: a timeout below 1 s/),
    );
    assert.throws(
      () => parseTuning('tcp_timeout_nonsense=10'),
      usage(/^tcp_timeout_nonsense is not a conntrack timeout: use one of tcp_timeout_established, /),
    );
    assert.throws(() => parseTuning('udp_timeout=-1'), usage(/--compare udp_timeout=-1/));
    for (const value of ['8080', '8080/sctp', '0/tcp', '70000/udp'])
      assert.throws(
        () => parseTuning(`notrack=${value}`),
        usage(/notrack takes PORT\/tcp or PORT\/udp \(e\.g\. notrack=8080\/tcp\)/),
        value,
      );
  });

  it('helper=NAME:PORT/PROTO assigns that kernel helper to the port', () => {
    assert.deepEqual(parseTuning('helper=ftp:8080/tcp,helper=sip:5060/udp').helpers, [
      { name: 'ftp', port: 8080, protocol: 'tcp' },
      { name: 'sip', port: 5060, protocol: 'udp' },
    ]);
    assert.equal(changesGlobals(parseTuning('helper=tftp:53/udp')), false);
  });

  it('helpers=on puts ftp on every TCP and tftp on every UDP service port of the workload; off puts none', () => {
    assert.deepEqual(parseTuning('helpers=on').helpers, [
      { name: 'ftp', port: 8080, protocol: 'tcp' },
      { name: 'ftp', port: 5432, protocol: 'tcp' },
    ]);
    const dnsAndNat = [
      ...parseScenario('udp-dns'),
      ...parseScenario('nat-service'),
      ...parseScenario('syn-scan'),
    ];
    assert.deepEqual(parseTuningFor('helpers=on', dnsAndNat).helpers, [
      { name: 'tftp', port: 53, protocol: 'udp' },
    ]);
    assert.deepEqual(parseTuning('helpers=off').helpers, []);
    assert.throws(
      () => parseTuningFor('helpers=on', parseScenario('udp-flood')),
      usage(/sends to no service port .*: name one with helper=NAME:PORT\/tcp\|udp/),
    );
  });

  it('an unknown helper, a helper on a protocol it does not track, or a bad spelling is refused', () => {
    assert.throws(
      () => parseTuning('helper=gopher:70/tcp'),
      usage(/"gopher" is not a conntrack helper \(one of ftp, /),
    );
    assert.throws(() => parseTuning('helper=ftp:21/udp'), usage(/the ftp helper tracks tcp, not udp/));
    assert.throws(() => parseTuning('helper=tftp:69/tcp'), usage(/the tftp helper tracks udp, not tcp/));
    for (const value of ['ftp', 'ftp:21', 'ftp:0/tcp', ':21/tcp'])
      assert.throws(() => parseTuning(`helper=${value}`), usage(/helper takes NAME:PORT\/tcp\|udp/), value);
    assert.throws(() => parseTuning('helpers=maybe'), usage(/helpers takes on or off/));
  });

  it('the same tuning given twice is refused', () => {
    assert.throws(() => tuningsOf(['max=4000', 'max=4000']), usage(/--compare max=4000 is given twice/));
    assert.throws(() => tuningsOf(['as-is', ' as-is']), usage(/--compare as is is given twice/));
    assert.equal(tuningsOf(['max=4000', 'as-is', 'max=8000']).length, 3);
  });
});
