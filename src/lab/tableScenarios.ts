import type { LabNamespace } from './labNamespace.js';

/**
 * Table patterns made for real in a lab namespace, each with what `ctdoctor analyze` must report
 * (kind and subject; `unreplied-heavy`, which accompanies several of them, is not listed). The
 * fixture capture script, the kernel tests and the coming `lab` command share them.
 */
export interface TableScenario {
  name: string;
  description: string;
  make: (lab: LabNamespace) => Promise<unknown>;
  expected: [kind: string, subject: string][];
}

export const SCANNER = '127.0.0.66';
export const POOL = { client: '127.0.0.50', server: '127.0.0.60', port: 5432 } as const;

export const TABLE_SCENARIOS: TableScenario[] = [
  {
    name: 'scan',
    description: 'a TCP port scan from one source',
    make: async (lab) => {
      await lab.runWorkload('udp-answered', { count: 20 });
      await lab.runWorkload('tcp-scan', { ports: '20000-20199', source: SCANNER });
    },
    expected: [['port-scan', SCANNER]],
  },
  {
    name: 'udp-flood',
    description: 'a UDP flood from many 127.x sources to one port',
    make: (lab) => lab.runWorkload('udp-sources', { count: 300, offset: 500, target: '127.0.0.1', port: 53 }),
    expected: [['udp-flood', '127.0.0.1:53/udp']],
  },
  {
    name: 'time-wait',
    description: 'a TIME_WAIT pile from short TCP connections',
    make: (lab) => lab.runWorkload('tcp-churn', { count: 300, port: 8080 }),
    expected: [['time-wait-pile', 'TIME_WAIT']],
  },
  {
    name: 'pool',
    description: 'a held-open pool of ESTABLISHED connections',
    make: (lab) => lab.startWorkload('tcp-hold', { count: 300, ...POOL }).ready,
    expected: [['established-leak', `${POOL.client} -> ${POOL.server}:${POOL.port}`]],
  },
  {
    name: 'healthy',
    description: 'a healthy mix: a pool spread over 50 clients, a few short connections, answered DNS',
    make: async (lab) => {
      await lab.startWorkload('tcp-hold', {
        count: 200,
        clients: 50,
        offset: 100,
        server: POOL.server,
        port: POOL.port,
      }).ready;
      await lab.runWorkload('tcp-churn', { count: 60, port: 8080 });
      await lab.runWorkload('udp-answered', { count: 150 });
    },
    expected: [],
  },
];

export function scenario(name: string): TableScenario {
  const found = TABLE_SCENARIOS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no lab scenario ${name}`);
  return found;
}
