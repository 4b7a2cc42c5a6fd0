import { withGlobalMax } from '../../src/lab/globalSettings.js';
import type { LabNamespace } from '../../src/lab/labNamespace.js';

/** The lowered global limit the serve kernel tests fill a namespace to (restored by withGlobalMax). */
export const FULL_TABLE_MAX = 400;

/** 300 UDP entries that outlive the test, so a flood after them finds the table full. */
export async function nearlyFill(lab: LabNamespace): Promise<void> {
  await lab.setSysctl('nf_conntrack_udp_timeout', 120);
  await lab.runWorkload('udp-spread', { count: 300, port: 9000 });
}

/**
 * Runs `during` while `lab` (see nearlyFill) is flooded with new flows at a global max of
 * FULL_TABLE_MAX, so it drops; the flood stops and the max is restored however `during` ends.
 */
export function whileDropping<T>(lab: LabNamespace, seconds: number, during: () => Promise<T>): Promise<T> {
  return withGlobalMax(FULL_TABLE_MAX, async () => {
    const flood = lab.startWorkload('udp-spread', {
      count: 100000,
      port: 9100,
      offset: 10000,
      rate: 1000,
      seconds,
    });
    try {
      return await during();
    } finally {
      flood.child.kill();
      await flood.finished;
    }
  });
}
