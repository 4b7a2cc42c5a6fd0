import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockConflicts, LOOPBACK, parseNetwork } from '../../src/core/firewall/blockGuards.js';
import { CtdoctorError } from '../../src/core/errors.js';

const usage = (pattern: RegExp) => (error: unknown) =>
  error instanceof CtdoctorError && error.kind === 'usage' && pattern.test(error.message);

describe('#11.28 addresses and networks a user gives are normalised as nft and ipset list them', () => {
  it('#11.28 IPv6 in RFC 5952 text: lower case, zeros compressed, no /128', () => {
    for (const text of ['2001:DB8::1', '2001:db8:0:0:0:0:0:1', '2001:0db8::0001', ' 2001:db8::1/128 '])
      assert.equal(parseNetwork(text).text, '2001:db8::1', text);
    assert.equal(parseNetwork('2001:DB8:0:0:1:0:0:0/80').text, '2001:db8:0:0:1::/80');
    // nft and ipset print a mapped address in mixed notation: both sides normalise to one text.
    assert.equal(parseNetwork('::ffff:10.0.0.1').text, parseNetwork('::FFFF:A00:1').text);
    assert.equal(parseNetwork('::').text, '::');
  });

  it('#11.28 IPv4 as four decimal parts, no /32', () => {
    assert.equal(parseNetwork('10.0.0.5/32').text, '10.0.0.5');
    assert.equal(parseNetwork('10.0.0.0/8').text, '10.0.0.0/8');
    assert.equal(parseNetwork('0.0.0.0/0').text, '0.0.0.0/0');
    for (const text of ['10.1', '0x0a.0.0.1', '010.0.0.1', '10.0.0.256', '167772161', '10.0.0.1 '.repeat(2)])
      assert.throws(() => parseNetwork(text), usage(/is not an IPv4 or IPv6 address or CIDR/), text);
  });

  it('#11.28 host bits after the prefix are refused, naming the network and the address', () => {
    assert.throws(
      () => parseNetwork('10.0.0.5/8'),
      usage(
        /^"10\.0\.0\.5\/8" has bits set after its \/8 prefix: give the network 10\.0\.0\.0\/8 or the address 10\.0\.0\.5 alone$/,
      ),
    );
    assert.throws(
      () => parseNetwork('2001:DB8:1::5/48'),
      usage(/give the network 2001:db8:1::\/48 or the address 2001:db8:1::5 alone/),
    );
  });

  it('#11.28 bad prefixes and zone indexes are refused', () => {
    for (const text of ['10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '::/129', '10.0.0.0/8/8'])
      assert.throws(
        () => parseNetwork(text),
        usage(/prefix length must be 0 to (32|128)|is not an IPv4/),
        text,
      );
    assert.throws(() => parseNetwork('fe80::1%eth0'), usage(/is not an IPv4 or IPv6 address/));
  });

  it('#11.28 guards compare addresses, not texts', () => {
    const loopback6 = blockConflicts(parseNetwork('0:0:0:0:0:0:0:1'), LOOPBACK);
    assert.deepEqual(
      loopback6.map((entry) => entry.network.text),
      ['::1'],
    );
  });
});
