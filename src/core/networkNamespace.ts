import type { WorkloadIdentity } from './doctor/workloadIdentity.js';

export interface NetnsProcess {
  pid: number;
  command: string;
  workload: WorkloadIdentity;
}

export interface NetnsInfo {
  inode: number;
  initial: boolean;
  /** `ip netns` names bound to it. */
  names: string[];
  /** A path that refers to it (for nsenter / ctdoctor --netns). */
  path: string;
  /** A process in it, whose /proc/PID/net files are the namespace's. */
  pid: number | null;
  processes: NetnsProcess[];
  /**
   * Epoch ms by which the namespace surely existed (its `ip netns` file's mtime, its oldest
   * process's start): kernel-log lines older than this may name a dead namespace whose inode was
   * reused, so they are not attributed to it.
   */
  existsSinceMs: number | null;
}
