import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderFindingsDoc } from '../../../src/core/findings/findingsDoc.js';
import { FINDING_KINDS } from '../../../src/core/findings/registry.js';
import { REPO_ROOT } from '../../support/paths.js';

describe('docs/findings.md', () => {
  it('is what the registry generates', () => {
    const page = readFileSync(join(REPO_ROOT, 'docs', 'findings.md'), 'utf8');
    assert.ok(
      page === renderFindingsDoc(),
      'docs/findings.md is not current: run `npm run docs:findings` and commit the page',
    );
  });

  it('has a section for every kind, with its commands', () => {
    const page = renderFindingsDoc();
    for (const kind of FINDING_KINDS) {
      assert.ok(page.includes(`### \`${kind.id}\``), kind.id);
      for (const command of kind.commands) assert.ok(page.includes(`  ${command}\n`), command);
    }
  });
});
