import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serveUnitCapabilities, SERVE_UNIT } from '../support/serveUnit.js';
import { CLI } from '../support/paths.js';

/**
 * Measured on this unit with systemd 252 (Debian 12): 2.8 ("OK"). What keeps it above 0 is what
 * serve needs: the host's network, CAP_SYS_PTRACE/SYS_ADMIN/NET_ADMIN/SYSLOG, /dev/kmsg, /proc.
 */
const EXPOSURE_BOUND = 2.8;

function systemdAnalyze(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (run.error)
    throw new Error('systemd-analyze is missing: apt-get install systemd (scripts/test.sh does)');
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy/systemd/ctdoctor-serve.service', () => {
  it('passes systemd-analyze verify', () => {
    // verify checks that ExecStart's binary exists on this machine: point it at the repo's launcher
    // (the only line changed); --man=no because the unit names no man page to look up.
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-unit-'));
    try {
      const unit = join(dir, 'ctdoctor-serve.service');
      const text = readFileSync(SERVE_UNIT, 'utf8');
      assert.match(text, /^ExecStart=\/usr\/local\/bin\/ctdoctor serve /m);
      writeFileSync(unit, text.replace(/^ExecStart=\/usr\/local\/bin\/ctdoctor /m, `ExecStart=${CLI} `));
      const verify = systemdAnalyze(['verify', '--man=no', unit]);
      assert.equal(verify.status, 0, verify.output);
      assert.equal(verify.output.trim(), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`has a systemd-analyze security exposure of at most ${EXPOSURE_BOUND}`, (t) => {
    const security = systemdAnalyze(['security', '--offline=yes', SERVE_UNIT]);
    const score = Number(/Overall exposure level for \S+: (\d+\.\d)/.exec(security.output)?.[1]);
    assert.ok(Number.isFinite(score), security.output);
    t.diagnostic(`exposure ${score}`);
    assert.ok(score <= EXPOSURE_BOUND, `exposure ${score} > ${EXPOSURE_BOUND}:\n${security.output}`);
  });

  it('grants as ambient capabilities exactly its bounding set', () => {
    const text = readFileSync(SERVE_UNIT, 'utf8');
    const bounding = /^CapabilityBoundingSet=(.*)$/m.exec(text)?.[1]?.split(/\s+/).sort();
    assert.deepEqual(serveUnitCapabilities().sort(), bounding);
  });
});
