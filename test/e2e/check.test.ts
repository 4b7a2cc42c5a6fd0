import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

const treeArgs = (procRoot: string) => [
  '--proc-root',
  procRoot,
  '--sys-root',
  fixture('sys-empty'),
  '--interval',
  '0.1',
];
const fullTree = treeArgs(fixture('proc-6.18-full'));

/** The captured full tree with nf_conntrack_max raised to 20000: its 200 entries are 1 % of the table. */
const scratch = mkdtempSync(join(tmpdir(), 'ctdoctor-check-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const onePercentTree = join(scratch, 'proc');
cpSync(fixture('proc-6.18-full'), onePercentTree, { recursive: true });
writeFileSync(join(onePercentTree, 'sys/net/netfilter/nf_conntrack_max'), '20000\n');

/** The monitoring-plugin contract for a check that could not run: one UNKNOWN line on stdout, exit 3. */
function assertUnknown(result: { code: number; stdout: string; stderr: string }, reason: RegExp): void {
  assert.equal(result.code, 3, `exit ${result.code}: ${result.stdout}${result.stderr}`);
  const lines = result.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, result.stdout);
  assert.match(lines[0]!, /^CONNTRACK UNKNOWN - [^|\n]+$/);
  assert.match(lines[0]!, reason);
  assert.equal(result.stderr, '');
}

describe('check: every failure is UNKNOWN', () => {
  it('#11.12 a refused option value is one UNKNOWN line on stdout, exit 3', async () => {
    assertUnknown(await runCli(['check', ...fullTree, '--warn', '200']), /--warn must be a percentage/);
    assertUnknown(await runCli(['check', ...fullTree, '--interval', 'abc']), /--interval .*"abc"/);
  });

  it("#11.12 commander's own errors are UNKNOWN too: unknown option, missing argument, invalid choice", async () => {
    assertUnknown(
      await runCli(['check', '--frobnicate']),
      /^CONNTRACK UNKNOWN - unknown option '--frobnicate'$/,
    );
    assertUnknown(
      await runCli(['check', '--cirt', '90']),
      /unknown option '--cirt' \(Did you mean --crit\?\)$/,
    );
    assertUnknown(await runCli(['check', '--warn']), /option '--warn <percent>' argument missing/);
    assertUnknown(await runCli(['check', '--source', 'bogus']), /argument 'bogus' is invalid/);
  });

  it('#11.12 --warn above --crit is UNKNOWN, not CRITICAL', async () => {
    assertUnknown(
      await runCli(['check', ...fullTree, '--warn', '96']),
      /--warn 96% is above --crit 95%: warn must not exceed crit/,
    );
  });

  it('#11.12 doctor usage errors exit 3 ("could not run"), not 2 ("critical")', async () => {
    const unknownOption = await runCli(['doctor', '--frobnicate']);
    assert.equal(unknownOption.code, 3);
    assert.equal(unknownOption.stderr, "ctdoctor: unknown option '--frobnicate'\n");
    const badValue = await runCli(['doctor', '--fast', '--warn', '120']);
    assert.equal(badValue.code, 3);
    assert.match(badValue.stderr, /^ctdoctor: --warn must be a percentage/);
  });

  it('#11.12 other commands keep exit 2 for a usage error', async () => {
    const result = await runCli(['status', '--frobnicate']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "ctdoctor: unknown option '--frobnicate'\n");
  });
});

describe('check: thresholds are percents', () => {
  it('#11.13 a fraction is refused with the percent to write instead', async () => {
    assertUnknown(
      await runCli(['check', ...treeArgs(onePercentTree), '--warn', '0.8', '--crit', '0.95']),
      /--warn takes a percentage, not a fraction: write 80 for 80%, got "0\.8"/,
    );
    // Written with its %, 0.5% is a percent (below the 1 % floor), not a fraction.
    assertUnknown(
      await runCli(['check', ...treeArgs(onePercentTree), '--crit', '0.5%']),
      /--crit must be a percentage from 1 to 100 \(e\.g\. 80 or 80%\), got "0\.5%"/,
    );
  });

  it('#11.13 80 and 80% mean the same; 1 % usage is OK', async () => {
    for (const [warn, crit] of [
      ['80', '95'],
      ['80%', '95%'],
    ]) {
      const result = await runCli(['check', ...treeArgs(onePercentTree), '--warn', warn!, '--crit', crit!]);
      assert.equal(result.code, 0, result.stdout);
      assert.match(result.stdout, /^CONNTRACK OK - 1\.0% used \(200\/20000\), .*usage=1%;80;95;0;100 /);
    }
  });

  it('#11.13 --help shows the defaults as they are written', async () => {
    const help = await runCli(['check', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--warn <percent>[^\n]*\(default: 80%\)/);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--crit <percent> .*?\(default: 95%\)/);
  });
});

describe('check --json and perfdata', () => {
  it('#11.14 --json prints the check as a stable object, same exit code', async () => {
    const result = await runCli(['check', ...fullTree, '--json']);
    assert.equal(result.code, 2);
    const json = JSON.parse(result.stdout);
    assert.equal(json.schema, 'ctdoctor.check/v1');
    assert.equal(json.status, 'CRITICAL');
    assert.equal(json.exitCode, 2);
    assert.equal(json.reason, '100% used (200/200), 0 drops/s');
    assert.deepEqual(json.perfdata.entries, { value: 200, uom: '', warn: 160, crit: 190, min: 0, max: 200 });
    assert.deepEqual(json.perfdata.usage, { value: 100, uom: '%', warn: 80, crit: 95, min: 0, max: 100 });
    assert.deepEqual(json.perfdata.drops_per_s, {
      value: 0,
      uom: '',
      warn: null,
      crit: 0,
      min: 0,
      max: null,
    });
  });

  it('#11.14 --json failures are UNKNOWN objects, exit 3', async () => {
    for (const args of [['--frobnicate'], treeArgs(fixture('proc-not-loaded'))]) {
      const result = await runCli(['check', ...args, '--json']);
      assert.equal(result.code, 3);
      const json = JSON.parse(result.stdout);
      assert.equal(json.status, 'UNKNOWN');
      assert.equal(json.exitCode, 3);
      assert.match(json.reason, /unknown option|not loaded/);
      assert.deepEqual(json.perfdata, {});
    }
  });

  it('#11.14 perfdata numbers are plain decimals without float noise', async () => {
    // --warn 29 is the ratio 0.29; 0.29 × 100 is 28.999999999999996 in doubles.
    const result = await runCli(['check', ...fullTree, '--warn', '29']);
    assert.equal(result.code, 2);
    const perfdata = result.stdout.trim().split(' | ')[1]!;
    for (const metric of perfdata.split(' ')) {
      // 'label'=value[UOM];[warn];[crit];[min];[max], numbers in the class [-0-9.] (plugin guidelines)
      assert.match(metric, /^[a-z_]+=-?\d+(\.\d+)?(%|s|B|KB|MB|TB|c)?(;(-?\d+(\.\d+)?)?){0,4}$/, metric);
    }
    assert.match(perfdata, /^entries=200;58;190;0;200 usage=100%;29;95;0;100 /);
  });
});
