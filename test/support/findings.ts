import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Finding } from '../../src/core/analysis/findings.js';
import { TableAggregator } from '../../src/core/analysis/tableAggregator.js';
import { type TableSummary, summarizeTable } from '../../src/core/analysis/tableSummary.js';
import { parseKmsgRecord, summarizeKernelLog } from '../../src/core/doctor/kernelLog.js';
import type {
  DoctorFinding,
  DoctorInput,
  NamespaceReadings,
} from '../../src/core/findings/doctor/doctorReadings.js';
import type { FindingKind } from '../../src/core/findings/findingKind.js';
import type { DetectorContext, TableReadings } from '../../src/core/findings/table/tableReadings.js';
import { parseStatFile } from '../../src/core/statFile.js';
import { type StatusReport, evaluateStatus } from '../../src/core/status.js';
import { type ConntrackEntry, cloneEntry } from '../../src/core/table/entry.js';
import { EntryStreamParser } from '../../src/core/table/entryStream.js';
import { fixture } from './paths.js';

/**
 * The entries of a table captured from the real kernel (test/fixtures/tables/<name>.procfs.txt);
 * `rewrite` may change its text first (a captured loopback address moved to a remote one).
 */
export function tableEntries(
  name: string,
  rewrite: (text: string) => string = (text) => text,
): ConntrackEntry[] {
  return tableFileEntries(`${name}.procfs.txt`, rewrite);
}

/** The entries of test/fixtures/tables/<file> in any of its formats (procfs, conntrack, extended). */
export function tableFileEntries(
  file: string,
  rewrite: (text: string) => string = (text) => text,
): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  const parser = new EntryStreamParser((entry) => entries.push(cloneEntry(entry)));
  parser.push(Buffer.from(rewrite(readFileSync(fixture('tables', file), 'latin1')), 'latin1'));
  parser.end();
  return entries;
}

export function summarize(entries: ConntrackEntry[]): TableSummary {
  const aggregator = new TableAggregator({ capacity: 1024 });
  for (const entry of entries) aggregator.add(entry);
  return summarizeTable(aggregator, 10);
}

export function tableReadings(
  summary: TableSummary,
  context: DetectorContext = {},
  earlier: Finding[] = [],
): TableReadings {
  return { summary, context, earlier };
}

/** `<name>` is any text, `[ … ]` optional: FindingKind's notation. */
export function matchesTemplate(template: string, text: string): boolean {
  let pattern = '';
  for (const part of template.split(/(<[^<>\s][^<>]*>|\[|\])/)) {
    if (part === '[') pattern += '(?:';
    else if (part === ']') pattern += ')?';
    else if (/^<[^<>\s][^<>]*>$/.test(part)) pattern += '.+?';
    else pattern += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`, 's').test(text);
}

/** A subject template may list alternatives joined by " or ". */
function matchesSubject(template: string, subject: string): boolean {
  return template.split(' or ').some((alternative) => matchesTemplate(alternative, subject));
}

function assertEvidence(kind: FindingKind, evidence: Record<string, unknown>): void {
  const documented = kind.evidence.map((field) => field.replace(/\?$/, ''));
  for (const key of Object.keys(evidence))
    assert.ok(documented.includes(key), `${kind.id}: evidence ${key} is not in the registry`);
  for (const field of kind.evidence.filter((f) => !f.endsWith('?')))
    assert.ok(field in evidence, `${kind.id}: evidence ${field} is missing`);
}

function assertCommands(kind: FindingKind, commands: string[]): void {
  for (const command of commands)
    assert.ok(
      kind.commands.some((template) => matchesTemplate(template, command)),
      `${kind.id}: "${command}" matches no command of the registry`,
    );
}

/** The finding is what the registry says a finding of one of `kinds` is. */
export function assertDocumentedTableFinding(kinds: readonly FindingKind[], finding: Finding): void {
  const kind = kinds.find(
    (k) => k.id === finding.kind && matchesSubject(k.subject ?? '<subject>', finding.subject),
  );
  assert.ok(kind, `${finding.kind} ${finding.subject} is no kind of ${kinds.map((k) => k.id).join(', ')}`);
  assertEvidence(kind, finding.evidence);
  assertCommands(kind, finding.commands);
  // Naming offenders is opt-in: a rule whose kind does not say whom it accuses accuses no one,
  // and neither its commands nor its advice tell the operator to block anyone.
  if (kind.offenders) return;
  assert.equal(finding.offenders, undefined, `${kind.id}: names offenders but its kind has no \`offenders\``);
  for (const command of finding.commands)
    assert.doesNotMatch(
      command,
      /ctdoctor block/,
      `${kind.id}: "${command}" blocks an address it does not accuse`,
    );
  assert.doesNotMatch(
    finding.advice.replace(/do not block/g, ''),
    /\bblock/i,
    `${kind.id}: advice says to block`,
  );
}

