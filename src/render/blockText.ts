import type { OffenderSelection } from '../core/plan/blockFromFindings.js';
import type { BlockReport, BlockedEntry } from '../core/plan/blockResult.js';
import { pc } from './colors.js';

export function renderBlockText(
  report: BlockReport,
  /** The rollback command for this run's --root/--state-dir. */
  undo: string,
): string {
  switch (report.kind) {
    case 'list':
      return report.entries.length === 0
        ? 'nothing blocked by ctdoctor'
        : report.entries.map(listedLine).join('\n');
    case 'unblock':
      return report.result
        ? `unblocked: ${report.result.removed.join(', ') || 'nothing (not blocked)'}`
        : `plan: unblock ${report.targets.join(', ')} (add --apply)`;
    case 'block': {
      const ttl = report.ttlSeconds ? ` for ${report.ttlSeconds} s` : '';
      const accused = report.fromFindings ? offenderLines(report.fromFindings) : [];
      if (report.targets.length === 0) return [...accused, 'nothing to block'].join('\n');
      if (!report.result)
        return [
          ...accused,
          `plan: block ${report.targets.join(', ')} on ${report.backend}${ttl}, then flush their conntrack entries (add --apply)`,
        ].join('\n');
      const { blocked, flushed, journalId } = report.result;
      return [
        ...accused,
        ...blocked.map(
          (address) => `${pc.green('blocked')} ${address}${ttl}: ${flushed[address]} entries flushed`,
        ),
        `journal ${journalId}: undo with  ${undo}  (or block --remove --ip …)`,
      ].join('\n');
    }
  }
}

/** Each accused address with the finding and its entries; those the guards keep, and why. */
function offenderLines(selection: OffenderSelection): string[] {
  if (selection.offenders.length === 0 && selection.skipped.length === 0)
    return ['no finding names an offender in this table'];
  return [
    ...selection.offenders.map(
      (o) => `offender ${o.address}: ${o.finding}, ${o.entries} entries (${o.share} of the table)`,
    ),
    ...selection.skipped.map(
      (o) => `${pc.yellow('not blocked')} ${o.address}: ${o.finding}, ${o.entries} entries; it is ${o.why}`,
    ),
  ];
}

function listedLine(entry: BlockedEntry): string {
  return `${entry.address}${entry.expiresSeconds !== null ? `  expires in ${entry.expiresSeconds} s` : ''}`;
}

/** `block --json`: ctdoctor.block-list/v1 for --list, ctdoctor.block/v1 otherwise. */
export function blockJson(report: BlockReport) {
  switch (report.kind) {
    case 'list':
      return { schema: 'ctdoctor.block-list/v1', backend: report.backend, entries: report.entries };
    case 'unblock':
      return {
        schema: 'ctdoctor.block/v1',
        remove: report.targets,
        applied: report.result !== null,
        ...(report.result ?? {}),
      };
    case 'block': {
      const accused = report.fromFindings
        ? { offenders: report.fromFindings.offenders, skipped: report.fromFindings.skipped }
        : {};
      return report.result
        ? {
            schema: 'ctdoctor.block/v1',
            backend: report.backend,
            ttlSeconds: report.ttlSeconds,
            ...accused,
            applied: true,
            ...report.result,
          }
        : {
            schema: 'ctdoctor.block/v1',
            backend: report.backend,
            targets: report.targets,
            ttlSeconds: report.ttlSeconds,
            ...accused,
            applied: false,
          };
    }
  }
}
