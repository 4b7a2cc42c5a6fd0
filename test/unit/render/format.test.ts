import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatCount } from '../../../src/render/format.js';

test('formatCount groups thousands as en-US does, for every size of count', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer(),
        fc.double({ min: -1e25, max: 1e25, noNaN: true }),
        fc.constantFrom(999, 1000, 999999),
      ),
      (value) => {
        // en-US prints -0 for a small negative; a count of nothing is 0.
        const expected = Math.round(value) === 0 ? '0' : Math.round(value).toLocaleString('en-US');
        assert.equal(formatCount(value), expected);
      },
    ),
    { numRuns: 2000 },
  );
  assert.equal(formatCount(1_000_000), '1,000,000');
  assert.equal(formatCount(-1234.6), '-1,235');
});
