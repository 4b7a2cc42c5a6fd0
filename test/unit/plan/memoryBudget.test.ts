import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseMemoryBudget } from '../../../src/core/plan/memoryBudget.js';
import { fixture } from '../../support/paths.js';

/** MemTotal of the captured machine, in bytes (meminfo says kB, which is KiB). */
const MEM_TOTAL =
  Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync(fixture('proc-6.18-full', 'meminfo'), 'utf8'))![1]) *
  1024;

describe('mitigate --memory-budget', () => {
  it('takes sizes in binary units and a share of RAM', () => {
    assert.equal(parseMemoryBudget('2G', MEM_TOTAL), 2 * 1024 ** 3);
    assert.equal(parseMemoryBudget('512MiB', MEM_TOTAL), 512 * 1024 ** 2);
    assert.equal(parseMemoryBudget('15%', MEM_TOTAL), 0.15 * MEM_TOTAL);
  });

  it('refuses a bare fraction, a budget beyond RAM, and what is not a size, naming the fix', () => {
    assert.throws(
      () => parseMemoryBudget('0.15', MEM_TOTAL),
      /smaller than any table: write a size .* or a share of RAM with %/,
    );
    assert.throws(
      () => parseMemoryBudget('200%', MEM_TOTAL),
      /must be more than 0 and at most the 23\.5 GiB of RAM/,
    );
    assert.throws(() => parseMemoryBudget('lots', MEM_TOTAL), /is not a size \(e\.g\. 2G, 512M\)/);
  });
});
