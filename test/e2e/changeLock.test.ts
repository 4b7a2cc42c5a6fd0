import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';
import { makeTree } from '../support/sysctlTrees.js';

const LOCK_MODULE = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'actions', 'changeLock.js')).href;
const HOST_MODULE = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'host', 'hostSeam.js')).href;

/**
 * One contender: waits for the common start instant (so all race within a millisecond or two), then
 * holds the lock for a moment, logging when it enters and leaves; prints "ran" or the error's kind.
 */
const CONTENDER = `
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const [moduleUrl, hostUrl, stateDir, log, startAt] = process.argv.slice(2);
const { withChangeLock } = await import(moduleUrl);
const { realHost } = await import(hostUrl);
await sleep(Math.max(0, Number(startAt) - Date.now() - 20));
while (Date.now() < Number(startAt)) {}
try {
  await withChangeLock({ stateDir, host: realHost }, async () => {
    appendFileSync(log, 'enter ' + process.pid + '\\n');
    await sleep(30);
    appendFileSync(log, 'exit ' + process.pid + '\\n');
  });
  process.stdout.write('ran\\n');
} catch (error) {
  process.stdout.write(error.kind + ': ' + error.message + '\\n');
}
`;

function run(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', () => resolve(stdout));
  });
}

/** The pid of a process that has exited: what a crashed ctdoctor leaves in its lock. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid;
  assert.ok(pid > 0);
  return pid;
}

describe('the change lock', () => {
  it('#11.5 contenders racing for a stale lock never hold it at the same time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctd-lock-'));
    const script = join(dir, 'contender.mjs');
    writeFileSync(script, CONTENDER);
    const contenders = 12;
    for (let round = 0; round < 4; round++) {
      const stateDir = join(dir, `state-${round}`);
      mkdirSync(stateDir, { mode: 0o700 });
      writeFileSync(join(stateDir, 'lock'), String(deadPid()));
      const log = join(dir, `log-${round}`);
      writeFileSync(log, '');
      const startAt = String(Date.now() + 1500);
      const outputs = await Promise.all(
        Array.from({ length: contenders }, () =>
          run(script, [LOCK_MODULE, HOST_MODULE, stateDir, log, startAt]),
        ),
      );
      for (const output of outputs)
        assert.match(output, /^(ran|busy: another ctdoctor \(pid \d+\) is changing the system.*)\n$/, output);
      const ran = outputs.filter((output) => output === 'ran\n').length;
      assert.ok(ran >= 1, 'someone took the stale lock over');
      const events = readFileSync(log, 'utf8').trim().split('\n');
      assert.equal(events.length, 2 * ran);
      for (let index = 0; index < events.length; index += 2) {
        const pid = events[index]!.split(' ')[1];
        assert.deepEqual(
          [events[index], events[index + 1]],
          [`enter ${pid}`, `exit ${pid}`],
          `round ${round}: two processes held the lock at once:\n${events.join('\n')}`,
        );
      }
    }
  });

  it('#11.5 a lock held by a live process is one busy line naming its pid and the lock', async () => {
    const tree = makeTree({});
    const state = mkdtempSync(join(tmpdir(), 'ctd-state-'));
    writeFileSync(join(state, 'lock'), String(process.pid));
    const result = await runCli(['rollback', '--root', tree, '--state-dir', state]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `ctdoctor: another ctdoctor (pid ${process.pid}) is changing the system; retry when it is done (lock ${join(state, 'lock')})\n`,
    );
    assert.equal(readFileSync(join(state, 'lock'), 'utf8'), String(process.pid), 'the lock is left alone');
  });
});