export function assertDocumentedDoctorFinding(kinds: readonly FindingKind[], finding: DoctorFinding): void {
  const kind = kinds.find((k) => matchesTemplate(k.id, finding.id));
  assert.ok(kind, `${finding.id} is no kind of ${kinds.map((k) => k.id).join(', ')}`);
  if (!kind.evidence.some((field) => !/^\w+\??$/.test(field))) assertEvidence(kind, finding.evidence);
  assertCommands(kind, finding.fix.commands);
}

// Doctor's readings, from the trees and the kernel log captured on 6.18 (test/fixtures/).
const kmsg = readFileSync(fixture('kmsg', 'conntrack.txt'), 'utf8').trim().split('\n');
export const CAPTURED_INODE = Number(/netns (\d+)/.exec(kmsg[0]!)![1]);
const BOOT_MS = 1_700_000_000_000;
/** The table-full messages of the captured kernel log, as doctor attributes them. */
export const CAPTURED_TABLE_FULL = summarizeKernelLog(
  kmsg.map((line) => parseKmsgRecord(line, BOOT_MS)!),
  '/dev/kmsg',
  null,
).tableFull[0]!;

const stats = parseStatFile(readFileSync(fixture('proc-6.18-full', 'net/stat/nf_conntrack'), 'utf8'));

/** A status from two samples of the captured stat file, one second apart, `rising` counters added to the second. */
export function statusOf(count: number, max: number, rising: Record<string, number> = {}): StatusReport {
  const later = { ...stats, totals: { ...stats.totals } };
  for (const [name, perSecond] of Object.entries(rising))
    later.totals[name as keyof typeof later.totals] =
      (stats.totals[name as keyof typeof stats.totals] ?? 0) + perSecond;
  const facts = {
    kernel: '6.18.44',
    entrySize: { bytes: 256, source: 'slabinfo' as const },
    netns: { inode: CAPTURED_INODE, initial: false, name: 'web' },
  };
  return evaluateStatus(
    { takenAtMs: 0, count, max, buckets: 262144, stats },
    { takenAtMs: 1000, count, max, buckets: 262144, stats: later },
    facts,
  );
}

/** The `web` namespace of the captured log, healthy and quiet unless `overrides` say otherwise. */
export function namespaceReadings(overrides: Partial<NamespaceReadings> = {}): NamespaceReadings {
  return {
    inode: CAPTURED_INODE,
    initial: false,
    names: ['web'],
    path: '/run/netns/web',
    processes: [
      { pid: 4242, command: 'nginx', workload: { runtime: null, containerId: null, podUid: null } },
    ],
    status: statusOf(10, 262144),
    error: null,
    tableFindings: [],
    dnsShare: null,
    establishedIdleOverDay: null,
    zones: ['0'],
    tableFull: null,
    ...overrides,
  };
}

/** A healthy 6.18 host (24 GiB, max = buckets = 262144, root), `overrides` applied. */
export function doctorInput(overrides: Partial<DoctorInput> = {}): DoctorInput {
  return {
    kernel: { major: 6, minor: 18, release: '6.18.44' },
    memTotalBytes: 24 * 1024 ** 3,
    entryBytes: 256,
    max: 262144,
    buckets: 262144,
    timeouts: { tcp_timeout_established: 432000 },
    namespaces: [],
    kernelLog: null,
    persist: null,
    helpers: [],
    owners: [],
    numaNodes: 1,
    root: true,
    selfInitial: true,
    ...overrides,
  };
}
