import { type TopologyRole, ROUTER_TOPOLOGY, routerTopologySteps } from '../core/lab/routerTopology.js';
import { runToolChecked } from '../host/childProcess.js';
import { LabNamespace, untrackedRuleset } from './labNamespace.js';

/**
 * The three namespaces of a client → router → server lab (src/core/lab/routerTopology.ts); only the
 * router tracks connections. Always `dispose()` it.
 */
export interface RouterTopology {
  client: LabNamespace;
  router: LabNamespace;
  server: LabNamespace;
  dispose(): Promise<void>;
}

/** Creates the namespaces, joins them with two veth pairs and routes 127/8 across the router. */
export async function createRouterTopology(prefix: string): Promise<RouterTopology> {
  const made: LabNamespace[] = [];
  const dispose = async () => {
    for (const ns of made.splice(0)) await ns.dispose();
  };
  try {
    for (const ruleset of [untrackedRuleset(), undefined, untrackedRuleset()])
      made.push(await LabNamespace.create(prefix, ruleset));
    const [client, router, server] = made as [LabNamespace, LabNamespace, LabNamespace];
    const { links } = ROUTER_TOPOLOGY;
    const pair = (a: LabNamespace, aName: string, b: LabNamespace, bName: string) =>
      runToolChecked('ip', [
        'link',
        'add',
        aName,
        'netns',
        a.name,
        'type',
        'veth',
        'peer',
        'name',
        bName,
        'netns',
        b.name,
      ]);
    await pair(client, links.client, router, links.routerClient);
    await pair(router, links.routerServer, server, links.server);
    const byRole: Record<TopologyRole, LabNamespace> = { client, router, server };
    for (const step of routerTopologySteps()) await byRole[step.role].execChecked(step.command, step.args);
    return { client, router, server, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
