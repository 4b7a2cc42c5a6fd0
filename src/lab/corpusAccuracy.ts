import type { AnalysisEngine } from '../core/analysis/analysisRun.js';
import type { Finding } from '../core/analysis/findings.js';
import { type AnalysisReport, buildAnalysisReport } from '../core/reports/analysisReport.js';
import { openTableFile } from '../host/tableSource.js';
import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import type { TableScenario } from './tableScenarios.js';

/**
 * The formats each corpus table is saved in: the kernel's procfs text and `conntrack -L` as
 * operators save it; the analysis must name the same things in both.
 */
export const CORPUS_FORMATS = ['procfs', 'conntrack'] as const;
export type CorpusFormat = (typeof CORPUS_FORMATS)[number];

export const corpusFile = (scenario: string, format: CorpusFormat) => `${scenario}.${format}.txt.gz`;

/** What the analysis must name in one corpus table (test/fixtures/corpus/truth.json). */
export interface ScenarioTruth {
  description: string;
  /** Entries captured. */
  entries: number;
  /** Nothing may be reported above info. */
  healthy: boolean;
  expected: ExpectedFinding[];
}

export interface ExpectedFinding {
  kind: string;
  subject: string;
  /** Exactly the addresses the finding may accuse (empty: it accuses no one). */
  offenders: string[];
}

export interface CorpusTruth {
  scenarios: Record<string, ScenarioTruth>;
}

export function truthOf(scenario: TableScenario, entries: number): ScenarioTruth {
  return {
    description: scenario.description,
    entries,
    healthy: scenario.expected.length === 0,
    expected: scenario.expected.map(([kind, subject]) => ({
      kind,
      subject,
      offenders: [...(scenario.offenders?.[subject] ?? [])].sort(),
    })),
  };
}

/**
 * A finding that rides along with an expected one and is not scored: `unreplied-heavy` restates
 * the never-answered entries that a scan, flood, dead upstream or stale NAT already explains (the
 * scenarios' rule since the first corpus). On a healthy table nothing is a companion.
 */
export const COMPANION_KINDS: readonly string[] = ['unreplied-heavy'];

export interface NamedFinding extends ExpectedFinding {
  /** The analysis reported this kind with exactly this subject. */
  found: boolean;
  /** The offenders the analysis named for it, sorted (empty when not found or none). */
  reportedOffenders: string[];
  offendersExact: boolean;
}

export interface ScenarioScore {
  name: string;
  healthy: boolean;
  named: NamedFinding[];
  /** Findings above info that the truth does not list (companions excepted). */
  unexpected: Pick<Finding, 'kind' | 'subject' | 'severity'>[];
  /** Every expected finding named with its offenders, nothing unexpected above info. */
  exact: boolean;
}

const offendersOf = (finding: Finding) => (finding.offenders ?? []).map((o) => o.address).sort();
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** One table's findings against its truth. */
export function scoreScenario(name: string, truth: ScenarioTruth, findings: Finding[]): ScenarioScore {
  const isExpected = (f: Finding) => truth.expected.some((e) => e.kind === f.kind && e.subject === f.subject);
  const named = truth.expected.map((expected): NamedFinding => {
    const match = findings.find((f) => f.kind === expected.kind && f.subject === expected.subject);
    const reportedOffenders = match ? offendersOf(match) : [];
    return {
      ...expected,
      found: match !== undefined,
      reportedOffenders,
      offendersExact: match !== undefined && sameList(reportedOffenders, expected.offenders),
    };
  });
  const unexpected = findings
    .filter((f) => f.severity !== 'info' && !isExpected(f))
    .filter((f) => truth.healthy || !COMPANION_KINDS.includes(f.kind))
    .map(({ kind, subject, severity }) => ({ kind, subject, severity }));
  const exact = named.every((n) => n.found && n.offendersExact) && unexpected.length === 0;
  return { name, healthy: truth.healthy, named, unexpected, exact };
}

export interface KindScore {
  kind: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** null when the kind was never reported (no precision to speak of). */
  precision: number | null;
  /** null when the kind was never expected. */
  recall: number | null;
}

/**
 * Per finding kind over the corpus: a true positive is an expected (kind, subject) reported at any
 * severity; a false positive an unexpected one above info; a false negative an expected one missed.
 * Wrong offenders do not make a false positive here: ScenarioScore.exact fails on them.
 */
export function scoreKinds(scores: ScenarioScore[]): KindScore[] {
  const kinds = new Map<string, { tp: number; fp: number; fn: number }>();
  const tally = (kind: string) => {
    if (!kinds.has(kind)) kinds.set(kind, { tp: 0, fp: 0, fn: 0 });
    return kinds.get(kind)!;
  };
  for (const score of scores) {
    for (const named of score.named) tally(named.kind)[named.found ? 'tp' : 'fn']++;
    for (const finding of score.unexpected) tally(finding.kind).fp++;
  }
  return [...kinds.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, { tp, fp, fn }]) => ({
      kind,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp > 0 ? tp / (tp + fp) : null,
      recall: tp + fn > 0 ? tp / (tp + fn) : null,
    }));
}

/**
 * A saved table analysed exactly as `ctdoctor analyze FILE` does (gzip read as such): the one
 * dispatcher, then the report builder, with no live settings (a dump has none). `engine`
 * `typescript` forces the reference parser, as CTDOCTOR_ENGINE=typescript does; by default the
 * WebAssembly engine runs, as for a user.
 */
export async function analyzeSavedTable(path: string, engine?: AnalysisEngine): Promise<AnalysisReport> {
  const source = await openTableFile(path);
  const run = await analyzeSource(source, { capacity: 32768, ...(engine ? { engine } : {}) });
  return buildAnalysisReport(run, source, { limit: 10, context: {} });
}
