import { access, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { KNOWN_HELPERS, type HelperStatus, type HelperPresence } from '../core/plan/conntrackHelpers.js';
import { isCtdoctorError } from '../core/errors.js';
import { builtInHelpersOf } from '../core/plan/kernelConfigHelpers.js';
import type { RunResult } from './childProcess.js';
import type { NetnsFiles } from './netnsFiles.js';
import { type HostRoots, procPath, sysPath } from './roots.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A listing, or '' when its tool is not installed (then nothing of that kind can use a helper). A
 * listing that failed (not root: nft, iptables-save and conntrack all need CAP_NET_ADMIN) is named in
 * `unread`: its silence is not "unused".
 */
async function readOutput(
  files: NetnsFiles,
  command: string,
  args: string[],
  unread: string[],
): Promise<string> {
  let result: RunResult;
  try {
    result = await files.run(command, args);
  } catch (error) {
    if (isCtdoctorError(error) && error.kind === 'missing-tool') return '';
    throw error;
  }
  if (result.exitCode === 0) return result.stdout;
  const why = result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}`;
  unread.push(`${[command, ...args].join(' ')}: ${why}`);
  return '';
}

/** The running kernel's build configuration, when it carries one (CONFIG_IKCONFIG_PROC); '' otherwise. */
async function kernelConfigText(roots: HostRoots): Promise<string> {
  const packed = await readFile(procPath(roots, 'config.gz')).catch(() => null);
  if (!packed) return '';
  try {
    return gunzipSync(packed).toString('latin1');
  } catch {
    return '';
  }
}

/**
 * Loaded as a module, built in, or absent; and whether anything uses each helper.
 *
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
  const builtInByConfig = builtInHelpersOf(await kernelConfigText(roots));
  const unread: string[] = [];
  const listing = scanEntries ? await readOutput(files, 'conntrack', ['-L'], unread) : '';
  const expectations = await readOutput(files, 'conntrack', ['-L', 'expect'], unread);
  const rulesText = `${await readOutput(files, 'nft', ['list', 'ruleset'], unread)}\n${await readOutput(files, 'iptables-save', [], unread)}`;
  const usageUnknown =
    unread.length === 0
      ? null
      : process.getuid?.() === 0
        ? unread.join('; ')
        : 'the rules and entries that use helpers need root to read: run with sudo';
  const statuses: HelperStatus[] = [];
  for (const name of KNOWN_HELPERS) {
    const module = `nf_conntrack_${name}`;
    let presence: HelperPresence = 'absent';
    if (modules.includes(module)) presence = 'module-loaded';
    else if (await exists(sysPath(roots, `module/${module}`)))
      presence = (await exists(sysPath(roots, `module/${module}/initstate`))) ? 'module-loaded' : 'built-in';
    else if (builtInByConfig.has(name)) presence = 'built-in';
    const label = name.replace('_', '-');
    const entries = [listing, expectations].reduce(
      (sum, text) => sum + (text.match(new RegExp(`helper=${label}\\b`, 'g'))?.length ?? 0),
      0,
    );
    const rules = rulesText
      .split('\n')
      .filter((line) => new RegExp(`(ct helper[^\\n]*"${label}|--helper ${label}\\b)`).test(line));
    const inUse = entries > 0 || rules.length > 0;
    statuses.push({ name, presence, entries, rules, inUse, usageUnknown: inUse ? null : usageUnknown });
  }
  return statuses;
}
