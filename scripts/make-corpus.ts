/**
 * Makes the labelled corpus on the real kernel (root, conntrack-tools, nft; under the kernel lock):
 *   npm run corpus [-- NAME ...]
 * Every scenario of CORPUS_SCENARIOS (src/lab/tableScenarios.ts) runs in a fresh lab namespace
 * (loopback traffic only); right after it is made (UDP entries live 30 s) its table is captured
 * from /proc/net/nf_conntrack into test/fixtures/corpus/<name>.procfs.txt.gz, and as `conntrack -L`
 * prints it (what operators save) into <name>.conntrack.txt.gz; truth.json gets what the analysis
 * must name there. With names, only those scenarios are made again.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { withLabNamespace } from '../src/lab/labNamespace.js';
import { CORPUS_SCENARIOS, type TableScenario } from '../src/lab/tableScenarios.js';
import {
  CORPUS_FORMATS,
  type CorpusFormat,
  type CorpusTruth,
  corpusFile,
  truthOf,
} from '../src/lab/corpusAccuracy.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = join(REPO, 'test', 'fixtures', 'corpus');
const TRUTH = join(CORPUS, 'truth.json');

async function capture(scenario: TableScenario): Promise<number> {
  return withLabNamespace(async (lab) => {
    await scenario.make(lab);
    const tables: Record<CorpusFormat, string> = {
      procfs: await lab.execChecked('cat', ['/proc/net/nf_conntrack']),
      conntrack: await lab.execChecked('conntrack', ['-L']),
    };
    for (const format of CORPUS_FORMATS)
      await writeFile(
        join(CORPUS, corpusFile(scenario.name, format)),
        gzipSync(tables[format], { level: 9 }),
      );
    return tables.procfs.split('\n').filter(Boolean).length;
  }, 'ctdcorpus');
}

const names = process.argv.slice(2);
const unknown = names.filter((name) => !CORPUS_SCENARIOS.some((scenario) => scenario.name === name));
if (unknown.length > 0) throw new Error(`no corpus scenario ${unknown.join(', ')}`);
await mkdir(CORPUS, { recursive: true });
const earlier: CorpusTruth = names.length
  ? JSON.parse(await readFile(TRUTH, 'utf8').catch(() => '{"scenarios":{}}'))
  : { scenarios: {} };
const truth: CorpusTruth = { scenarios: { ...earlier.scenarios } };
for (const scenario of CORPUS_SCENARIOS) {
  if (names.length > 0 && !names.includes(scenario.name)) continue;
  const started = Date.now();
  const entries = await capture(scenario);
  truth.scenarios[scenario.name] = truthOf(scenario, entries);
  process.stdout.write(
    `${scenario.name}: ${entries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
// In the scenarios' order, so a re-made scenario does not reorder the file.
const ordered = Object.fromEntries(
  CORPUS_SCENARIOS.filter((scenario) => truth.scenarios[scenario.name]).map((scenario) => [
    scenario.name,
    truth.scenarios[scenario.name]!,
  ]),
);
await writeFile(TRUTH, `${JSON.stringify({ scenarios: ordered }, null, 2)}\n`);
// In the layout the linter checks (short arrays on one line), so a re-made corpus lints clean.
execFileSync(join(REPO, 'node_modules', '.bin', 'biome'), ['format', '--write', TRUTH], { stdio: 'ignore' });
await writeFile(
  join(CORPUS, 'README'),
  [
    'Made on the real kernel by scripts/make-corpus.ts (`npm run corpus`): each scenario of',
    'src/lab/tableScenarios.ts in a fresh lab namespace (loopback traffic only), its table captured right',
    'after, as /proc/net/nf_conntrack prints it (<name>.procfs.txt.gz) and as `conntrack -L` does',
    '(<name>.conntrack.txt.gz). truth.json: what the analysis must name (kind, subject, offenders);',
    '`healthy` tables must yield nothing above info. Scored by `npm run bench:accuracy` and test/unit/corpus.test.ts.',
    '',
    ...CORPUS_SCENARIOS.map((scenario) => `${scenario.name}: ${scenario.description}`),
    '',
  ].join('\n'),
);
process.stdout.write(`corpus written to ${CORPUS}\n`);
