import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { EventLogReport } from '../../src/core/events/eventLogReport.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { jsonOf } from '../support/schemas.js';

/** analyze of a saved conntrack -E log, as an operator runs it: a file, stdin, gzip, damage, mixes. */
const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RATES = fixture('event-logs', 'udp-10-20-30.E-NEW-DESTROY-timestamp-id.txt');
const UNTIMED = fixture('event-logs', 'udp-10-20-30-tcp.E-extended.txt');
const TABLE = fixture('tables', 'scan.conntrack.txt');

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function assertOneLineRefusal(result: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.ok(!hasStackTrace(result.stderr));
}

describe('analyze of a saved conntrack -E log', () => {
  it('reads a file as events: the top creators first, at the rates the lab sent them', async () => {
    const result = await runCli(['analyze', RATES, '--top', '3']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0]!, /^conntrack -E log .*: 305 new, 0 updated, 0 destroyed over 4\.\d\d s/);
    assert.deepEqual(
      lines.slice(3, 6).map((line) => line.trim().split(/\s+/).slice(0, 2).join(' ')),
      ['127.0.0.4 30/s', '127.0.0.3 20/s', '127.0.0.2 10/s'],
    );
    assert.doesNotMatch(result.stdout, /entries from|Findings/, 'not read as a table');
  });

  it('--json: the same from the file, from stdin and gzipped on stdin', async () => {
    const text = readFileSync(RATES);
    const fromFile = await jsonOf('ctdoctor.analyze-events/v1', ['analyze', RATES]);
    const fromStdin = await jsonOf('ctdoctor.analyze-events/v1', ['analyze', '-'], {
      input: text.toString('latin1'),
    });
    const gz = write('log.txt.gz', gzipSync(text));
    const fromGzip = await jsonOf('ctdoctor.analyze-events/v1', ['analyze', gz]);
    const numbers = (report: Record<string, unknown>) => {
      const { events, topSources, span } = report as unknown as EventLogReport;
      return { events, topSources, span };
    };
    assert.deepEqual(numbers(fromStdin), numbers(fromFile));
    assert.deepEqual(numbers(fromGzip), numbers(fromFile));
    assert.equal((fromStdin as unknown as EventLogReport).source.kind, 'stdin');
    await jsonOf('ctdoctor.analyze-events/v1', ['analyze', UNTIMED]);
  });

  it('a log without timestamps: counts, and rates said to be unavailable', async () => {
    const result = await runCli(['analyze', UNTIMED]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /no rates: the log has no timestamps \(saved without conntrack -E -o timestamp\)/,
    );
    assert.match(result.stdout, /127\.0\.0\.4 +150 +49%/);
  });

  it('a last line cut short is counted, not fatal', async () => {
    const text = readFileSync(RATES, 'latin1').trimEnd();
    const result = await runCli(['analyze', write('cut.txt', text.slice(0, text.lastIndexOf('\n') + 60))]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 line could not be read; line 305: cut short/);
    assert.equal(result.stderr, '');
  });

  it('refuses a table and an event log in one file, naming the fix', async () => {
    const table = readFileSync(TABLE, 'latin1');
    const log = readFileSync(RATES, 'latin1');
    for (const [name, content] of [
      ['log-then-table.txt', `${log}${table}`],
      ['table-then-log.txt', `${table}${log}`],
      ['interleaved.txt', `${log.split('\n').slice(0, 2).join('\n')}\n${table}`],
    ] as const) {
      assertOneLineRefusal(
        await runCli(['analyze', write(name, content)]),
        /mixes conntrack -E events.* and table entries.*: analyse the event log and the table dump as separate files/,
      );
    }
  });

  it('refuses the options that shape a table reading', async () => {
    for (const option of [
      ['--filter', 'proto=udp'],
      ['--group-by', 'src'],
      ['--sample', '10'],
      ['--threads', '2'],
    ])
      assertOneLineRefusal(
        await runCli(['analyze', RATES, ...option]),
        new RegExp(`is a conntrack -E event log: ${option[0]} applies to table dumps; drop it`),
      );
  });

  it('a table dump is still read as a table, from a file and from stdin', async () => {
    const table = readFileSync(TABLE, 'latin1');
    const entries = table.trimEnd().split('\n').length;
    for (const [args, input] of [
      [['analyze', TABLE, '--json'], ''],
      [['analyze', '-', '--json'], table],
    ] as const) {
      const result = await runCli([...args], { input });
      assert.equal(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout) as { schema: string; entries: number };
      assert.deepEqual([json.schema, json.entries], ['ctdoctor.analyze/v1', entries]);
    }
  });
});
