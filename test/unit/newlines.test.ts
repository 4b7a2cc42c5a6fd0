import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countNewlines } from '../../src/core/table/newlines.js';

describe('countNewlines', () => {
  it('counts every 0x0a byte, at either end and in runs, as splitting the text would', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.constantFrom(0x0a, 0x0d, 0x41, 0x00), { maxLength: 300 })
            .map((b) => Uint8Array.from(b)),
        ),
        (bytes) => {
          const expected = Buffer.from(bytes).toString('latin1').split('\n').length - 1;
          assert.equal(countNewlines(bytes), expected);
        },
      ),
    );
    assert.equal(countNewlines(Buffer.from('\n\na\n')), 3);
  });
});
