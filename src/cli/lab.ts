import { Command } from 'commander';
import { LAB_SCENARIO_MEANING, LAB_SCENARIO_NAMES, combineScenarios } from '../core/lab/labScenarios.js';
import { parseLabTimeouts } from '../core/lab/labTimeouts.js';
import { tuningsOf } from '../core/lab/labTuning.js';
import { LAB_TOPOLOGIES, LAB_TOPOLOGY_MEANING, parseLabTopology } from '../core/lab/routerTopology.js';
import { writeFileAtomic } from '../host/atomicFile.js';
import { readUplotAssets } from '../lab/reportAssets.js';
import { renderLabReportHtml } from '../render/labReportHtml.js';
import { renderLabText } from '../render/labText.js';
import { actionWithExitCode } from './commandExit.js';
import { type DurationBounds, durationRange, openContext, parseDuration } from './context.js';
import { runLabFromCli } from './labSessionRun.js';
import { printJson } from './output.js';
import { type StateOptions, addStateOptions } from './stateOptions.js';

interface LabOptions extends StateOptions {
  scenario: string[];
  compare: string[];
  topology: string;
  duration: number;
  timeouts: string;
  yes?: boolean;
  report?: string;
  json?: boolean;
  debug?: boolean;
}

/** Long enough for one timeout of steady state at the lab's timeouts; short enough to wait on. */
const DURATION_BOUNDS: DurationBounds = { unit: 's', minSeconds: 3, maxSeconds: 3600 };
const collect = (value: string, previous: string[]) => [...previous, value];

export function labCommand(): Command {
  const command = new Command('lab').description(
    'try tunings on the real kernel first: run a workload in throwaway network namespaces (loopback only) under each --compare and measure drops, failed connects, set-up time, entries and pool survivors',
  );
  addStateOptions(command)
    .option(
      '--scenario <name[:rate=N/s,connections=N]>',
      `workload, combinable (repeatable; default mixed): ${LAB_SCENARIO_NAMES.map((name) => `${name} (${LAB_SCENARIO_MEANING[name]})`).join('; ')}`,
      collect,
      [],
    )
    .option(
      '--topology <single|router>',
      `where the load runs: ${LAB_TOPOLOGIES.map((name) => `${name} (${LAB_TOPOLOGY_MEANING[name]})`).join('; ')}`,
      'single',
    )
    .option(
      '--compare <tuning>',
      'a tuning to run the workload under, e.g. max=4000 or max=20000,buckets=8192 or tcp_timeout_time_wait=2 or notrack=8080/tcp or helpers=on (helper=ftp:8080/tcp), or as-is for the settings as they are (repeatable; default: as-is)',
      collect,
      [],
    )
    .option(
      '--duration <seconds>',
      `how long each tuning runs ${durationRange(DURATION_BOUNDS)}`,
      parseDuration('--duration', DURATION_BOUNDS),
      20,
    )
    .option(
      '--timeouts <short|kernel|name=seconds,...>',
      "the lab namespace's timeouts before each tuning's own: short (default: TIME_WAIT and UDP 5 s, steady in seconds), kernel, or a list over short",
      'short',
    )
    .option(
      '--yes',
      'proceed although the host tracks traffic and a tuning changes the machine-wide max or hash',
    )
    .option(
      '--report <file.html>',
      'also write an HTML report: the comparison and charts of entries and drops over time per tuning (opens offline)',
    )
    .option('--json', 'print a stable JSON object (ctdoctor.lab/v1) instead of text')
    .option('--debug', 'show stack traces for unexpected errors');
  return actionWithExitCode(command, async (options: LabOptions) => {
    const generators = combineScenarios(options.scenario);
    const topology = parseLabTopology(options.topology);
    const tunings = tuningsOf(options.compare, generators);
    const baseTimeouts = parseLabTimeouts(options.timeouts);
    // Before the run: a missing build fails at once, not after minutes of load.
    const assets = options.report ? await readUplotAssets() : null;
    const context = await openContext({ procRoot: '/proc', sysRoot: '/sys' });
    const { report, exitCode } = await runLabFromCli(context, {
      plan: {
        topology,
        generators,
        seconds: options.duration,
        baseTimeouts,
        entryBytes: context.facts.entrySize.bytes,
      },
      tunings,
      scenarioTexts: options.scenario.length > 0 ? options.scenario : ['mixed'],
      consent: options.yes === true,
      state: options,
    });
    if (options.report && assets) await writeFileAtomic(options.report, renderLabReportHtml(report, assets));
    if (options.json) printJson(report);
    else process.stdout.write(`${renderLabText(report)}\n`);
    return exitCode;
  });
}
