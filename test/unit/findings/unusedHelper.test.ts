import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unusedHelperRule } from '../../../src/core/findings/doctor/unusedHelper.js';
import { assertDocumentedDoctorFinding, doctorInput } from '../../support/findings.js';

describe('helper-unused rule', () => {
  it('a loaded helper module nothing uses: unload it', () => {
    const findings = unusedHelperRule.detect(
      doctorInput({
        helpers: [
          { name: 'ftp', presence: 'module-loaded', inUse: false },
          { name: 'sip', presence: 'module-loaded', inUse: true },
          { name: 'irc', presence: 'built-in', inUse: false },
        ],
      }),
    );
    assert.deepEqual(
      findings.map((finding) => finding.id),
      ['helper-unused:ftp'],
    );
    assert.deepEqual(findings[0]!.fix.commands, ['ctdoctor helpers --apply', 'modprobe -r nf_conntrack_ftp']);
    assertDocumentedDoctorFinding(unusedHelperRule.kinds, findings[0]!);
  });

  it('a helper whose users could not be read (not root) is not called unused', () => {
    const helpers = [{ name: 'ftp', presence: 'module-loaded', inUse: false, usageUnknown: 'needs root' }];
    assert.deepEqual(unusedHelperRule.detect(doctorInput({ helpers })), []);
  });
});
