import { Counter, Gauge, type Registry } from 'prom-client';
import type { Verdict } from '../core/status.js';
import type { Exposition } from './exposedSeries.js';
import type { NamespaceFindings } from './namespaceFindings.js';
import { VERDICT_VALUE } from './namespaceVerdicts.js';

/** What the watchers beside the sampler hold: the metrics read it at each sample's exposition. */
export interface WatchedState {
  /** Latest findings of the namespaces the analysis worker read. */
  findings(): ReadonlyMap<number, NamespaceFindings>;
  /** Each namespace's verdict in the latest sample (status's rules). */
  verdicts(): ReadonlyMap<number, Verdict>;
  /** Drift events since the daemon started, by namespace and setting. */
  driftTotals(): ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** Subjects per namespace exported as ctdoctor_finding_info (0: none). */
  findingSubjects: number;
}

export const NOTHING_WATCHED: WatchedState = {
  findings: () => new Map(),
  verdicts: () => new Map(),
  driftTotals: () => new Map(),
  findingSubjects: 0,
};

/**
 * The metrics of the kernel-log follower, the drift watcher, the analysis worker and the verdict.
 * Findings are exported as counts per kind and severity (bounded: the kinds are a fixed registry);
 * their subjects (addresses, ports: unbounded) only when asked, capped per namespace.
 */
export function addWatcherMetrics(registry: Registry, latest: () => Exposition, watched: WatchedState): void {
  const registers = [registry];
  const namesOf = () => new Map(latest().sample.namespaces.map((r) => [r.inode, r.name ?? '']));
  const netnsLabels = (names: Map<number, string>, inode: number) => ({
    netns: String(inode),
    netns_name: names.get(inode) ?? '',
  });
  new Counter({
    name: 'ctdoctor_conntrack_table_full_messages_total',
    help: 'Kernel "nf_conntrack: table full, dropping packet" messages attributed to the namespace since serve started (ratelimit-suppressed ones included).',
    labelNames: ['netns', 'netns_name'],
    registers,
    collect() {
      this.reset();
      for (const series of latest().series)
        this.inc({ netns: series.netns, netns_name: series.netnsName }, series.tableFullMessages);
    },
  });
  new Gauge({
    name: 'ctdoctor_conntrack_verdict',
    help: "The namespace's verdict by ctdoctor status's rules: 0 ok, 1 warn, 2 crit.",
    labelNames: ['netns', 'netns_name'],
    registers,
    collect() {
      this.reset();
      const verdicts = watched.verdicts();
      for (const series of latest().series) {
        const verdict = verdicts.get(Number(series.netns));
        if (verdict !== undefined)
          this.set({ netns: series.netns, netns_name: series.netnsName }, VERDICT_VALUE[verdict]);
      }
    },
  });
  new Counter({
    name: 'ctdoctor_drift_events_total',
    help: 'Changes of a conntrack setting (nf_conntrack_max, _buckets, a timeout) seen between two samples.',
    labelNames: ['netns', 'netns_name', 'setting'],
    registers,
    collect() {
      this.reset();
      const names = namesOf();
      for (const [inode, settings] of watched.driftTotals())
        for (const [setting, count] of settings) this.inc({ ...netnsLabels(names, inode), setting }, count);
    },
  });
  addFindingMetrics(registry, namesOf, netnsLabels, watched);
}

function addFindingMetrics(
  registry: Registry,
  namesOf: () => Map<number, string>,
  netnsLabels: (names: Map<number, string>, inode: number) => { netns: string; netns_name: string },
  watched: WatchedState,
): void {
  const registers = [registry];
  const perAnalysis = (name: string, help: string, value: (analysis: NamespaceFindings) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['netns', 'netns_name'],
      registers,
      collect() {
        this.reset();
        const names = namesOf();
        for (const analysis of watched.findings().values())
          this.set(netnsLabels(names, analysis.netns), value(analysis));
      },
    });
  perAnalysis(
    'ctdoctor_analysis_duration_seconds',
    "How long the latest analysis of the namespace's table took (the --analyze-interval worker).",
    (analysis) => analysis.durationSeconds,
  );
  perAnalysis(
    'ctdoctor_analysis_timestamp_seconds',
    "When the namespace's table was last analysed (Unix time).",
    (analysis) => analysis.analyzedAtMs / 1000,
  );
  new Gauge({
    name: 'ctdoctor_findings',
    help: "Findings of the latest analysis of the namespace's table, by kind and severity (as ctdoctor analyze reports them).",
    labelNames: ['netns', 'netns_name', 'kind', 'severity'],
    registers,
    collect() {
      this.reset();
      const names = namesOf();
      for (const analysis of watched.findings().values())
        for (const finding of analysis.findings)
          this.inc({ ...netnsLabels(names, analysis.netns), kind: finding.kind, severity: finding.severity });
    },
  });
  new Gauge({
    name: 'ctdoctor_finding_info',
    help: 'A finding of the latest analysis with its subject (always 1): only with --finding-subjects N, the N most severe per namespace.',
    labelNames: ['netns', 'netns_name', 'kind', 'severity', 'subject'],
    registers,
    collect() {
      this.reset();
      if (watched.findingSubjects === 0) return;
      const names = namesOf();
      for (const analysis of watched.findings().values())
        for (const finding of analysis.findings.slice(0, watched.findingSubjects))
          this.set(
            {
              ...netnsLabels(names, analysis.netns),
              kind: finding.kind,
              severity: finding.severity,
              subject: finding.subject,
            },
            1,
          );
    },
  });
}
