import { LOSS_COUNTERS } from '../counters.js';
import type { LossWindow } from '../lossWindow.js';
import { RELIEF_COMMAND } from '../plan/reliefDecision.js';
import type { AlertDriftEvent, AlertNamespaceReading, AlertSample } from './alertSample.js';

export type LossDeltas = LossWindow['deltas'];

/** What one namespace showed between the previous sample and this one: the facts the rules test. */
export interface NamespaceEvidence {
  inode: number;
  initial: boolean;
  name: string | undefined;
  entries: number;
  max: number;
  /** entries / max; undefined when max is 0 (conntrack not loaded in that reading). */
  usage: number | undefined;
  /** How much each loss counter rose since the previous sample; undefined on its first sample or a reset. */
  loss: LossDeltas | undefined;
  /** Seconds between the previous sample and this one (what `loss` was counted over). */
  seconds: number;
  /** Table-full kernel-log messages since the previous sample (0 on a first sample or a reset). */
  tableFullMessages: number;
  /** Settings someone else changed in this namespace at this sample. */
  drift: AlertDriftEvent[];
  /** Changes `serve --auto-relief` made in this namespace at this sample. */
  reliefs: AlertDriftEvent[];
}

/**
 * A counter lower than before is a reset, not a rise: the namespace was recreated under a reused
 * inode, or the module reloaded. Any loss counter falling makes the whole reading a new baseline —
 * Prometheus's increase() would instead count the new value from 0, and page for a namespace that
 * just started.
 */
function lossSince(before: AlertNamespaceReading, after: AlertNamespaceReading): LossDeltas | undefined {
  const deltas = {} as LossDeltas;
  for (const name of LOSS_COUNTERS) {
    const was = before.counters[name];
    const now = after.counters[name];
    if (was === undefined || now === undefined) deltas[name] = 0;
    else if (now < was) return undefined;
    else deltas[name] = now - was;
  }
  return deltas;
}

/** Each namespace of `sample` with what changed since `previous` (undefined: the daemon's first sample). */
export function evidenceOf(sample: AlertSample, previous: AlertSample | undefined): NamespaceEvidence[] {
  const before = new Map(previous?.namespaces.map((reading) => [reading.inode, reading]));
  const seconds = previous === undefined ? 0 : (sample.takenAtMs - previous.takenAtMs) / 1000;
  return sample.namespaces.map((reading) => {
    const was = before.get(reading.inode);
    const messages = was === undefined ? 0 : reading.tableFullMessages - was.tableFullMessages;
    return {
      inode: reading.inode,
      initial: reading.initial,
      name: reading.name,
      entries: reading.entries,
      max: reading.max,
      usage: reading.max > 0 ? reading.entries / reading.max : undefined,
      loss: was === undefined ? undefined : lossSince(was, reading),
      seconds,
      tableFullMessages: Math.max(0, messages),
      drift: sample.drift.filter((event) => event.netns === reading.inode && event.byCtdoctor === undefined),
      reliefs: sample.drift.filter(
        (event) => event.netns === reading.inode && event.byCtdoctor === RELIEF_COMMAND,
      ),
    };
  });
}
