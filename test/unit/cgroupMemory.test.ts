import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cgroupMemoryFiles, limitHeadroomBytes } from '../../src/core/cgroupMemory.js';
import { fixture } from '../support/paths.js';

const read = (name: string) => readFileSync(fixture('cgroup', name), 'utf8');

describe('cgroupMemoryFiles (/proc/self/cgroup captured on a cgroup v1 + v2 hybrid host)', () => {
  const hybrid = read('v1-hybrid.proc-self-cgroup');

  it("takes the v1 memory controller's path and every ancestor, nearest first, not the v2 line", () => {
    assert.deepEqual(
      cgroupMemoryFiles(hybrid),
      [
        'fs/cgroup/memory/process_api/48b83ca3d5f846ba404673e33fc14042',
        'fs/cgroup/memory/process_api',
        'fs/cgroup/memory',
      ].map((dir) => ({ limit: `${dir}/memory.limit_in_bytes`, usage: `${dir}/memory.usage_in_bytes` })),
    );
  });

  it('on a v2-only host (the same capture, its unified line alone) reads memory.max from the root down', () => {
    const v2Only = hybrid
      .split('\n')
      .filter((line) => line.startsWith('0::'))
      .join('\n');
    assert.deepEqual(cgroupMemoryFiles(v2Only), [
      { limit: 'fs/cgroup/memory.max', usage: 'fs/cgroup/memory.current' },
    ]);
  });

  it('lists nothing for text that is not /proc/self/cgroup', () => {
    assert.deepEqual(cgroupMemoryFiles('garbage\n\u0000\u0001'), []);
  });
});

describe('limitHeadroomBytes', () => {
  const limit100M = read('v1-limit-100M.memory.limit_in_bytes');

  it('is the limit minus the usage (a 100M cgroup holding one sleep, both files as the kernel wrote them)', () => {
    assert.equal(
      limitHeadroomBytes(limit100M, read('v1-usage-sleep.memory.usage_in_bytes')),
      104_857_600 - 524_288,
    );
  });

  it("is no room, not less, when the usage is above the limit (the host's usage against the 100M limit)", () => {
    assert.equal(limitHeadroomBytes(limit100M, read('v1-usage-host.memory.usage_in_bytes')), 0);
  });

  it("is no limit for v1's unlimited value (as read on the capture host) and v2's max", () => {
    assert.equal(
      limitHeadroomBytes(
        read('v1-unlimited.memory.limit_in_bytes'),
        read('v1-usage-host.memory.usage_in_bytes'),
      ),
      undefined,
    );
    // v2's unlimited memory.max, as the kernel prints it (this capture host's memory controller is v1's).
    assert.equal(limitHeadroomBytes('max\n', '1'), undefined);
  });
});
