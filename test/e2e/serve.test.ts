import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';
import { capturedNetlinkTotal, fixture } from '../support/paths.js';
import { promtoolProblems, startServe } from '../support/serve.js';

const TREE = ['--proc-root', fixture('proc-6.18-full'), '--sys-root', fixture('sys-empty')];

describe('serve as a user runs it', () => {
  it('--textfile --once writes a clean exposition atomically for the textfile collector, and exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-textfile-'));
    try {
      const result = await runCli(['serve', ...TREE, '--textfile', dir, '--once']);
      assert.equal(result.code, 0, result.stderr);
      // Only the finished file: no temp file left beside it for node_exporter to trip on.
      assert.deepEqual(readdirSync(dir), ['ctdoctor.prom']);
      const text = readFileSync(join(dir, 'ctdoctor.prom'), 'utf8');
      assert.match(
        text,
        new RegExp(
          `^ctdoctor_conntrack_stat_drop_total\\{netns="0",netns_name=""\\} ${capturedNetlinkTotal('proc-6.18-full', 'drop')}$`,
          'm',
        ),
      );
      assert.equal(promtoolProblems(text), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('listens (loopback), serves only reads, passes promtool, and stops cleanly on SIGTERM', async () => {
    const serve = await startServe([...TREE, '--listen', '127.0.0.1:0', '--interval', '0.2']);
    try {
      assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${serve.url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      assert.match(text, /^ctdoctor_conntrack_entries\{netns="0",netns_name=""\} 200$/m);
      assert.equal(promtoolProblems(text), '');
      assert.match(await (await fetch(`${serve.url}/`)).text(), /href="\/metrics"/);
      assert.equal((await fetch(`${serve.url}/metrics`, { method: 'POST' })).status, 405);
      assert.equal((await fetch(`${serve.url}/nope`)).status, 404);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
    assert.match(serve.stderr(), /stopping on SIGTERM/);
  });

  for (const [args, message] of [
    [['--listen', 'localhost'], /--listen "localhost" is not ADDRESS:PORT/],
    [['--listen', '127.0.0.1:70000'], /--listen "127.0.0.1:70000" is not ADDRESS:PORT/],
    [['--once'], /--once writes the textfile once: give --textfile DIR too/],
    [
      ['--listen', '127.0.0.1:9466', '--textfile', '/tmp'],
      /--listen .* cannot be used with option '--textfile/,
    ],
    [['--max-netns', '0'], /--max-netns 0: must be a whole number from 1/],
    [['--interval', '0'], /--interval must be from 0.1 s to 1 h/],
    [['--textfile', '/nonexistent-ctdoctor-dir'], /--textfile/],
    [['--relief-budget', '2G'], /--relief-budget configures --auto-relief: give --auto-relief too/],
    [['--relief-cooldown', '5m'], /--relief-cooldown configures --auto-relief: give --auto-relief too/],
    [['--auto-relief', '--relief-cooldown', '0.5'], /--relief-cooldown must be from 1 s to 1 d/],
    [['--auto-relief', '--relief-budget', '0.1'], /--relief-budget 0.1 is 0.1 bytes, smaller than any table/],
    [
      ['--auto-relief', '--textfile', '/tmp', '--once'],
      /--auto-relief compares samples over time: it cannot run with --once/,
    ],
  ] as const) {
    it(`refuses ${args.join(' ')} in one line`, async () => {
      const result = await runCli(['serve', ...TREE, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(!hasStackTrace(result.stderr));
    });
  }
});
