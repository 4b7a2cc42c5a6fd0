import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AnalysisEngine } from '../../src/core/analysis/analysisRun.js';
import type { Finding } from '../../src/core/analysis/findings.js';
import {
  CORPUS_FORMATS,
  type CorpusFormat,
  type CorpusTruth,
  analyzeSavedTable,
  corpusFile,
  scoreKinds,
  scoreScenario,
  truthOf,
} from '../../src/lab/corpusAccuracy.js';
import { CORPUS_SCENARIOS } from '../../src/lab/tableScenarios.js';
import { fixture } from '../support/paths.js';

/**
 * The accuracy bench's check on the committed corpus (test/fixtures/corpus, made on the kernel by
 * `npm run corpus`): a rule that stops naming a subject exactly, accuses the wrong address or
 * speaks above info on a healthy table fails here.
 */
const truth = JSON.parse(readFileSync(fixture('corpus', 'truth.json'), 'utf8')) as CorpusTruth;
async function findingsOf(name: string, format: CorpusFormat, engine: AnalysisEngine = 'wasm') {
  const report = await analyzeSavedTable(fixture('corpus', corpusFile(name, format)), engine);
  assert.equal(report.engine, engine, 'the engine asked for ran');
  return report.findings;
}
/** The engine users run and the reference it is held to: a rule must name the same on both. */
const ENGINES: AnalysisEngine[] = ['wasm', 'typescript'];

describe('the labelled corpus', () => {
  it('is what the scenarios say (re-make it with `npm run corpus` after changing one) and stays small', () => {
    assert.deepEqual(
      Object.keys(truth.scenarios),
      CORPUS_SCENARIOS.map((scenario) => scenario.name),
    );
    for (const scenario of CORPUS_SCENARIOS) {
      const recorded = truth.scenarios[scenario.name]!;
      assert.deepEqual(recorded, truthOf(scenario, recorded.entries), scenario.name);
      assert.ok(recorded.entries >= 100, `${scenario.name}: ${recorded.entries} entries`);
    }
    const files = readdirSync(fixture('corpus'));
    const bytes = files.reduce((sum, file) => sum + statSync(fixture('corpus', file)).size, 0);
    assert.ok(bytes < 1_000_000, `corpus ${bytes} bytes`);
  });

  for (const [name, scenario] of Object.entries(truth.scenarios)) {
    const what = scenario.expected.map((e) => `${e.kind} ${e.subject}`).join(', ') || 'nothing above info';
    for (const format of CORPUS_FORMATS) {
      for (const engine of ENGINES) {
        it(`${name} (${format}, ${engine}) → ${what}`, async () => {
          const score = scoreScenario(name, scenario, await findingsOf(name, format, engine));
          assert.ok(
            score.exact,
            JSON.stringify({ named: score.named, unexpected: score.unexpected }, null, 1),
          );
        });
      }
    }
  }
});

describe('the corpus score', () => {
  // Real findings of a captured table, changed the way a regressed rule would change them.
  const scanTruth = truth.scenarios.scan!;
  const scanFindings = () => findingsOf('scan', 'procfs');
  const scan = (findings: Finding[]) => findings.find((f) => f.kind === 'port-scan')!;

  it('fails a subject named inexactly, an accused innocent and a missed finding', async () => {
    assert.ok(scoreScenario('scan', scanTruth, await scanFindings()).exact, 'the captured scan scores exact');
    const renamed = await scanFindings();
    scan(renamed).subject = '127.0.0.67';
    const renamedScore = scoreScenario('scan', scanTruth, renamed);
    assert.equal(renamedScore.exact, false);
    assert.deepEqual(
      renamedScore.unexpected.map((f) => f.subject),
      ['127.0.0.67'],
    );
    const accusing = await scanFindings();
    scan(accusing).offenders!.push({ address: '127.0.0.1', entries: 1, share: '0%' });
    assert.equal(scoreScenario('scan', scanTruth, accusing).named[0]!.offendersExact, false);
    const missed = (await scanFindings()).filter((f) => f.kind !== 'port-scan');
    assert.equal(scoreScenario('scan', scanTruth, missed).named[0]!.found, false);
  });

  it('lets a companion ride beside an expected finding, but not on a healthy table', async () => {
    const findings = await scanFindings();
    const companion: Finding = {
      ...scan(findings),
      kind: 'unreplied-heavy',
      subject: 'UNREPLIED',
      severity: 'warn',
    };
    assert.ok(scoreScenario('scan', scanTruth, [...findings, companion]).exact);
    const healthy = truth.scenarios.healthy!;
    assert.equal(scoreScenario('healthy', healthy, [companion]).exact, false);
    assert.ok(scoreScenario('healthy', healthy, [{ ...companion, severity: 'info' }]).exact);
  });

  it('counts true and false positives and negatives per kind', async () => {
    const findings = await scanFindings();
    const wrong = { ...scan(findings), subject: '127.0.0.67' };
    const scores = [
      scoreScenario('scan', scanTruth, findings),
      scoreScenario('scan', scanTruth, [wrong]),
      scoreScenario('healthy', truth.scenarios.healthy!, [wrong]),
    ];
    const [portScan] = scoreKinds(scores).filter((kind) => kind.kind === 'port-scan');
    assert.deepEqual(portScan, {
      kind: 'port-scan',
      truePositives: 1,
      falsePositives: 2,
      falseNegatives: 1,
      precision: 1 / 3,
      recall: 1 / 2,
    });
  });
});
