import { access, readFile } from 'node:fs/promises';
import { KNOWN_HELPERS, type HelperStatus, type HelperPresence } from '../core/plan/conntrackHelpers.js';
import type { NetnsFiles } from './netnsFiles.js';
import { type HostRoots, procPath, sysPath } from './roots.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Loaded as a module, built in, or absent; and whether anything uses each helper. */
/**
 * `scanEntries` lists the whole table to find entries with `helper=`: right for `ctdoctor helpers`,
 * too slow for doctor on a big table, which relies on expectations and rules instead.
 */
export async function readHelperStatus(
  files: NetnsFiles,
  roots: HostRoots,
  scanEntries: boolean,
): Promise<HelperStatus[]> {
  const modules = (await readFile(procPath(roots, 'modules'), 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[0]);
  const listing = scanEntries ? await files.run('conntrack', ['-L']).catch(() => null) : null;
  const expectations = await files.run('conntrack', ['-L', 'expect']).catch(() => null);
  const nft = await files.run('nft', ['list', 'ruleset']).catch(() => null);
  const iptables = await files.run('iptables-save', []).catch(() => null);
  const rulesText = `${nft?.stdout ?? ''}\n${iptables?.stdout ?? ''}`;
  const statuses: HelperStatus[] = [];
  for (const name of KNOWN_HELPERS) {
    const module = `nf_conntrack_${name}`;
    let presence: HelperPresence = 'absent';
    if (modules.includes(module)) presence = 'module-loaded';
    else if (await exists(sysPath(roots, `module/${module}`)))
      presence = (await exists(sysPath(roots, `module/${module}/initstate`))) ? 'module-loaded' : 'built-in';
    const label = name.replace('_', '-');
    const entries = [listing?.stdout, expectations?.stdout].reduce(
      (sum, text) => sum + (text?.match(new RegExp(`helper=${label}\\b`, 'g'))?.length ?? 0),
      0,
    );
    const rules = rulesText
      .split('\n')
      .filter((line) => new RegExp(`(ct helper[^\\n]*"${label}|--helper ${label}\\b)`).test(line));
    statuses.push({ name, presence, entries, rules, inUse: entries > 0 || rules.length > 0 });
  }
  return statuses;
}
