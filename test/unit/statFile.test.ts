import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CtdoctorError } from '../../src/core/errors.js';
import { parseConntrackDashC, parseConntrackDashS } from '../../src/core/netlinkStats.js';
import { parseStatFile } from '../../src/core/statFile.js';
import { capturedNetlinkTotal, fixture } from '../support/paths.js';

const read = (...parts: string[]) => readFileSync(fixture(...parts), 'utf8');

describe('parseStatFile (real 6.18 capture of a full table)', () => {
  const stats = parseStatFile(read('proc-6.18-full', 'net/stat/nf_conntrack'));

  it('takes entries once (it repeats the namespace count on every CPU row)', () => {
    assert.equal(stats.entries, 200);
    assert.equal(stats.perCpu.length, 2);
  });

  it('sums per-CPU counters by header name', () => {
    assert.equal(stats.totals.drop, capturedNetlinkTotal('proc-6.18-full', 'drop'));
    assert.equal(stats.totals.early_drop, capturedNetlinkTotal('proc-6.18-full', 'early_drop'));
    assert.ok((stats.totals.drop ?? 0) > 0, 'the capture saw drops');
    assert.equal(stats.totals.insert_failed, 0);
  });

  it('names new-kernel columns clash_resolve and chaintoolong, not searched/delete_list', () => {
    assert.ok(stats.counterNames.includes('clash_resolve'));
    assert.ok(stats.counterNames.includes('chaintoolong'));
    assert.ok(!stats.counterNames.includes('searched'));
    assert.ok(!stats.counterNames.includes('entries'));
  });

  it('agrees with conntrack -S captured at the same moment', () => {
    const netlink = parseConntrackDashS(read('proc-6.18-full', 'conntrack-S.txt'));
    for (const name of ['drop', 'early_drop', 'insert_failed', 'invalid', 'clash_resolve', 'chaintoolong']) {
      assert.equal(stats.totals[name], netlink.totals[name], name);
    }
    assert.equal(netlink.totals.icmp_error, stats.totals.icmp_error);
  });
});

describe('parseStatFile on an older kernel header', () => {
  it('keeps the old names where the kernel printed them', () => {
    const stats = parseStatFile(read('proc-old-stat-header', 'net/stat/nf_conntrack'));
    assert.ok(stats.counterNames.includes('searched'));
    assert.ok(stats.counterNames.includes('delete_list'));
    assert.ok(!stats.counterNames.includes('clash_resolve'));
    assert.equal(stats.totals.drop, capturedNetlinkTotal('proc-6.18-full', 'drop'));
  });
});

describe('parseStatFile on bad input', () => {
  it('rejects a truncated row with a one-line bad-input error', () => {
    const text = read('proc-6.18-full', 'net/stat/nf_conntrack');
    const truncated = text.slice(0, text.length - 40);
    assert.throws(
      () => parseStatFile(truncated),
      (error: unknown) => error instanceof CtdoctorError && error.kind === 'bad-input',
    );
  });

  it('never throws anything but a CtdoctorError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseStatFile(Buffer.from(bytes).toString('latin1'));
        } catch (error) {
          return error instanceof CtdoctorError && !error.message.includes('\n');
        }
        return true;
      }),
    );
  });
});

describe('conntrack -C', () => {
  it('reads the captured count', () => {
    assert.equal(parseConntrackDashC(read('proc-6.18-full', 'conntrack-C.txt')), 200);
  });
  it('rejects garbage', () => {
    assert.throws(() => parseConntrackDashC('conntrack v1.4.7: Operation not permitted'), CtdoctorError);
  });
});
