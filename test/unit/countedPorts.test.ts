import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countedPorts } from '../../src/core/analysis/countedPorts.js';

/** Every slot read one by one: what countedPorts must agree with. */
function plainScan(values: Float64Array) {
  const ports: number[] = [];
  const counts: number[] = [];
  let total = 0;
  values.forEach((count, port) => {
    if (count === 0) return;
    ports.push(port);
    counts.push(count);
    total += count;
  });
  return { ports, counts, total };
}

describe('countedPorts', () => {
  it('finds every counted port, at page edges and in a view that does not start its buffer (property)', () => {
    const edges = [0, 1, 511, 512, 513, 1023, 1024, 32767, 65534, 65535];
    const slot = fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: 65535 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(slot, fc.integer({ min: 1, max: 1e6 })), { maxLength: 40 }),
        fc.nat(3),
        (set, skip) => {
          // A view past the start of a larger buffer, as an engine's memory hands it over.
          const values = new Float64Array(new ArrayBuffer((65536 + skip) * 8), skip * 8, 65536);
          for (const [port, count] of set) values[port] = count;
          assert.deepEqual(countedPorts(values), plainScan(values));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads an array that is not a whole number of pages', () => {
    const values = new Float64Array(700);
    values[699] = 3;
    values[5] = 2;
    assert.deepEqual(countedPorts(values), { ports: [5, 699], counts: [2, 3], total: 5 });
  });
});
