/**
 * Accuracy of the finding rules on the labelled corpus (test/fixtures/corpus, made on the real
 * kernel by `npm run corpus`):
 *   npm run bench:accuracy
 * Every table, in each saved format, is analysed as `ctdoctor analyze FILE` does, and its findings
 * are held against truth.json: per scenario whether each expected subject (and its offenders) is
 * named exactly, per finding kind true/false positives and negatives, precision and recall, and
 * the healthy tables' findings above info. `unreplied-heavy` beside an expected finding is its
 * companion and not scored (COMPANION_KINDS); on a healthy table it counts like any other.
 * Exits 1 when any scenario is not named exactly or a healthy table has a finding above info.
 * `--engine typescript` scores the reference parser instead of the WebAssembly engine users run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisEngine } from '../src/core/analysis/analysisRun.js';
import {
  CORPUS_FORMATS,
  type CorpusTruth,
  type KindScore,
  type ScenarioScore,
  analyzeSavedTable,
  corpusFile,
  scoreKinds,
  scoreScenario,
} from '../src/lab/corpusAccuracy.js';

const CORPUS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures', 'corpus');

const engineIndex = process.argv.indexOf('--engine');
const engine = engineIndex > 0 ? (process.argv[engineIndex + 1] as AnalysisEngine) : undefined;
if (engine !== undefined && engine !== 'wasm' && engine !== 'typescript')
  throw new Error(`--engine wasm|typescript, not ${engine}`);

const truth = JSON.parse(readFileSync(join(CORPUS, 'truth.json'), 'utf8')) as CorpusTruth;
const scores: ScenarioScore[] = [];
const enginesRun = new Set<string>();
for (const [name, scenario] of Object.entries(truth.scenarios)) {
  for (const format of CORPUS_FORMATS) {
    const report = await analyzeSavedTable(join(CORPUS, corpusFile(name, format)), engine);
    enginesRun.add(report.engine);
    scores.push(scoreScenario(`${name} (${format})`, scenario, report.findings));
  }
}

function describe(score: ScenarioScore): string {
  const named = score.named.map((n) => {
    const offenders =
      !n.found || n.offendersExact
        ? ''
        : ` offenders [${n.reportedOffenders.join(', ')}] ≠ [${n.offenders.join(', ')}]`;
    return `${n.found ? '' : 'MISSED '}${n.kind} ${n.subject}${offenders}`;
  });
  const unexpected = score.unexpected.map((f) => `UNEXPECTED ${f.kind} ${f.subject} (${f.severity})`);
  return [...named, ...unexpected].join('; ') || 'nothing above info';
}

const ratio = (value: number | null) => (value === null ? '–' : value.toFixed(2));
const row = (cells: (string | number)[]) =>
  cells.map((cell, i) => String(cell).padEnd(i === 0 ? 20 : 10)).join('');

process.stdout.write(
  `corpus: ${Object.keys(truth.scenarios).length} scenarios × ${CORPUS_FORMATS.length} formats, engine ${[...enginesRun].join(', ')}\n\n`,
);
for (const score of scores)
  process.stdout.write(`${score.exact ? 'ok  ' : 'FAIL'} ${score.name}: ${describe(score)}\n`);
process.stdout.write(`\n${row(['kind', 'TP', 'FP', 'FN', 'precision', 'recall'])}\n`);
for (const kind of scoreKinds(scores) as KindScore[])
  process.stdout.write(
    `${row([kind.kind, kind.truePositives, kind.falsePositives, kind.falseNegatives, ratio(kind.precision), ratio(kind.recall)])}\n`,
  );
const healthy = scores.filter((score) => score.healthy);
const aboveInfo = healthy.reduce((sum, score) => sum + score.unexpected.length, 0);
const exact = scores.filter(
  (score) => !score.healthy && score.named.every((n) => n.found && n.offendersExact),
);
const troubled = scores.filter((score) => !score.healthy).length;
process.stdout.write(`\nsubjects and offenders named exactly: ${exact.length} of ${troubled} tables\n`);
process.stdout.write(`healthy tables: ${healthy.length}, findings above info: ${aboveInfo}\n`);
process.exitCode = scores.every((score) => score.exact) ? 0 : 1;
