import { Command } from 'commander';
import { CtdoctorError } from '../core/errors.js';
import { dataOr } from '../collectors/collector.js';
import { tableSize } from '../collectors/tableSize.js';
import { ChurnCounter, type TopInterval, secondsUntilFull } from '../core/events/churn.js';
import type { NetnsIdentity } from '../core/status.js';
import { parseEventLine } from '../core/events/eventLine.js';
import { EVENT_BUFFER_BYTES, openEventStream } from '../host/eventStream.js';
import { renderTopText } from '../render/topText.js';
import { actionWithExitCode } from './commandExit.js';
import {
  type CommonOptions,
  INTERVAL_BOUNDS,
  addNamespaceOptions,
  durationRange,
  openContext,
  parseDuration,
  parseWholeNumber,
} from './context.js';
import { EXIT } from './output.js';

interface TopOptions extends Omit<CommonOptions, 'source'> {
  interval: number;
  seconds?: number;
  top: number;
}

const SECONDS_BOUNDS = { unit: 's', minSeconds: 0.1, maxSeconds: 7 * 86_400 } as const;

export function topCommand(): Command {
  const command = new Command('top').description(
    'who creates entries right now: new entries/s by source, destination and protocol, from conntrack events',
  );
  addNamespaceOptions(command)
    .option(
      '--interval <seconds>',
      `length of each report ${durationRange(INTERVAL_BOUNDS)}`,
      parseDuration('--interval', INTERVAL_BOUNDS),
      2,
    )
    .option(
      '--seconds <seconds>',
      `stop after this long (default: until interrupted) ${durationRange(SECONDS_BOUNDS)}`,
      parseDuration('--seconds', SECONDS_BOUNDS),
    )
    .option('--top <n>', 'rows per list', parseWholeNumber('--top'), 10);
  return actionWithExitCode(command, async (options: TopOptions) => {
    const context = await openContext(options);
    if (!context.netlinkAllowed)
      throw new CtdoctorError(
        'usage',
        `top watches the running kernel's events, not the tree in --proc-root ${context.roots.procRoot}: drop --proc-root`,
      );
    let counter = new ChurnCounter();
    const lost = { now: 0, total: 0 };
    const stream = await openEventStream(context.files, {
      onLine(line) {
        const event = parseEventLine(line);
        if (event) counter.add(event);
      },
      onLost() {
        lost.now++;
        lost.total++;
      },
    });
    const stopOnSignal = () => stream.stop();
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    let stopped = false;
    // Resolves when stopped (--seconds, Ctrl-C); rejects when conntrack could not start or died.
    const ended = stream.finished.then(() => {
      stopped = true;
    });
    const endAtMs =
      options.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.seconds * 1000;
    let startedMs = Date.now();
    try {
      while (!stopped && Date.now() < endAtMs) {
        const untilMs = Math.min(startedMs + options.interval * 1000, endAtMs);
        await Promise.race([ended, sleep(untilMs - Date.now())]);
        const endedMs = Date.now();
        const report = intervalReport(counter, {
          size: dataOr(await tableSize(context.files), null),
          startedMs,
          endedMs,
          top: options.top,
          netns: netnsIdentity(context.files.target),
          lost,
        });
        counter = new ChurnCounter();
        lost.now = 0;
        startedMs = endedMs;
        printInterval(report, options);
      }
    } finally {
      process.removeListener('SIGINT', stopOnSignal);
      process.removeListener('SIGTERM', stopOnSignal);
      stream.stop();
    }
    await ended;
    return EXIT.ok;
  });
}

function netnsIdentity(target: NetnsIdentity): NetnsIdentity {
  return { inode: target.inode, initial: target.initial, ...(target.name ? { name: target.name } : {}) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function intervalReport(
  counter: ChurnCounter,
  at: {
    size: { count?: number | undefined; max: number } | null;
    startedMs: number;
    endedMs: number;
    top: number;
    netns: TopInterval['netns'];
    lost: { now: number; total: number };
  },
): TopInterval {
  const summary = counter.summarize((at.endedMs - at.startedMs) / 1000, at.top);
  const table = at.size?.count === undefined ? null : { count: at.size.count, max: at.size.max };
  return {
    schema: 'ctdoctor.top/v1',
    netns: at.netns,
    startedAt: new Date(at.startedMs).toISOString(),
    ...summary,
    lostEventWarnings: at.lost.now,
    lostEventWarningsTotal: at.lost.total,
    bufferBytes: EVENT_BUFFER_BYTES,
    table,
    secondsUntilFull: table ? secondsUntilFull(table.count, table.max, summary.netGrowthPerSecond) : null,
  };
}

/** JSON: one object per line. A terminal: the screen redrawn, like top. Otherwise plain blocks. */
function printInterval(report: TopInterval, options: TopOptions): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '';
  const footer = process.stdout.isTTY ? `  (every ${options.interval} s, Ctrl-C to stop)\n` : '\n';
  process.stdout.write(`${clear}${renderTopText(report)}\n${footer}`);
}
