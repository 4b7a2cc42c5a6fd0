import type { AlertEpisode, AlertNotification } from './alertEpisodes.js';
import type { NamespaceEvidence } from './namespaceEvidence.js';

/** Alertmanager's conventional annotation names: receivers and templates written for it show these. */
export interface AlertAnnotations {
  summary: string;
  description: string;
}

/** "the host namespace", "netns web (4026532246)", "netns 4026532246". */
function where(evidence: NamespaceEvidence): string {
  if (evidence.initial) return 'the host namespace';
  return evidence.name === undefined
    ? `netns ${evidence.inode}`
    : `netns ${evidence.name} (${evidence.inode})`;
}

/** "7 s", "5 min", "1 h 30 min": how an on-call engineer reads a span. */
function span(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? 'unknown' : `${Math.round(ratio * 100)} %`;
}

function tableLine(evidence: NamespaceEvidence): string {
  return `the table holds ${evidence.entries} of ${evidence.max} entries (${percent(evidence.usage)})`;
}

/**
 * The commands to run, exactly: doctor reads every namespace (what fills the table, the fix);
 * mitigate plans a bigger table and verifies the drops in the namespace it is aimed at, which an
 * unnamed namespace cannot be without a process id the sample does not carry.
 */
function nextSteps(evidence: NamespaceEvidence, mitigateToo: boolean): string {
  const mitigate = evidence.initial
    ? 'ctdoctor mitigate'
    : evidence.name !== undefined
      ? `ctdoctor mitigate --netns ${evidence.name}`
      : undefined;
  return mitigateToo && mitigate !== undefined
    ? `Run \`ctdoctor doctor\` for the cause and the fix, and \`${mitigate}\` for the plan of a bigger table (add --apply to make it).`
    : 'Run `ctdoctor doctor` for the cause and the fix.';
}

function firing(episode: AlertEpisode): AlertAnnotations {
  const e = episode.evidence;
  const loss = e.loss ?? { drop: 0, early_drop: 0, insert_failed: 0 };
  const lost = loss.drop + loss.early_drop + loss.insert_failed;
  switch (episode.alertname) {
    case 'ConntrackPacketsDropped':
      return {
        summary: `conntrack is losing packets in ${where(e)}: ${lost} in ${span(e.seconds)}`,
        description: `In ${where(e)} conntrack counted drop +${loss.drop}, early_drop +${loss.early_drop}, insert_failed +${loss.insert_failed} over the last ${span(e.seconds)}: new flows are being refused; ${tableLine(e)}. ${nextSteps(e, true)}`,
      };
    case 'ConntrackTableFullLogged':
      return {
        summary: `the kernel logged "nf_conntrack: table full, dropping packet" for ${where(e)}: ${e.tableFullMessages} in ${span(e.seconds)}`,
        description: `${e.tableFullMessages} "table full, dropping packet" kernel messages were attributed to ${where(e)} over the last ${span(e.seconds)}; ${tableLine(e)}. ${nextSteps(e, true)}`,
      };
    case 'ConntrackTableNearlyFull':
    case 'ConntrackTableFull':
      return {
        summary: `the conntrack table of ${where(e)} is ${percent(e.usage)} full (${e.entries} of ${e.max})`,
        description: `${where(e)} has been at or above the ${episode.severity} threshold for ${span((episode.lastHeldAtMs - episode.startsAtMs) / 1000)}; ${tableLine(e)}. When it is full, new flows are dropped. ${nextSteps(e, true)}`,
      };
    case 'ConntrackSettingChanged': {
      const change = episode.totals.lastDrift;
      const what = change
        ? `${change.setting} changed ${change.from} → ${change.to}`
        : 'a conntrack setting changed';
      return {
        summary: `${what} in ${where(e)}${change?.who ? ` by ${change.who}` : ''}`,
        description: `${what} in ${where(e)}${change?.who ? ` (by ${change.who})` : ''}, not by ctdoctor: something else manages this setting and may undo a mitigation. ${nextSteps(e, false)}`,
      };
    }
    case 'ConntrackAutoRelieved': {
      const change = episode.totals.lastRelief;
      const what = change
        ? `serve --auto-relief raised ${change.setting} ${change.from} → ${change.to}`
        : 'serve --auto-relief raised the table size';
      return {
        summary: `${what} for ${where(e)}`,
        description: `${what}: ${where(e)} was dropping packets at a full table. The relief is journaled: keep it with \`ctdoctor persist\`, or undo it with \`ctdoctor rollback\`; then find what fills the table (\`ctdoctor doctor\`, \`ctdoctor top\`).`,
      };
    }
    default:
      throw new RangeError(`no annotations for alert ${episode.alertname}`);
  }
}

function resolved(notification: AlertNotification): AlertAnnotations {
  const { episode } = notification;
  const e = episode.evidence;
  const lasted = span((notification.atMs - episode.startsAtMs) / 1000);
  if (notification.ended === 'vanished') {
    return {
      summary: `${where(e)} is gone: ${episode.alertname} ends`,
      description: `${where(e)} was not in the latest sample (deleted, or its last process exited) after ${lasted} of ${episode.alertname}.`,
    };
  }
  const quiet = span(episode.holdDownSeconds);
  switch (episode.alertname) {
    case 'ConntrackPacketsDropped':
      return {
        summary: `conntrack in ${where(e)} lost nothing for ${quiet}`,
        description: `No drop, early_drop or insert_failed in ${where(e)} for ${quiet}; ${episode.totals.lostPackets} lost over the ${lasted} episode.`,
      };
    case 'ConntrackTableFullLogged':
      return {
        summary: `no "table full" kernel message for ${where(e)} for ${quiet}`,
        description: `${episode.totals.tableFullMessages} "table full, dropping packet" messages over the ${lasted} episode in ${where(e)}, none for ${quiet}.`,
      };
    case 'ConntrackTableNearlyFull':
    case 'ConntrackTableFull':
      return {
        summary: `the conntrack table of ${where(e)} has been below the threshold for ${quiet}`,
        description: `${where(e)} peaked at ${percent(episode.totals.peakUsage)} of nf_conntrack_max over the ${lasted} episode.`,
      };
    case 'ConntrackSettingChanged':
      return {
        summary: `no conntrack setting changed in ${where(e)} for ${quiet}`,
        description: `${episode.totals.driftEvents} change(s) by something other than ctdoctor in ${where(e)} over the ${lasted} episode.`,
      };
    case 'ConntrackAutoRelieved':
      return {
        summary: `no auto-relief in ${where(e)} for ${quiet}`,
        description: `serve --auto-relief raised the limit ${episode.totals.reliefs} time(s) for ${where(e)} over the ${lasted} episode.`,
      };
    default:
      throw new RangeError(`no annotations for alert ${episode.alertname}`);
  }
}

/** The summary and description of a notification, with its numbers and the command to run. */
export function annotationsOf(notification: AlertNotification): AlertAnnotations {
  return notification.status === 'firing' ? firing(notification.episode) : resolved(notification);
}
