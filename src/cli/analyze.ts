import { actionWithExitCode } from './commandExit.js';
import { Command } from 'commander';
import { FIELD_NAMES, type FieldName, isFieldName } from '../core/analysis/entryFields.js';
import { parseEntryFilter } from '../core/analysis/entryFilter.js';
import type { DetectorContext } from '../core/findings/table/tableReadings.js';
import { CtdoctorError } from '../core/errors.js';
import { readConntrackSettings } from '../host/conntrackSettings.js';
import { type TableSource, openLiveTable, openStdinTable, openTableFile } from '../host/tableSource.js';
import type { AnalysisReport } from '../core/reports/analysisReport.js';
import { analyzeSource } from '../analysisRuntime/tableAnalysis.js';
import { readableTableReport } from '../analysisRuntime/tableReport.js';
import { renderAnalyzeText } from '../render/analyzeText.js';
import { renderEventLogText } from '../render/analyzeEventsText.js';
import { EventLogReader } from '../core/events/eventLog.js';
import { type EventLogReport, buildEventLogReport } from '../core/events/eventLogReport.js';
import { mixedInputError, savedInputKind } from '../core/events/savedInputKind.js';
import { peekSavedInput } from '../host/streamHead.js';
import { type CommonOptions, addCommonOptions, openContext, parseWholeNumber } from './context.js';
import { EXIT, printJson } from './output.js';
import { stopOptimizingForExit } from './optimizerOff.js';
import { progressReporter } from './progress.js';

interface AnalyzeOptions extends CommonOptions {
  top: number;
  groupBy?: string;
  filter?: string;
  sample?: number;
  capacity: number;
  threads?: number;
}

/**
 * Each top list holds up to 2 × capacity keys plus a hash table of 4 × capacity slots: 4M keys is
 * already ~1 GB over the three address lists.
 */
const MAX_CAPACITY = 1 << 22;

function parseCapacity(value: string): number {
  const capacity = parseWholeNumber('--capacity')(value);
  if (capacity > MAX_CAPACITY)
    throw new CtdoctorError('usage', `--capacity must be between 1 and ${MAX_CAPACITY}, got "${value}"`);
  return capacity;
}

/** Bytes per entry line, roughly, for a progress percentage on live tables. */
const BYTES_PER_LINE = 165;

function parseGroupBy(text: string | undefined): FieldName[] | undefined {
  if (!text) return undefined;
  const fields = text.split(',').map((field) => field.trim());
  for (const field of fields) {
    if (!isFieldName(field))
      throw new CtdoctorError('usage', `--group-by: unknown field "${field}" (${FIELD_NAMES.join(', ')})`);
  }
  return fields as FieldName[];
}

export function analyzeCommand(): Command {
  const command = new Command('analyze')
    .description('who fills the table: breakdowns, top talkers, scans, floods, TIME_WAIT piles, leaked pools')
    .argument(
      '[dump]',
      'a saved table (procfs, conntrack -L or -o extended) or conntrack -E log (gzip ok), or - for stdin; default: the live table',
    );
  addCommonOptions(command)
    .option('--top <n>', 'rows per top list', parseWholeNumber('--top'), 10)
    .option('--group-by <fields>', 'extra top list over composite keys, e.g. src,dport')
    .option(
      '--filter <expr>',
      'only entries matching, e.g. "proto=udp flag=UNREPLIED dport=53 src=10.0.0.0/8"',
    )
    .option('--sample <entries>', 'stop after this many entries (huge tables)', parseWholeNumber('--sample'))
    .option(
      '--threads <n>',
      'threads for a saved dump of 16 MB or more (default: one, or one per CPU but one for dumps of 512 MB or more)',
      parseWholeNumber('--threads'),
    )
    .option(
      '--capacity <keys>',
      `keys counted exactly per top list before Space-Saving bounds memory (at most ${MAX_CAPACITY})`,
      parseCapacity,
      32768,
    );
  return actionWithExitCode(command, async (dump: string | undefined, options: AnalyzeOptions) => {
    const report = await runAnalyze(dump, options);
    if (options.json) printJson(report);
    else if (report.schema === 'ctdoctor.analyze-events/v1')
      process.stdout.write(`${renderEventLogText(report)}\n`);
    else process.stdout.write(`${renderAnalyzeText(report)}\n`);
    return EXIT.ok;
  });
}

