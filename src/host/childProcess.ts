import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { deadlineExpired } from './errnoReason.js';

/** The Debian package that provides each tool we call, for "install X" messages. */
const PACKAGE_OF_TOOL: Readonly<Record<string, string>> = {
  conntrack: 'conntrack',
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-nft': 'iptables',
  ip6tables: 'iptables',
  ipset: 'ipset',
  nsenter: 'util-linux',
  ip: 'iproute2',
  sysctl: 'procps',
  modprobe: 'kmod',
  journalctl: 'systemd',
  dmesg: 'util-linux',
  mkfifo: 'coreutils',
  cat: 'coreutils',
  // util-linux's logger, packaged apart on Debian (Essential, so always there).
  logger: 'bsdutils',
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

/** Long enough for `conntrack -L` of a full table or `nft list ruleset` of a large firewall. */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * How a wrapper that execs a tool says the tool is absent (nsenter exits 127, `ip netns exec` 1):
 * without this, a missing conntrack inside a namespace read as "conntrack -S failed".
 */
const WRAPPED_NOT_FOUND = [
  /^nsenter: failed to execute (\S+): No such file or directory/m,
  /^exec of "([^"]+)" failed: No such file or directory/m,
];

/**
 * Runs a program with an argument array (never a shell string) and collects its output.
 *
 * The deadline is our own timer, cleared on every way the child can end: Node's `spawn({ timeout })`
 * clears its timer only on 'exit', which a child that failed to start never emits, so a missing tool
 * used to keep the process alive for the whole timeout after the answer was printed.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CtdoctorError(
          'kernel',
          `${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s: killed`,
          { cause: deadlineExpired(timeoutMs) },
        ),
      );
    }, timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      reject(toolError(command, error));
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode: code ?? (signal ? 128 : 1),
      };
      const wrapped = result.exitCode !== 0 ? wrappedToolMissing(result.stderr) : undefined;
      if (wrapped) reject(missingToolError(wrapped));
      else resolve(result);
    });
    child.stdin.on('error', () => {}); // a tool that exits without reading its input is not our failure
    child.stdin.end(options.input ?? '');
  });
}

function wrappedToolMissing(stderr: string): string | undefined {
  for (const pattern of WRAPPED_NOT_FOUND) {
    const match = pattern.exec(stderr);
    if (match) return match[1];
  }
  return undefined;
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

/** "X is not installed", with the Debian package that provides X where we know it. */
export function missingToolError(command: string, cause?: unknown): CtdoctorError {
  const pkg = PACKAGE_OF_TOOL[command.split('/').pop() ?? command];
  return new CtdoctorError(
    'missing-tool',
    `${command} is not installed${pkg ? `: apt-get install ${pkg} (or your distribution's ${pkg} package)` : ''}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Fails with "X is not installed" unless X is an executable on PATH: for work that must not start
 * (a FIFO, a temporary directory) when the tool it feeds cannot run.
 */
export async function requireTool(command: string): Promise<void> {
  if (!(await hasTool(command))) throw missingToolError(command);
}

/** Whether X is an executable on PATH (or, given as a path, executable there). */
export async function hasTool(command: string): Promise<boolean> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return true;
    } catch {
      // not in this directory: try the next
    }
  }
  return false;
}

export function toolError(command: string, error: NodeJS.ErrnoException): CtdoctorError {
  if (error.code === 'ENOENT') return missingToolError(command, error);
  if (error.code === 'EACCES')
    return new CtdoctorError('permission', `cannot run ${command}: permission denied`, { cause: error });
  return new CtdoctorError('kernel', `cannot run ${command}: ${error.message}`, { cause: error });
}
