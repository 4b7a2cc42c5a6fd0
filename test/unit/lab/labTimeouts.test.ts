import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../../src/core/errors.js';
import { LAB_SHORT_TIMEOUTS, parseLabTimeouts } from '../../../src/core/lab/labTimeouts.js';

describe('lab --timeouts', () => {
  it("short is the lab's short timeouts, kernel leaves the kernel's own", () => {
    assert.deepEqual(parseLabTimeouts('short'), LAB_SHORT_TIMEOUTS);
    assert.equal(parseLabTimeouts('short').tcp_timeout_time_wait, 5);
    assert.deepEqual(parseLabTimeouts('kernel'), {});
  });

  it('a list overrides the short ones and keeps the rest', () => {
    assert.deepEqual(parseLabTimeouts('tcp_timeout_time_wait=10,udp_timeout=20'), {
      ...LAB_SHORT_TIMEOUTS,
      tcp_timeout_time_wait: 10,
      udp_timeout: 20,
    });
  });

  it('a part without = is refused with the three forms; a timeout below 1 s too', () => {
    assert.throws(
      () => parseLabTimeouts('long'),
      (error: unknown) =>
        error instanceof CtdoctorError &&
        error.kind === 'usage' &&
        /--timeouts "long": give short, kernel, or NAME=SECONDS/.test(error.message),
    );
    assert.throws(
      () => parseLabTimeouts('udp_timeout=0'),
      (error: unknown) => error instanceof CtdoctorError && error.kind === 'usage',
    );
  });

  it('a name the kernel has no timeout for is refused before the run', () => {
    assert.throws(
      () => parseLabTimeouts('tcp_timeout_bogus=3'),
      (error: unknown) =>
        error instanceof CtdoctorError && /^tcp_timeout_bogus is not a conntrack timeout/.test(error.message),
    );
  });

  it('the short timeouts do not alter the table of another run (a fresh copy each time)', () => {
    parseLabTimeouts('short').udp_timeout = 999;
    assert.equal(parseLabTimeouts('short').udp_timeout, LAB_SHORT_TIMEOUTS.udp_timeout);
  });
});