/**
 * Reads the input once into the report the renderers take: a table through the analysis runtime, a
 * saved `conntrack -E` log (told apart by its first lines) as events.
 */
async function runAnalyze(
  dump: string | undefined,
  options: AnalyzeOptions,
): Promise<AnalysisReport | EventLogReport> {
  const groupBy = parseGroupBy(options.groupBy);
  if (options.filter) parseEntryFilter(options.filter); // report a bad filter before reading anything
  const analysisOptions = {
    capacity: options.capacity,
    groupBy,
    filter: options.filter,
    sampleEntries: options.sample,
    threads: options.threads,
  };
  const { source: opened, detectorContext, expectedBytes } = await openTable(dump, options);
  const saved = opened.kind === 'file' || opened.kind === 'stdin' ? await peekSavedInput(opened) : null;
  const source = saved ? { ...opened, stream: saved.stream } : opened;
  if (saved && savedInputKind(saved.head.toString('latin1'), source.description) === 'events')
    return analyzeEventLog(
      { ...source, kind: opened.kind as 'file' | 'stdin' },
      options,
      expectedBytes,
    ).finally(saved.release);
  const progress = progressReporter('ctdoctor: analysing', expectedBytes);
  const established = { establishedTimeoutSeconds: detectorContext.timeouts?.tcp_timeout_established };
  const run = await analyzeSource(source, { ...analysisOptions, ...established }, progress.update).finally(
    async () => {
      progress.done();
      await saved?.release();
    },
  );
  if (saved && run.counts.events > 0 && run.counts.entries > 0)
    throw mixedInputError(source.description, null, null);
  stopOptimizingForExit();
  return readableTableReport(run, source, {
    limit: options.top,
    filter: options.filter,
    context: detectorContext,
  });
}

/** The options that shape a table's reading, which an event log has no use for. */
const TABLE_ONLY_OPTIONS = [
  ['groupBy', '--group-by'],
  ['filter', '--filter'],
  ['sample', '--sample'],
  ['threads', '--threads'],
] as const;

/** One pass over a saved `conntrack -E` log, streamed: memory is bounded by --capacity, not the log. */
async function analyzeEventLog(
  source: TableSource & { kind: 'file' | 'stdin' },
  options: AnalyzeOptions,
  expectedBytes: number | undefined,
): Promise<EventLogReport> {
  for (const [key, flag] of TABLE_ONLY_OPTIONS)
    if (options[key] !== undefined)
      throw new CtdoctorError(
        'usage',
        `${source.description} is a conntrack -E event log: ${flag} applies to table dumps; drop it`,
      );
  const reader = new EventLogReader(options.capacity);
  const progress = progressReporter('ctdoctor: reading events', expectedBytes);
  let bytes = 0;
  try {
    for await (const chunk of source.stream) {
      reader.push(chunk);
      bytes += chunk.length;
      progress.update(bytes);
    }
  } finally {
    progress.done();
  }
  return buildEventLogReport(reader.end(options.top), { kind: source.kind, description: source.description });
}

interface OpenedTable {
  source: TableSource;
  /** The live table's max and timeouts, for detectors that judge against them; none for a dump. */
  detectorContext: DetectorContext;
  /** Roughly how many bytes will be read, for the progress percentage; unknown from stdin. */
  expectedBytes: number | undefined;
}

/** The table to read: a saved dump, stdin (-), or the live table with its settings. */
async function openTable(dump: string | undefined, options: AnalyzeOptions): Promise<OpenedTable> {
  if (dump === '-') return { source: openStdinTable(), detectorContext: {}, expectedBytes: undefined };
  if (dump !== undefined) {
    const source = await openTableFile(dump);
    return { source, detectorContext: {}, expectedBytes: source.sizeBytes };
  }
  const context = await openContext(options);
  const settings = await readConntrackSettings(context.files);
  return {
    detectorContext: { max: settings.max, timeouts: settings.timeouts },
    expectedBytes: settings.count * BYTES_PER_LINE,
    source: await openLiveTable(context.files, context.roots, options.source, context.netlinkAllowed),
  };
}
