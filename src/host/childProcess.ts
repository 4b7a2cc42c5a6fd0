import { spawn } from 'node:child_process';
import { CtdoctorError } from '../core/errors.js';

/** The Debian package that provides each tool we call, for "install X" messages. */
const PACKAGE_OF_TOOL: Readonly<Record<string, string>> = {
  conntrack: 'conntrack',
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-legacy': 'iptables',
  ip6tables: 'iptables',
  ipset: 'ipset',
  nsenter: 'util-linux',
  ip: 'iproute2',
  sysctl: 'procps',
  modprobe: 'kmod',
  journalctl: 'systemd',
  dmesg: 'util-linux',
};

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

/** Runs a program with an argument array (never a shell string) and collects its output. */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => reject(toolError(command, error)));
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode: code ?? (signal ? 128 : 1),
      }),
    );
    child.stdin.on('error', () => {}); // a tool that exits without reading its input is not our failure
    child.stdin.end(options.input ?? '');
  });
}

/** Like runTool, but a non-zero exit is an error carrying the tool's own first stderr line. */
export async function runToolChecked(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await runTool(command, args, options);
  if (result.exitCode !== 0) {
    const firstLine = result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}`;
    throw new CtdoctorError('kernel', `${command} ${args.join(' ')} failed: ${firstLine}`);
  }
  return result.stdout;
}

export function toolError(command: string, error: NodeJS.ErrnoException): CtdoctorError {
  if (error.code === 'ENOENT') {
    const pkg = PACKAGE_OF_TOOL[command.split('/').pop() ?? command];
    return new CtdoctorError(
      'missing-tool',
      `${command} is not installed${pkg ? `: apt-get install ${pkg} (or your distribution's ${pkg} package)` : ''}`,
      { cause: error },
    );
  }
  if (error.code === 'EACCES')
    return new CtdoctorError('permission', `cannot run ${command}: permission denied`, { cause: error });
  return new CtdoctorError('kernel', `cannot run ${command}: ${error.message}`, { cause: error });
}
