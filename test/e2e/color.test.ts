import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { colorWanted } from '../../src/render/colors.js';
import { runCli } from '../support/cli.js';
import { CLI, fixture } from '../support/paths.js';

const status = ['status', '--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];
/** None of the colour variables of the environment the tests run in. */
const plain = { NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, TERM: 'xterm' };
const ESCAPE = '\x1b[';

async function coloured(args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await runCli([...status, ...args], { env: { ...plain, ...env } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /CRITICAL/);
  return result.stdout.includes(ESCAPE);
}

describe('#11.29 colour follows --color/--no-color, FORCE_COLOR, NO_COLOR and the terminal, never CI', () => {
  it('#11.29 into a pipe: plain, with CI set too', async () => {
    assert.equal(await coloured([], {}), false);
    assert.equal(await coloured([], { CI: 'true' }), false);
  });

  it('#11.29 FORCE_COLOR=0 and false turn colour off; 1 and true turn it on into a pipe', async () => {
    assert.equal(await coloured([], { FORCE_COLOR: '0', CI: 'true' }), false);
    assert.equal(await coloured([], { FORCE_COLOR: 'false' }), false);
    assert.equal(await coloured([], { FORCE_COLOR: '1' }), true);
    assert.equal(await coloured([], { FORCE_COLOR: 'true' }), true);
  });

  it('#11.29 --no-color and --color are accepted and win over the environment', async () => {
    assert.equal(await coloured(['--no-color'], { FORCE_COLOR: '1' }), false);
    assert.equal(await coloured(['--color'], { NO_COLOR: '1' }), true);
  });

  it('#11.29 on a terminal: coloured, except with NO_COLOR or TERM=dumb', () => {
    // script(1) (util-linux) gives the CLI a pseudo-terminal as stdout.
    const onTerminal = (env: NodeJS.ProcessEnv) => {
      const command = [process.execPath, CLI, ...status].map((word) => `'${word}'`).join(' ');
      const run = spawnSync('script', ['-qec', command, '/dev/null'], {
        env: { ...process.env, ...plain, ...env },
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /CRITICAL/);
      return run.stdout.includes(ESCAPE);
    };
    assert.equal(onTerminal({}), true);
    assert.equal(onTerminal({ NO_COLOR: '1' }), false);
    assert.equal(onTerminal({ TERM: 'dumb' }), false);
  });

  it('#11.29 colorWanted: an empty NO_COLOR is no request; FORCE_COLOR wins over NO_COLOR, as in Node', () => {
    assert.equal(colorWanted(undefined, { NO_COLOR: '' }, true), true);
    assert.equal(colorWanted(undefined, { NO_COLOR: '1', FORCE_COLOR: '2' }, false), true);
    assert.equal(colorWanted(undefined, { FORCE_COLOR: 'bogus' }, false), false);
    assert.equal(colorWanted(false, { FORCE_COLOR: '3' }, true), false);
  });
});
