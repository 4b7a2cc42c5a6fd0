import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CtdoctorError } from '../../src/core/errors.js';
import { missingToolError, runTool } from '../../src/host/childProcess.js';
import { failureReason, optionalReadFailure } from '../../src/host/errnoReason.js';
import { fileOperation, withFileDeadline } from '../../src/host/fileFailures.js';
import { readOptionalProcTextNow, readOptionalText } from '../../src/host/fileRead.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: test`), { code });
}

describe('why a reading could not be made (failureReason)', () => {
  it('#12.5 an absent file, or one below a file, is absent; EACCES, EPERM and EROFS are permission', () => {
    assert.equal(failureReason(errno('ENOENT')), 'absent');
    assert.equal(failureReason(errno('ENOTDIR')), 'absent');
    for (const code of ['EACCES', 'EPERM', 'EROFS']) assert.equal(failureReason(errno(code)), 'permission');
    assert.equal(failureReason(errno('EIO')), 'failed');
  });

  it('#12.5 a ctdoctor error is told by its kind, and a kernel one by its cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctd-errno-'));
    const missing = await fileOperation(join(dir, 'gone'), 'read', () =>
      Promise.reject(errno('ENOENT')),
    ).catch((error: unknown) => error);
    assert.equal(failureReason(missing), 'absent');
    assert.equal(failureReason(missingToolError('conntrack')), 'tool-missing');
    assert.equal(failureReason(new CtdoctorError('permission', 'needs root')), 'permission');
    assert.equal(failureReason(new CtdoctorError('refused', 'no', { cause: errno('ENOENT') })), 'failed');
    assert.equal(failureReason(new CtdoctorError('kernel', 'x', { cause: errno('EACCES') })), 'permission');
    assert.equal(failureReason(new CtdoctorError('kernel', 'the kernel said no')), 'failed');
    assert.equal(failureReason('a string'), 'failed');
  });

  it('#12.5 a file operation or a tool past its deadline is timed out', async () => {
    const stuck = await withFileDeadline('/mnt/nfs/x', 'read', new Promise(() => {}), 5).catch(
      (error: unknown) => error,
    );
    assert.match((stuck as Error).message, /^cannot read \/mnt\/nfs\/x: no answer after 0.005 s/);
    assert.equal(failureReason(stuck), 'timed-out');
    const slow = await runTool('sleep', ['5'], { timeoutMs: 50 }).catch((error: unknown) => error);
    assert.match((slow as Error).message, /^sleep 5 did not finish within 0.05 s: killed$/);
    assert.equal(failureReason(slow), 'timed-out');
  });
});

describe('a file read when present (optionalReadFailure)', () => {
  it('#12.5 absent is no data; anything else is one line naming what was read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctd-errno-'));
    writeFileSync(join(dir, 'file'), 'x');
    assert.equal(await readOptionalText(join(dir, 'gone')), undefined);
    assert.equal(await readOptionalText(join(dir, 'file', 'below')), undefined, 'ENOTDIR: absent');
    await assert.rejects(readOptionalText(dir), {
      kind: 'kernel',
      message: `cannot read ${dir}: EISDIR: illegal operation on a directory, read`,
    });
    assert.equal(
      optionalReadFailure(errno('EACCES'), 'cannot list /proc/sys/x')?.message,
      'cannot list /proc/sys/x: permission denied (run as root)',
    );
    assert.equal(
      optionalReadFailure(errno('EPERM'), 'cannot inspect y', '')?.message,
      'cannot inspect y: permission denied',
    );
  });
});

describe('a procfs file read at once (readOptionalProcTextNow)', () => {
  it('reads what readOptionalText reads, and fails as it does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctd-procnow-'));
    writeFileSync(join(dir, 'file'), 'entries 3\n');
    assert.equal(readOptionalProcTextNow(join(dir, 'file')), await readOptionalText(join(dir, 'file')));
    assert.equal(readOptionalProcTextNow(join(dir, 'gone')), undefined);
    assert.equal(readOptionalProcTextNow(join(dir, 'file', 'below')), undefined, 'ENOTDIR: absent');
    assert.throws(() => readOptionalProcTextNow(dir), {
      kind: 'kernel',
      message: `cannot read ${dir}: EISDIR: illegal operation on a directory, read`,
    });
  });

  it('reads a procfs file whole, though stat gives it no size', () => {
    const text = readOptionalProcTextNow('/proc/self/status');
    assert.match(text ?? '', /^Name:\t.*\n[\s\S]*\nVmRSS:/);
  });
});
