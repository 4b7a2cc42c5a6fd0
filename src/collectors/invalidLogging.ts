import type { InvalidLogging } from '../core/conntrackSettings.js';
import { readInvalidLogging } from '../host/invalidLogging.js';
import type { NetnsFiles } from '../host/netnsFiles.js';
import { type Collected, collect } from './collector.js';

/** The settings invalid-heavy's commands change and restore: log_invalid and tcp_be_liberal. */
export function invalidLogging(files: NetnsFiles): Promise<Collected<InvalidLogging>> {
  return collect('invalid-packet logging settings', () => readInvalidLogging(files));
}
