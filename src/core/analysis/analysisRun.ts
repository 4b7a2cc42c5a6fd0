import type { FieldName } from './entryFields.js';
import type { TableAggregator } from './tableAggregator.js';
import type { ParseCounts } from '../table/entryStream.js';

/** What one read of a table is asked to do and what it returns: the analysis runtime's contract. */
export interface AnalysisOptions {
  /** Keys counted exactly per top list before Space-Saving evicts. */
  capacity: number;
  groupBy?: FieldName[];
  filter?: string;
  /** Stop after this many entries (doctor on huge tables); undefined = all. */
  sampleEntries?: number;
  /** `typescript` forces the reference parser; by default the WebAssembly engine runs when it can. */
  engine?: AnalysisEngine;
  /**
   * Threads for a saved dump of 16 MB or more: 1, 2 (a parse thread beside the counting one), or
   * 3–4 (parts merged). By default dumps of 32 MB or more use two on a host with two CPUs or more,
   * and dumps of 512 MB or more are split one part per CPU but one, when that makes two or more.
   */
  threads?: number;
  /**
   * The namespace's nf_conntrack_tcp_timeout_established, which ESTABLISHED idle times are measured
   * against; the kernel default (432000) when absent (a saved dump).
   */
  establishedTimeoutSeconds?: number;
}

export interface AnalysisRun {
  aggregator: TableAggregator;
  engine: AnalysisEngine;
  counts: ParseCounts;
  /** Entries seen before the filter. */
  scanned: number;
  bytes: number;
  /** The read stopped at --sample with input left unread: shares are of the sample. */
  sampled: boolean;
  /** The read stopped because nothing in its first NO_ENTRY_READ_LIMIT_BYTES was an entry. */
  abandoned: boolean;
  workers: number;
  durationMs: number;
}

export type ProgressListener = (bytes: number) => void;

export type AnalysisEngine = 'wasm' | 'typescript';

/** Where a table was read from, as a report names it. */
export type TableSourceKind = 'procfs' | 'netlink' | 'file' | 'stdin';

export interface TableSourceName {
  kind: TableSourceKind;
  /** What was read, for the report: a path or the command. */
  description: string;
}
