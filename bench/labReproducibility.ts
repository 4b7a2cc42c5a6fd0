/**
 * How far two runs of the same lab scenario and tuning differ: the mixed load at a max below its
 * steady state (it drops) and at plenty, `ROUNDS` times each, through the CLI as an operator runs
 * it. Prints each figure's range and its spread (max − min over the mean), the tolerance
 * docs/lab.md states. Run: npm run bench:lab-repeat (root, quiet machine).
 */
import { execFileSync } from 'node:child_process';
import type { LabReport, TuningResult } from '../src/core/lab/labResult.js';
import { CLI } from '../test/support/paths.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ARGS = ['lab', '--json', '--yes', '--scenario', 'mixed:rate=500/s,connections=40', '--duration', '14s'];
const TUNINGS = ['max=1500', 'max=32768'];

const runs: TuningResult[][] = TUNINGS.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  const output = execFileSync(
    process.execPath,
    [CLI, ...ARGS, ...TUNINGS.flatMap((tuning) => ['--compare', tuning])],
    {
      encoding: 'utf8',
    },
  );
  const report = JSON.parse(output) as LabReport;
  for (const [index, run] of report.runs.entries()) runs[index]!.push(run);
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const figures: [string, (run: TuningResult) => number][] = [
  ['peak entries', (run) => run.peakEntries],
  ['steady live entries', (run) => run.steady?.liveEntries ?? Number.NaN],
  ['drops', (run) => run.drops.total],
  ['failed connects', (run) => run.failedConnects],
  ['pool alive', (run) => run.longPool?.survived ?? Number.NaN],
  ['p99 set-up ms', (run) => run.setupMs?.p99 ?? Number.NaN],
];
process.stdout.write(`lab reproducibility: ${ARGS.slice(3).join(' ')}, ${ROUNDS} runs per tuning\n`);
process.stdout.write(
  `${'tuning'.padEnd(11)} ${'figure'.padEnd(20)} ${'min'.padStart(9)} ${'max'.padStart(9)} ${'spread'.padStart(8)}\n`,
);
TUNINGS.forEach((tuning, index) => {
  for (const [name, value] of figures) {
    const values = runs[index]!.map(value);
    const min = Math.min(...values);
    const max = Math.max(...values);
    const mean = values.reduce((sum, item) => sum + item, 0) / values.length;
    const spread = mean === 0 ? 0 : ((max - min) / mean) * 100;
    process.stdout.write(
      `${tuning.padEnd(11)} ${name.padEnd(20)} ${min.toFixed(0).padStart(9)} ${max.toFixed(0).padStart(9)} ${`${spread.toFixed(1)}%`.padStart(8)}\n`,
    );
  }
});
