import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type GeneratorDone, parseGeneratorLine } from '../core/lab/generatorReport.js';
import { CtdoctorError } from '../core/errors.js';
import type { GeneratorArgs } from './generator.js';

const GENERATOR_SCRIPT = fileURLToPath(new URL('../lab/generator.js', import.meta.url));
/** A generator stopped with SIGTERM reports within this; past it, it is killed and reports nothing. */
const STOP_GRACE_MS = 2000;

export interface GeneratorProcess {
  readonly args: GeneratorArgs;
  /** Its servers listen: the workload may start being measured. */
  readonly ready: Promise<void>;
  /** Its report; rejects when it fails or is killed before reporting. */
  readonly done: Promise<GeneratorDone>;
  /** Asks it to stop now and report what it did. */
  stop(): void;
}

/**
 * A generator (generator.ts) entered into the namespace at `netnsPath` by nsenter, which execs node
 * under the same pid after setns: the process and everything it opens live in the lab's namespace.
 */
export function startGenerator(netnsPath: string, args: GeneratorArgs): GeneratorProcess {
  const child: ChildProcess = spawn(
    'nsenter',
    [`--net=${netnsPath}`, '--', process.execPath, GENERATOR_SCRIPT, JSON.stringify(args)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let buffered = '';
  let stderr = '';
  let report: GeneratorDone | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const message = parseGeneratorLine(line);
      if (message?.type === 'ready') markReady();
      if (message?.type === 'done') report = message;
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<GeneratorDone>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new CtdoctorError(
          'missing-tool',
          `cannot start the lab generator through nsenter: ${error.message} (apt-get install util-linux)`,
        ),
      ),
    );
    child.once('close', (code) => {
      if (report) resolve(report);
      else
        reject(
          new CtdoctorError(
            'kernel',
            `the ${args.kind} generator exited ${code}: ${stderr.trim() || 'no report'}`,
          ),
        );
    });
  });
  done.catch(() => {});
  return {
    args,
    ready: Promise.race([
      ready,
      done.then(
        () => {},
        () => {},
      ),
    ]),
    done,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
    },
  };
}
