import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';

/**
 * `ctdoctor lab` and `plan --verify` as a user types them wrong: each refused before anything runs
 * (no namespace, no machine-wide change), exit 2, one line naming the fix, no stack trace.
 */
async function assertUsageError(args: string[], fix: RegExp): Promise<void> {
  const result = await runCli(args);
  assert.equal(result.code, 2, `ctdoctor ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, fix);
  assert.equal(hasStackTrace(result.stderr), false);
}

describe('lab: usage errors', () => {
  it('an unknown --scenario lists the scenarios', async () => {
    await assertUsageError(
      ['lab', '--scenario', 'tcp-flood'],
      /"tcp-flood" is not a lab scenario: use one of short-flows,/,
    );
  });

  it('an unknown --topology names the two there are', async () => {
    await assertUsageError(
      ['lab', '--topology', 'bridge'],
      /"bridge" is not a lab topology: use single or router/,
    );
  });

  it('a scenario whose generator is already in the run (mixed includes short-flows)', async () => {
    await assertUsageError(
      ['lab', '--scenario', 'mixed', '--scenario', 'short-flows'],
      /short-flows is in the run twice \(mixed includes short-flows and long-pool\): give it once/,
    );
  });

  it('a bad rate in --scenario', async () => {
    await assertUsageError(
      ['lab', '--scenario', 'udp-dns:rate=0'],
      /rate must be new flows per second from 1 to/,
    );
  });

  for (const [compare, fix] of [
    ['max=abc', /^.*--compare max=abc: /],
    ['max=0', /^.*--compare max=0: /],
    ['foo=1', /--compare foo=1: "foo=1" is not max=N, buckets=N, a timeout/],
    ['notrack=8080', /notrack takes PORT\/tcp or PORT\/udp/],
    ['helper=ftp:21/udp', /--compare helper=ftp:21\/udp: the ftp helper tracks tcp, not udp/],
    ['helper=gopher:70/tcp', /"gopher" is not a conntrack helper \(one of ftp, /],
  ] as const) {
    it(`--compare ${compare}`, async () => {
      await assertUsageError(['lab', '--compare', compare], fix);
    });
  }

  it('helpers=on for a workload that sends to no service port', async () => {
    await assertUsageError(
      ['lab', '--scenario', 'udp-flood', '--compare', 'helpers=on'],
      /--compare helpers=on: the workload sends to no service port \(a scan or flood only\): name one with helper=NAME:PORT\/tcp\|udp/,
    );
  });

  it('the same --compare twice', async () => {
    await assertUsageError(
      ['lab', '--compare', 'max=4000', '--compare', 'max=4000'],
      /--compare max=4000 is given twice/,
    );
  });

  it('a --duration below the 3 s a steady state needs', async () => {
    await assertUsageError(['lab', '--duration', '1s'], /--duration must be from 3 s to 1 h, got "1s"/);
  });

  it('--timeouts that are none of short, kernel or a list', async () => {
    await assertUsageError(
      ['lab', '--timeouts', 'long'],
      /--timeouts "long": give short, kernel, or NAME=SECONDS/,
    );
  });
});

describe('plan --verify: usage errors', () => {
  it('--netns: the lab runs in a namespace of its own', async () => {
    await assertUsageError(
      ['plan', '--class', 'tcp-short:100/s', '--verify', '--netns', 'x'],
      /--verify runs the load in a lab namespace of its own on this host's kernel: drop --netns/,
    );
  });

  it('a class the lab cannot generate is named', async () => {
    await assertUsageError(
      ['plan', '--verify', '--class', 'udp-stream:10/s'],
      /--verify cannot generate udp-stream yet \(it makes tcp-short, tcp-long, tcp-unanswered and udp-query\)/,
    );
  });

  it('a --verify-duration below 10 s', async () => {
    await assertUsageError(
      ['plan', '--class', 'tcp-short:100/s', '--verify', '--verify-duration', '3'],
      /--verify-duration must be from 10 s to 10 min, got "3"/,
    );
  });
});

describe('lab: not as root', () => {
  it('refused before any namespace is made, naming sudo', async () => {
    const result = await runCli(['lab', '--duration', '3s'], { asNobody: true });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr.trim(),
      /^[^\n]*the lab creates network namespaces: run it as root \(sudo ctdoctor lab …\)$/,
    );
    assert.equal(hasStackTrace(result.stderr), false);
  });
});
