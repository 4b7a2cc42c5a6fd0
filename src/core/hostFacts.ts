import type { KernelVersion } from './kernelInfo.js';
import type { EntrySize } from './memory.js';

/** What ctdoctor reads of the host once per command: kernel release, memory, slab entry size, module state. */
export interface HostFacts {
  kernel: string;
  kernelVersion: KernelVersion;
  memTotalBytes: number | undefined;
  entrySize: EntrySize;
  /** Objects in the nf_conntrack slab across all namespaces, when slabinfo is readable. */
  slabObjects: number | undefined;
  /** `/sys/module/nf_conntrack/parameters/hashsize`, when readable. */
  hashsizeParam: number | undefined;
  /** nf_conntrack built in (no /sys/module/nf_conntrack/initstate) or a loadable module. */
  conntrackBuiltIn: boolean | undefined;
}
