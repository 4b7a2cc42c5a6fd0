import { CtdoctorError } from '../errors.js';
import { KERNEL_DEFAULT_TIMEOUTS } from './timeoutDefaults.js';
import { PROTECTED_PORTS } from './timeoutImpact.js';
import { RECOMMENDED_TIMEOUTS } from './recommendedTimeouts.js';
import { parseTimeoutSpec } from './timeoutSpec.js';

/** One row of the timeouts table, in seconds; null where the kernel documents no default. */
export interface TimeoutRow {
  name: string;
  current: number;
  default: number | null;
  recommended: number | null;
}

/** A proposed timeout (`--set`), by sysctl short name, with the value it replaces. */
export interface TimeoutChange {
  name: string;
  currentSeconds: number;
  newSeconds: number;
}

/** Every timeout of a table entry, by name, beside its kernel default and the recommended value. */
export function timeoutRows(current: Readonly<Record<string, number>>): TimeoutRow[] {
  // frag6_timeout is IPv6 reassembly, not the lifetime of a table entry.
  return Object.keys(current)
    .filter((name) => !name.startsWith('frag'))
    .sort()
    .map((name) => ({
      name,
      current: current[name]!,
      default: KERNEL_DEFAULT_TIMEOUTS[name] ?? null,
      recommended: RECOMMENDED_TIMEOUTS[name] ?? KERNEL_DEFAULT_TIMEOUTS[name] ?? null,
    }));
}

/** The `--set NAME=SECONDS` values, each refused unless this kernel has that timeout. */
export function planTimeoutChanges(
  specs: readonly string[],
  current: Readonly<Record<string, number>>,
): TimeoutChange[] {
  return specs.map((spec) => {
    const { name, seconds } = parseTimeoutSpec(spec, '--set');
    const currentSeconds = current[name];
    if (currentSeconds === undefined)
      throw new CtdoctorError(
        'usage',
        `--set "${spec}": this kernel has no timeout ${name} (see ctdoctor timeouts)`,
      );
    return { name, currentSeconds, newSeconds: seconds };
  });
}

/** PROTECTED_PORTS and the `--protect` ports, each a long-lived service a shorter timeout may cut. */
export function protectedPortsWith(ports: readonly string[]): Record<number, string> {
  const protectedPorts: Record<number, string> = { ...PROTECTED_PORTS };
  for (const port of ports) {
    if (!/^\d+$/.test(port) || Number(port) > 65535)
      throw new CtdoctorError('usage', `--protect ${port} is not a port`);
    protectedPorts[Number(port)] = `port ${port}`;
  }
  return protectedPorts;
}

/** The command that makes the changes survive a reboot; null when there are none or --persist did it. */
export function persistCommandFor(changes: readonly TimeoutChange[], persisting: boolean): string | null {
  if (changes.length === 0 || persisting) return null;
  return `ctdoctor persist ${changes.map((c) => `--timeout ${c.name}=${c.newSeconds}`).join(' ')} --apply`;
}
