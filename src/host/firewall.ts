import { CtdoctorError } from '../core/errors.js';
import type { FirewallBackend } from '../core/firewall/firewallBackend.js';
import { type RunResult, missingToolError } from './childProcess.js';
import type { NetnsFiles } from './netnsFiles.js';

export type Backend = FirewallBackend;
export type BackendChoice = 'auto' | 'nft' | 'iptables' | Backend;

/**
 * How nft ("Operation not permitted"), iptables ("Permission denied (you must be root)"), ipset and
 * nsenter say the caller lacks CAP_NET_ADMIN.
 */
const NEEDS_ROOT = /Permission denied|Operation not permitted/;

function firstLine(result: RunResult): string {
  return result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`;
}

/** Runs firewall tools inside the namespace, failing with the tool's own first line. */
export class Firewall {
  constructor(
    readonly files: NetnsFiles,
    readonly backend: Backend,
  ) {}

  /** The binary for IPv4 or IPv6 rules of an iptables flavour. */
  iptables(family: 4 | 6 = 4): string {
    const base = family === 6 ? 'ip6tables' : 'iptables';
    return this.backend === 'iptables-legacy' ? `${base}-legacy` : `${base}-nft`;
  }

  /**
   * A refusal for want of privileges is an error here, whatever the caller does with other exit
   * codes: a probe (`iptables -C`, `nft list set`) that reads "permission denied" as "absent" would
   * plan rules that exist or list nothing blocked.
   */
  async run(command: string, args: readonly string[], input?: string): Promise<RunResult> {
    const result = await this.files.run(command, args, input);
    if (result.exitCode !== 0 && NEEDS_ROOT.test(result.stderr)) {
      const refusal = `${command} ${args.join(' ')}: ${firstLine(result)}`;
      // Root refused too (a container without CAP_NET_ADMIN, a table another owner locks): sudo is no fix.
      throw process.getuid?.() === 0
        ? new CtdoctorError('permission', `${refusal} (as root: this namespace lacks CAP_NET_ADMIN?)`)
        : new CtdoctorError('permission', 'reading or changing the firewall needs root: run with sudo', {
            cause: new Error(refusal),
          });
    }
    return result;
  }

  async check(command: string, args: readonly string[], input?: string): Promise<string> {
    const result = await this.run(command, args, input);
    if (result.exitCode !== 0)
      throw new CtdoctorError('kernel', `${command} ${args.join(' ')}: ${firstLine(result)}`);
    return result.stdout;
  }

  /** The argv that runs `command args` in this namespace, for the journal's undo. */
  argv(command: string, args: readonly string[]): string[] {
    return [...this.files.enterPrefix, command, ...args];
  }
}

async function available(files: NetnsFiles, command: string, args: string[]): Promise<RunResult | null> {
  try {
    return await files.run(command, args);
  } catch (error) {
    if (error instanceof CtdoctorError && error.kind === 'missing-tool') return null;
    throw error;
  }
}

/** `iptables --version` of the legacy flavour says "(legacy)"; iptables-nft says "(nf_tables)". */
async function iptablesFlavour(files: NetnsFiles): Promise<Backend | null> {
  const version = await available(files, 'iptables', ['--version']);
  if (!version) return null;
  return /legacy/.test(version.stdout) ? 'iptables-legacy' : 'iptables-nft';
}

/**
 * Which firewall the host uses, from what every user can see: the tools installed and what the
 * host's `iptables` is (`--version`, which needs no privileges). Never from a listing of the
 * ruleset: that needs root, and a plan must name the same backend with and without sudo.
 * - `iptables` is the legacy flavour (update-alternatives points at it): the host's rules live in
 *   x_tables, so ours go there too, where `iptables -L` shows them;
 * - else nft when installed: our own tables sit in the same nf_tables ruleset as iptables-nft's;
 * - else iptables-nft.
 * `--backend` overrides.
 */
export async function detectBackend(files: NetnsFiles, choice: BackendChoice): Promise<Backend> {
  const needs = async (backend: Backend, command: string): Promise<Backend> => {
    const result = await available(files, command, ['--version']);
    if (!result || (result.exitCode !== 0 && !/v\d/.test(result.stdout + result.stderr))) {
      throw missingToolError(command);
    }
    return backend;
  };
  if (choice === 'nft' || choice === 'iptables-nft' || choice === 'iptables-legacy') {
    return needs(
      choice,
      choice === 'nft' ? 'nft' : `iptables-${choice === 'iptables-nft' ? 'nft' : 'legacy'}`,
    );
  }
  const iptables = await iptablesFlavour(files);
  if (choice === 'iptables') {
    if (!iptables) throw missingToolError('iptables');
    return iptables;
  }
  if (iptables === 'iptables-legacy') return iptables;
  const nft = await available(files, 'nft', ['--version']);
  if (nft && nft.exitCode === 0) return 'nft';
  if (iptables) return iptables;
  throw new CtdoctorError('missing-tool', 'no firewall tool found: apt-get install nftables (or iptables)');
}
