// Writes docs/findings.md from the finding registry (src/core/findings/registry.ts). Run it with
// `npm run docs:findings`; test/unit/findings/findingsDoc.test.ts fails when the page is not current.
import { writeFileSync } from 'node:fs';
import { renderFindingsDoc } from '../src/core/findings/findingsDoc.js';

// Compiled to dist/scripts/: the page lives in the source tree.
const page = new URL('../../docs/findings.md', import.meta.url);
writeFileSync(page, renderFindingsDoc());
process.stdout.write(`wrote ${page.pathname}\n`);
