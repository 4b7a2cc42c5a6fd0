import type { HostFacts } from '../core/hostFacts.js';
import {
  type PersistAudit,
  type PersistenceState,
  auditPersistenceState,
  auditedKeys,
} from '../core/plan/persistAudit.js';
import { readSysctlTree } from '../host/confTree.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';
import { type Collected, collect, required } from './collector.js';

/** Persistence state: the sysctl.d tree under `root` and the runtime value of every key it audits. */
export function persistenceState(root: string, access: SysctlAccess): Promise<Collected<PersistenceState>> {
  return collect('persistence state', async () => {
    const tree = await readSysctlTree(root);
    const runtime: Record<string, string | null> = {};
    for (const key of auditedKeys(tree)) runtime[key] = (await access.read(key)) ?? null;
    return { tree, runtime };
  });
}

/** The persistence audit of `root`, read and then judged in core (core/plan/persistAudit.ts). */
export async function auditPersistence(
  root: string,
  access: SysctlAccess,
  facts: HostFacts,
): Promise<PersistAudit> {
  return auditPersistenceState(required(await persistenceState(root, access)), facts);
}
