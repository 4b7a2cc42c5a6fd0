import { CtdoctorError } from '../core/errors.js';
import type { RunResult } from './childProcess.js';
import type { NetnsFiles } from './netnsFiles.js';

export type Backend = 'nft' | 'iptables-nft' | 'iptables-legacy';
export type BackendChoice = 'auto' | 'nft' | 'iptables' | Backend;

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

  async run(command: string, args: readonly string[], input?: string): Promise<RunResult> {
    return this.files.run(command, args, input);
  }

  async check(command: string, args: readonly string[], input?: string): Promise<string> {
    const result = await this.run(command, args, input);
    if (result.exitCode !== 0) {
      const line = result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`;
      throw new CtdoctorError(
        /Permission denied|Operation not permitted/.test(line) ? 'permission' : 'kernel',
        `${command} ${args.join(' ')}: ${line}`,
      );
    }
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

/**
 * Which firewall the host uses: iptables-legacy if it holds rules, iptables-nft if the nft ruleset
 * was written by it, else native nft; `--backend` overrides.
 */
export async function detectBackend(files: NetnsFiles, choice: BackendChoice): Promise<Backend> {
  const needs = async (backend: Backend, command: string): Promise<Backend> => {
    const result = await available(files, command, ['--version']);
    if (!result || (result.exitCode !== 0 && !/v\d/.test(result.stdout + result.stderr))) {
      throw new CtdoctorError(
        'missing-tool',
        `${command} is not installed: apt-get install ${backend === 'nft' ? 'nftables' : 'iptables'}`,
      );
    }
    return backend;
  };
  if (choice === 'nft' || choice === 'iptables-nft' || choice === 'iptables-legacy') {
    return needs(
      choice,
      choice === 'nft' ? 'nft' : `iptables-${choice === 'iptables-nft' ? 'nft' : 'legacy'}`,
    );
  }
  if (choice === 'iptables') {
    const version = await available(files, 'iptables', ['--version']);
    if (!version)
      throw new CtdoctorError('missing-tool', 'iptables is not installed: apt-get install iptables');
    return /legacy/.test(version.stdout) ? 'iptables-legacy' : 'iptables-nft';
  }
  const legacy = await available(files, 'iptables-legacy-save', []);
  if (legacy && /^-A /m.test(legacy.stdout)) return 'iptables-legacy';
  const nft = await available(files, 'nft', ['list', 'ruleset']);
  if (nft && nft.exitCode === 0) {
    if (/# Warning: table .* is managed by iptables-nft|xt (match|target)/.test(nft.stdout))
      return 'iptables-nft';
    return 'nft';
  }
  const iptables = await available(files, 'iptables', ['--version']);
  if (iptables) return /legacy/.test(iptables.stdout) ? 'iptables-legacy' : 'iptables-nft';
  throw new CtdoctorError('missing-tool', 'no firewall tool found: apt-get install nftables (or iptables)');
}
