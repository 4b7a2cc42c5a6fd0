import type { GeneratorSpec } from '../core/lab/labScenarios.js';
import type { LabTopology } from '../core/lab/routerTopology.js';
import { type GeneratorProcess, startGenerator } from './generatorProcess.js';
import { LabNamespace } from './labNamespace.js';
import { createRouterTopology } from './routerTopology.js';

/**
 * Where one tuning's load runs. `measured` is the namespace whose table, timeouts and rules are the
 * tuning's: the single lab namespace, or a router topology's router. Always `dispose()` it.
 */
export interface LabPlacement {
  readonly measured: LabNamespace;
  /** The hook whose nat chain sees the load's new flows first: local traffic leaves by output, forwarded arrives by prerouting. */
  readonly natHook: 'output' | 'prerouting';
  /** The spec's servers on their own, when they live apart from the clients (null when not). */
  startServers(spec: GeneratorSpec, seconds: number): GeneratorProcess | null;
  /** The spec's clients (in a single namespace: with their servers, in one process). */
  startClients(spec: GeneratorSpec, seconds: number): GeneratorProcess;
  dispose(): Promise<void>;
}

export async function createPlacement(topology: LabTopology, prefix: string): Promise<LabPlacement> {
  if (topology === 'single') {
    const ns = await LabNamespace.create(prefix);
    return {
      measured: ns,
      natHook: 'output',
      startServers: () => null,
      startClients: (spec, seconds) => startGenerator(ns.path, { ...spec, seconds, role: 'both' }),
      dispose: () => ns.dispose(),
    };
  }
  const { client, router, server, dispose } = await createRouterTopology(prefix);
  return {
    measured: router,
    natHook: 'prerouting',
    startServers: (spec, seconds) => startGenerator(server.path, { ...spec, seconds, role: 'server' }),
    startClients: (spec, seconds) => startGenerator(client.path, { ...spec, seconds, role: 'client' }),
    dispose,
  };
}
