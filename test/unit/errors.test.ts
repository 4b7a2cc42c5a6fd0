import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CtdoctorError, isCtdoctorError } from '../../src/core/errors.js';

describe('errors', () => {
  it('knows a CtdoctorError thrown by another bundle of the program (the launcher prestart)', () => {
    // Another bundle has its own copy of the class: same name and fields, another prototype.
    class ForeignCtdoctorError extends Error {
      constructor(
        readonly kind: string,
        message: string,
      ) {
        super(message);
        this.name = 'CtdoctorError';
      }
    }
    assert.ok(isCtdoctorError(new CtdoctorError('kernel', 'x')));
    assert.ok(isCtdoctorError(new ForeignCtdoctorError('kernel', 'reading the dump failed: EIO')));
    assert.ok(!isCtdoctorError(new Error('boom')));
    assert.ok(!isCtdoctorError({ name: 'CtdoctorError', kind: 'kernel', message: 'not an Error' }));
  });
});
