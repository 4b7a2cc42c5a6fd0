import { readFileSync, readdirSync } from 'node:fs';
import { type GeneratorDone, parseGeneratorLine } from '../../src/core/lab/generatorReport.js';
import { type LabReport, type RunMeasurements, counterSample } from '../../src/core/lab/labResult.js';
import { combineScenarios } from '../../src/core/lab/labScenarios.js';
import { parseCpuTicks, softirqPercent } from '../../src/core/lab/softirqShare.js';
import { AS_IS_LABEL, bareTuning } from '../../src/core/lab/labTuning.js';
import { parseStatFile } from '../../src/core/statFile.js';
import { fixture } from './paths.js';

/** A `ctdoctor lab --json` captured by scripts/capture-lab-fixtures.ts (test/fixtures/lab/README). */
export function capturedReport(
  name: 'report-mixed' | 'report-interrupted' | 'report-helpers' | 'report-router',
): LabReport {
  return JSON.parse(readFileSync(fixture('lab', `${name}.json`), 'utf8')) as LabReport;
}

const RUN = (...parts: string[]) => fixture('lab', 'run-mixed', ...parts);
const text = (...parts: string[]) => readFileSync(RUN(...parts), 'utf8');

/** Every line a captured generator printed, parsed (null for a line that is no message). */
export function capturedGeneratorLines(kind: 'short-flows' | 'long-pool') {
  return text(`generator-${kind}.jsonl`)
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ line, message: parseGeneratorLine(line) }));
}

/**
 * The captured run as labRun would have measured it: the stat files read during it, the dumps'
 * counts, each generator's `done` line and the settings read back (test/fixtures/lab/run-mixed).
 */
export function capturedRunMeasurements(): RunMeasurements {
  const run = JSON.parse(text('run.json')) as {
    netns: string;
    scenario: string;
    seconds: number;
    steadyFromSeconds: number;
    settings: RunMeasurements['settings'];
    entryBytes: number;
  };
  const counters = readdirSync(RUN('stat'))
    .map((file) => ({ file, atSeconds: Number(file.replace(/\.txt$/, '')) }))
    .sort((a, b) => a.atSeconds - b.atSeconds)
    .map(({ file, atSeconds }) => counterSample(parseStatFile(text('stat', file)), atSeconds));
  const live = text('live.txt')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [atSeconds, entries] = line.split(' ').map(Number);
      return { atSeconds: atSeconds!, entries: entries!, helperEntries: 0, expectations: 0 };
    });
  const generators = (['short-flows', 'long-pool'] as const).map(
    (kind) =>
      capturedGeneratorLines(kind).find(({ message }) => message?.type === 'done')!.message as GeneratorDone,
  );
  return {
    tuning: bareTuning(AS_IS_LABEL),
    netns: run.netns,
    settings: run.settings,
    seconds: run.seconds,
    steadyFromSeconds: run.steadyFromSeconds,
    counters,
    live,
    generators,
    asked: combineScenarios([run.scenario]),
    softirqPercent: softirqPercent(
      parseCpuTicks(text('proc-stat.before.txt')),
      parseCpuTicks(text('proc-stat.after.txt')),
    ),
    resize: null,
    entryBytes: run.entryBytes,
    interrupted: false,
  };
}

/** A captured /proc/stat of the run (before or after it). */
export const capturedProcStat = (when: 'before' | 'after') => text(`proc-stat.${when}.txt`);
