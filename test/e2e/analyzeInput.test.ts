import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AnalysisReport } from '../../src/core/reports/analysisReport.js';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';

/** analyze on input that is not (all) a table: refused, or read with what was wrong said first. */
const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const captured = (name: string) => readFileSync(fixture('tables', name), 'latin1').trim().split('\n');

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Deterministic "random" bytes (xorshift), newlines included. */
function noise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

function assertOneLineRefusal(result: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.ok(!hasStackTrace(result.stderr));
}

describe('analyze on input that is not a table', () => {
  it('#11.16 refuses random bytes, all-malformed lines and an empty file: exit 1, one line naming what was expected', async () => {
    const cutAtStart = captured('time-wait.conntrack.txt').map((line) => line.slice(line.indexOf(' 6 ') + 1));
    const cases: [string, RegExp][] = [
      [write('random.bin', noise(100_000)), /nothing in .*random\.bin could be read as a conntrack entry/],
      [
        write('cut.txt', `${cutAtStart.join('\n')}\n`),
        /nothing in .*cut\.txt could be read .*line 1: cut at its start/,
      ],
      [write('empty.txt', ''), /empty\.txt holds no conntrack entries: it is empty/],
      [write('blank.txt', '\n\n  \n'), /blank\.txt holds no conntrack entries/],
    ];
    for (const [path, pattern] of cases) {
      const result = await runCli(['analyze', path]);
      assertOneLineRefusal(result, pattern);
      assert.match(
        result.stderr,
        /expected the lines of \/proc\/net\/nf_conntrack, conntrack -L or conntrack -L -o extended/,
      );
    }
    assertOneLineRefusal(
      await runCli(['analyze', '-', '--json'], { input: noise(5000) }),
      /nothing in stdin could be read as a conntrack entry/,
    );
  });

  it('#11.16 stops reading a huge file of NULs after 16 MiB: bounded time, refused', async () => {
    // Sparse: 2 GiB of NULs on disk for free, no newline anywhere.
    const path = join(dir, 'zeros.bin');
    const handle = openSync(path, 'w');
    closeSync(handle);
    const { truncateSync } = await import('node:fs');
    truncateSync(path, 2 ** 31);
    const started = Date.now();
    const result = await runCli(['analyze', path]);
    assertOneLineRefusal(
      result,
      /nothing in the first 16 MiB of .*zeros\.bin could be read as a conntrack entry/,
    );
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  it('#11.16 says first that most lines are malformed, and still reads the entries', async () => {
    const lines = captured('pool.procfs.txt');
    const text = [lines[0], 'garbage one', 'garbage two', lines[1], 'garbage three'].join('\n');
    const path = write('mostly.txt', `${text}\n`);
    const result = await runCli(['analyze', path]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout.split('\n')[0]!,
      /^MOSTLY NOT CONNTRACK ENTRIES: 3 malformed lines against 2 entries; the first, line 2: /,
    );
    const { json } = await runCliJson<AnalysisReport>(['analyze', path]);
    assert.deepEqual(
      [json.entries, json.malformed.count, json.malformed.mostLines, json.malformed.line],
      [2, 3, true, 2],
    );
  });
});

describe('analyze: malformed lines and damaged protocol names', () => {
  it('#11.25 the malformed example is the line number and the reason, not the line', async () => {
    const lines = captured('healthy.procfs.txt');
    const damaged = lines[1]!.replace(/ dport=\d+/, ' dport=70000');
    const path = write('range.txt', `${[lines[0], damaged, lines[2]].join('\n')}\n`);
    const { json } = await runCliJson<AnalysisReport>(['analyze', path]);
    assert.equal(json.malformed.count, 1);
    assert.equal(json.malformed.line, 2);
    assert.equal(json.malformed.reason, 'out of range (at most 65535): "dport=70000"');
    assert.equal(json.malformed.example, 'line 2: out of range (at most 65535): "dport=70000"');
    const text = await runCli(['analyze', path]);
    assert.match(
      text.stdout,
      /1 malformed lines skipped; the first, line 2: out of range \(at most 65535\): "dport=70000"/,
    );
    assert.ok(!text.stdout.includes(damaged.slice(0, 40)));
  });

  it('#11.25 a line cut inside its protocol name is counted, read by its number, and said to be repaired', async () => {
    const lines = captured('time-wait.conntrack.txt');
    const cut = lines[0]!.slice(1); // "cp      6 …"
    assert.match(cut, /^cp +6 /);
    const path = write('repaired.txt', `${[cut, ...lines.slice(1)].join('\n')}\n`);
    const { json } = await runCliJson<AnalysisReport>(['analyze', path]);
    assert.equal(json.entries, lines.length);
    assert.equal(json.by.proto.tcp, lines.length);
    assert.equal(json.repairedProtocolNames, 1);
    const text = await runCli(['analyze', path]);
    assert.match(
      text.stdout,
      /1 entries with a damaged protocol name \(a line cut inside it\) were read by the protocol number/,
    );
  });

  it('#11.24 dport=70000 or 65536 is malformed: no entry, no false nat-heavy', async () => {
    const lines = captured('healthy.procfs.txt');
    const damaged = lines.map((line, i) =>
      line.replace(/ dport=\d+/, i % 2 ? ' dport=65536' : ' dport=70000'),
    );
    const path = write('ports.txt', `${[...lines.slice(0, 10), ...damaged].join('\n')}\n`);
    const { result, json } = await runCliJson<AnalysisReport>(['analyze', path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json.entries, 10);
    assert.equal(json.malformed.count, lines.length);
    assert.equal(json.by.nat.dnat, undefined);
    assert.ok(!json.findings.some((finding) => finding.kind === 'nat-heavy'));
  });
});

describe('analyze: pipes, samples and filters', () => {
  it('#11.26 reads a FIFO and <(cat dump) as streams', async () => {
    const dump = fixture('tables', 'scan.conntrack.txt');
    const fifo = join(dir, 'table.fifo');
    const made = spawn('mkfifo', [fifo]);
    await new Promise((resolve) => made.on('close', resolve));
    const writer = spawn('cp', [dump, fifo]);
    const written = new Promise((resolve) => writer.on('close', resolve));
    const { result, json } = await runCliJson<AnalysisReport>(['analyze', fifo]);
    await written;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json.entries, 220);
    // bash's <(…): the dump arrives as /dev/fd/N, a pipe.
    const viaBash = await runCli([dump], {
      as: ['bash', '-c', 'exec "$0" "$1" analyze <(cat "$2") --json'],
    });
    assert.equal(viaBash.code, 0, viaBash.stderr);
    assert.equal((JSON.parse(viaBash.stdout) as AnalysisReport).entries, 220);
  });

  it('#11.26 --sample N analyses exactly N entries of a saved dump, and a SAMPLE only when more was left', async () => {
    const dump = fixture('tables', 'healthy.procfs.txt');
    const total = captured('healthy.procfs.txt').length;
    const { json } = await runCliJson<AnalysisReport>(['analyze', dump, '--sample', '100']);
    assert.deepEqual([json.entries, json.scanned, json.sampled], [100, 100, true]);
    const text = await runCli(['analyze', dump, '--sample', '100']);
    assert.match(
      text.stdout.split('\n')[0]!,
      /^100 entries from .* — a SAMPLE: the first 100 entries; the rest was not read$/,
    );
    const whole = await runCliJson<AnalysisReport>(['analyze', dump, '--sample', String(total)]);
    assert.deepEqual([whole.json.entries, whole.json.sampled], [total, false]);
  });

  it('#11.26 refuses an unknown filter value the way it refuses an unknown flag; --group-by lists every field', async () => {
    const dump = fixture('tables', 'pool.procfs.txt');
    for (const [filter, pattern] of [
      ['proto==', /unknown protocol "="/],
      ['proto=bogus', /unknown protocol "bogus" \(icmp, tcp, udp/],
      ['state=NOPE', /unknown state "NOPE" \(NONE, SYN_SENT/],
      ['flag=NOPE', /unknown flag "NOPE" \(UNREPLIED, ASSURED, OFFLOAD, HW_OFFLOAD\)/],
      ['nat=maybe', /unknown nat kind "maybe" \(none, snat, dnat, both\)/],
      ['l3=ipv5', /unknown address family "ipv5"/],
      ['zone=70000', /zone "70000" is not a number 0-65535/],
      ['proto=tcp,', /empty value for proto/],
    ] as const) {
      const result = await runCli(['analyze', dump, '--filter', filter]);
      assert.equal(result.code, 2, `${filter}: ${result.stderr}`);
      assert.match(result.stderr, pattern, filter);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
    const numbered = await runCliJson<AnalysisReport>(['analyze', dump, '--filter', 'proto=6']);
    assert.equal(numbered.json.entries, 300);
    const grouped = await runCli(['analyze', dump, '--group-by', 'colour']);
    assert.equal(grouped.code, 2);
    assert.match(grouped.stderr, /unknown field "colour" \(.*reply-src, reply-dst.*l3\)/);
  });
});
