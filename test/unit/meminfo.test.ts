import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../src/core/errors.js';
import { parseMemTotalBytes, parseMeminfoBytes } from '../../src/core/kernelInfo.js';
import { fixture } from '../support/paths.js';

describe('/proc/meminfo (captured on a 6.18 host)', () => {
  const meminfo = readFileSync(fixture('proc-6.18-full', 'meminfo'), 'utf8');

  it('reads MemTotal and MemAvailable in bytes', () => {
    assert.equal(parseMemTotalBytes(meminfo), 24_684_096 * 1024);
    assert.equal(parseMeminfoBytes(meminfo, 'MemAvailable'), 24_322_224 * 1024);
  });

  it('says which line is missing from a truncated file', () => {
    const truncated = meminfo.slice(0, meminfo.indexOf('MemAvailable'));
    assert.throws(
      () => parseMeminfoBytes(truncated, 'MemAvailable'),
      (error: unknown) => error instanceof CtdoctorError && /no MemAvailable line/.test(error.message),
    );
  });
});
