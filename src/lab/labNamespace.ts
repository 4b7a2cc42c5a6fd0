import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type RunResult, runTool, runToolChecked } from '../host/childProcess.js';
import { IP_NETNS_DIR } from '../host/netns.js';
import { processAlive } from '../host/processAlive.js';
import { BLACKHOLE_NET } from '../core/lab/labEndpoints.js';

const WORKLOAD_SCRIPT = fileURLToPath(new URL('../lab/workload.js', import.meta.url));

/**
 * The ruleset that makes conntrack track this namespace: a fresh namespace tracks nothing until a
 * rule needs connection state (KERNEL-FACTS "Conntrack only tracks ... once something needs it").
 */
function trackingRuleset(): string {
  return [
    'table inet ctdoctor_lab {',
    '  chain output { type filter hook output priority 0; policy accept; ct state new counter accept; }',
    `  chain input { type filter hook input priority 0; policy accept; ip daddr ${BLACKHOLE_NET} ct state new drop; }`,
    '}',
    '',
  ].join('\n');
}

/**
 * A namespace that tracks nothing (no rule needs connection state) and drops what reaches the
 * blackhole: a router topology's ends, so the router's table is the only one the load fills.
 */
export function untrackedRuleset(): string {
  return [
    'table inet ctdoctor_lab {',
    `  chain input { type filter hook input priority 0; policy accept; ip daddr ${BLACKHOLE_NET} drop; }`,
    '}',
    '',
  ].join('\n');
}

export interface WorkloadHandle {
  child: ChildProcess;
  /** Resolves with the workload's last JSON line when it exits. */
  finished: Promise<Record<string, unknown>>;
  /** Resolves when a long-running workload prints {"ready":true}. */
  ready: Promise<void>;
}

/** A throwaway network namespace with loopback up and conntrack active. Always `dispose()` it. */
export class LabNamespace {
  readonly path: string;
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly name: string,
    readonly inode: number,
  ) {
    this.path = `${IP_NETNS_DIR}/${name}`;
  }

  /** `ruleset` is the namespace's first nft ruleset: by default the one that makes it track. */
  static async create(prefix = 'ctdlab', ruleset = trackingRuleset()): Promise<LabNamespace> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await runToolChecked('ip', ['netns', 'add', name]);
    try {
      await runToolChecked('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      await runToolChecked('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { input: ruleset });
      const inode = (await stat(`${IP_NETNS_DIR}/${name}`)).ino;
      return new LabNamespace(name, inode);
    } catch (error) {
      await runTool('ip', ['netns', 'del', name]);
      throw error;
    }
  }

  exec(command: string, args: readonly string[], input?: string): Promise<RunResult> {
    return runTool('ip', ['netns', 'exec', this.name, command, ...args], { input });
  }

  async execChecked(command: string, args: readonly string[], input?: string): Promise<string> {
    return runToolChecked('ip', ['netns', 'exec', this.name, command, ...args], { input });
  }

  async readSysctl(key: string): Promise<string> {
    return (await this.execChecked('cat', [`/proc/sys/net/netfilter/${key}`])).trim();
  }

  async count(): Promise<number> {
    return Number(await this.readSysctl('nf_conntrack_count'));
  }

  async setSysctl(key: string, value: number | string): Promise<void> {
    await this.execChecked('sysctl', ['-q', '-w', `net.netfilter.${key}=${value}`]);
  }

  /** Starts a workload (see workload.ts for modes) inside the namespace. */
  startWorkload(mode: string, args: Record<string, string | number>): WorkloadHandle {
    const argv = Object.entries(args).flatMap(([key, value]) => [`--${key}`, String(value)]);
    const child = spawn(
      'ip',
      ['netns', 'exec', this.name, process.execPath, WORKLOAD_SCRIPT, mode, ...argv],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    let signalReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      signalReady = resolve;
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"ready":true')) signalReady();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const finished = new Promise<Record<string, unknown>>((resolve, reject) => {
      child.on('close', (code, signal) => {
        this.children.delete(child);
        const last = stdout.trim().split('\n').pop() ?? '';
        if (code === 0) resolve(last ? JSON.parse(last) : {});
        else if (signal) resolve({ killed: signal });
        else reject(new Error(`workload ${mode} exited ${code}: ${stderr.trim()}`));
      });
    });
    finished.catch(() => {}); // observed by callers that await it; never an unhandled rejection
    // `ready` also settles when the workload ends early, and never rejects: a failed workload is
    // reported through `finished`, so a caller awaiting only `ready` cannot crash the process.
    const settled = finished.then(
      () => {},
      () => {},
    );
    return { child, finished, ready: Promise.race([ready, settled]) };
  }

  async runWorkload(mode: string, args: Record<string, string | number>): Promise<Record<string, unknown>> {
    return this.startWorkload(mode, args).finished;
  }

  /** Waits until `predicate` holds, polling; no blind sleeps. */
  async waitFor(predicate: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${this.name}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills every workload and deletes the namespace (and with it all its conntrack entries). */
  async dispose(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    const pids = await runTool('ip', ['netns', 'pids', this.name]);
    for (const pid of pids.stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await runTool('ip', ['netns', 'del', this.name]);
  }
}

/** Creates a namespace, runs `body`, and deletes the namespace even when `body` throws. */
export async function withLabNamespace<T>(
  body: (lab: LabNamespace) => Promise<T>,
  prefix?: string,
): Promise<T> {
  const lab = await LabNamespace.create(prefix);
  try {
    return await body(lab);
  } finally {
    await lab.dispose();
  }
}

/**
 * Namespaces a lab made (named PREFIX-PID-…) whose process is gone: a lab killed by SIGKILL cannot
 * clean up, so the next one does. Namespaces of a live process are never touched.
 */
export async function removeStaleLabNamespaces(prefix: string): Promise<string[]> {
  const listing = await runTool('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of listing.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${prefix}-(\\d+)-[0-9a-f]+$`).exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    const pids = await runTool('ip', ['netns', 'pids', name]);
    for (const pid of pids.stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await runTool('ip', ['netns', 'del', name]);
    removed.push(name);
  }
  return removed;
}
