import { BUCKETS_KEY, MAX_KEY } from '../core/plan/mitigationPlan.js';
import { CTDOCTOR_MARK, type PersistPlan, planPersist } from '../core/plan/persistPlan.js';
import { parseSysctlConf } from '../core/plan/sysctlConf.js';
import { CtdoctorError } from '../core/errors.js';
import { readSysctlTree, underRoot } from '../host/confTree.js';
import type { SysctlAccess } from '../host/sysctlAccess.js';

export interface PersistRequest {
  root: string;
  /** Keys to set (max/buckets default to the running values). */
  overrides: Record<string, string>;
  target: 'dropin' | 'sysctl.conf';
  fixConflicts: boolean;
  conntrackBuiltIn: boolean | undefined;
}

/**
 * The values to persist: what ctdoctor's file already holds (so a new timeout never drops an older
 * one), the running max and buckets, then the requested overrides; and the plan that writes them.
 */
export async function planPersistRequest(
  request: PersistRequest,
  access: SysctlAccess,
): Promise<{ plan: PersistPlan; values: Record<string, string> }> {
  const tree = await readSysctlTree(request.root);
  const ours = tree.files.find((file) => file.text?.startsWith(CTDOCTOR_MARK));
  const values: Record<string, string> = {};
  for (const assignment of ours ? parseSysctlConf(ours.text!, ours.path) : []) {
    if (assignment.value !== null && !assignment.glob) values[assignment.key] = assignment.value;
  }
  for (const key of [MAX_KEY, BUCKETS_KEY]) {
    const running = await access.read(key);
    if (running !== undefined) values[key] = running;
  }
  Object.assign(values, request.overrides);
  if (!values[MAX_KEY] || !values[BUCKETS_KEY]) {
    throw new CtdoctorError(
      'not-loaded',
      'nf_conntrack is not loaded: nothing to read the running values from (give --max and --buckets)',
    );
  }
  for (const key of Object.keys(request.overrides)) {
    if ((await access.read(key)) === undefined)
      throw new CtdoctorError('usage', `${key} does not exist on this kernel`);
  }
  const plan = planPersist({
    values,
    files: tree.files,
    sysctlConf: tree.sysctlConf,
    loopingDirs: tree.loopingDirs,
    onDisk: (path) => underRoot(request.root, path),
    target: request.target,
    fixConflicts: request.fixConflicts,
    conntrackBuiltIn: request.conntrackBuiltIn,
    hashsize: Number(values[BUCKETS_KEY]),
  });
  return { plan, values };
}
