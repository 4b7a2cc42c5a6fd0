import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { AnalysisReport } from '../../src/core/reports/analysisReport.js';
import { hasStackTrace, runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';

describe('ctdoctor analyze on saved dumps', () => {
  it('reports the stable JSON schema for a dump file', async () => {
    const { result, json } = await runCliJson<AnalysisReport>([
      'analyze',
      fixture('tables', 'scan.extended.txt'),
    ]);
    assert.equal(result.code, 0);
    assert.equal(json.schema, 'ctdoctor.analyze/v1');
    assert.equal(json.entries, 220);
    assert.deepEqual(json.malformed, { count: 0, example: null, line: null, reason: null, mostLines: false });
    assert.equal(json.source.kind, 'file');
    for (const key of ['proto', 'state', 'flags', 'nat', 'zone', 'mark']) assert.ok(key in json.by, key);
    for (const key of ['src', 'dst', 'dport', 'srcPrefix'])
      assert.ok(Array.isArray(json.top[key as 'src']), key);
    const scan = json.findings.find((finding) => finding.kind === 'port-scan');
    assert.equal(scan?.subject, '127.0.0.66');
    for (const field of ['kind', 'severity', 'subject', 'evidence', 'advice', 'commands'])
      assert.ok(scan && field in scan);
  });

  it('reads gzip and stdin (format detected, not asked for)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-'));
    const gz = join(dir, 'pool.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('tables', 'pool.conntrack.txt'))));
    const fromGzip = await runCliJson<AnalysisReport>(['analyze', gz]);
    assert.equal(fromGzip.json.entries, 300);
    const fromStdin = await runCli(['analyze', '-', '--json'], {
      input: readFileSync(fixture('tables', 'pool.procfs.txt'), 'utf8'),
    });
    assert.equal(JSON.parse(fromStdin.stdout).entries, 300);
    const gzStdin = await runCli(['analyze', '-', '--json'], {
      input: gzipSync(readFileSync(fixture('tables', 'pool.procfs.txt'))),
    });
    assert.equal(JSON.parse(gzStdin.stdout).findings[0].kind, 'established-leak');
  });

  it('filters and groups', async () => {
    const { json } = await runCliJson<AnalysisReport>([
      'analyze',
      fixture('tables', 'healthy.procfs.txt'),
      '--filter',
      'state=TIME_WAIT',
      '--group-by',
      'dst,dport',
    ]);
    assert.equal(json.entries, 60);
    assert.equal(json.scanned, 410);
    assert.deepEqual(json.top.groupBy?.[0], { key: '127.0.0.1 8080', count: 60 });
  });

  it('prints text ordered by findings, with the exact commands', async () => {
    const result = await runCli(['analyze', fixture('tables', 'time-wait.procfs.txt')]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /(WARN|CRIT) time-wait-pile: 127\.0\.0\.1:8080\/tcp\n/);
    assert.match(result.stdout, /\$ sysctl -w net\.netfilter\.nf_conntrack_tcp_timeout_time_wait=30/);
  });

  it('counts garbage beside entries as malformed and still succeeds', async () => {
    const entry = readFileSync(fixture('tables', 'pool.procfs.txt'), 'utf8').split('\n')[0];
    const result = await runCli(['analyze', '-', '--json'], {
      input: `${entry}\nnot a conntrack line\n${entry}\n\x00\x01\x02\n${entry}\n`,
    });
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout).malformed.count, 2);
  });

  it('reads a large dump on two threads with exactly the summary of one', async () => {
    // 34 MB from every captured table in all three formats, sources renumbered so the top lists
    // hold more keys than they can keep, with lines for the reference parser (GRE, SCTP, garbage,
    // CRLF, an overlong line) spread over the whole file, after the parse thread has taken over.
    const captured = readdirSync(fixture('tables')).flatMap((name) =>
      readFileSync(fixture('tables', name), 'utf8').trim().split('\n'),
    );
    const odd = ['garbage \x01\x02 line', `ipv4     2 tcp      6 10 ${'x'.repeat(5000)}`, ''];
    const big = Array.from({ length: 230_000 }, (_, i) => {
      // The first odd line comes ~1.5 MB in, after the parse thread took over: its line number is
      // the pipeline's arithmetic, not the main thread's own count.
      if (i % 9973 === 9972) return odd[Math.floor(i / 9973) % odd.length]!;
      const line = captured[i % captured.length]!.replace(
        /src=127\.\d+\.\d+\.\d+/,
        `src=127.${(i >> 16) & 7}.${(i >> 8) & 255}.${i & 255}`,
      );
      return i % 4999 === 0 ? `${line}\r` : line;
    });
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-'));
    const dump = join(dir, 'big.txt');
    writeFileSync(dump, `${big.join('\n')}\n`);
    assert.ok(statSync(dump).size > 32 << 20);
    const one = await runCliJson<AnalysisReport>(['analyze', dump, '--threads', '1']);
    const two = await runCliJson<AnalysisReport>(['analyze', dump]);
    assert.equal(one.json.workers, 1);
    assert.equal(two.json.workers, 2);
    assert.equal(two.json.engine, 'wasm');
    assert.ok(two.json.malformed.count > 0);
    const { durationMs: _a, workers: _b, ...single } = one.json;
    const { durationMs: _c, workers: _d, ...pipelined } = two.json;
    assert.deepEqual(pipelined, single);
  });

  it('split into parts, a later part that starts with 16 MiB of garbage still reads the entries after it', async () => {
    const lines = readFileSync(fixture('tables', 'udp-flood.procfs.txt'), 'utf8').trim().split('\n');
    const entries = (bytes: number) => {
      const out: string[] = [];
      for (let size = 0; size < bytes; size += out[out.length - 1]!.length + 1)
        out.push(lines[out.length % lines.length]!);
      return `${out.join('\n')}\n`;
    };
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-'));
    const dump = join(dir, 'garbage-inside.procfs');
    // Three parts of ~20 MB: the second starts inside 17.5 MiB of garbage and ends with entries.
    const garbage = 'garbage\n'.repeat((17.5 * 2 ** 20) / 8);
    writeFileSync(dump, entries(20e6) + garbage + entries(2.5e6) + entries(20e6));
    const one = await runCliJson<AnalysisReport>(['analyze', dump, '--threads', '1']);
    const three = await runCliJson<AnalysisReport>(['analyze', dump, '--threads', '3']);
    assert.equal(three.json.workers, 3);
    assert.equal(three.json.entries, one.json.entries);
    assert.equal(three.json.malformed.count, one.json.malformed.count);
    assert.equal(three.json.malformed.line, one.json.malformed.line, 'counted on from the first part');
    rmSync(dir, { recursive: true });
  });

  it('splits a dump into parts when asked for more threads, and merges their summaries', async () => {
    const lines = readFileSync(fixture('tables', 'udp-flood.procfs.txt'), 'utf8').trim().split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'ctdoctor-'));
    const dump = join(dir, 'big.procfs');
    const big = Array.from({ length: 110_000 }, (_, i) =>
      lines[i % lines.length]!.replace(/src=127\.\d+\.\d+\.\d+/, `src=127.1.${(i >> 8) & 31}.${i & 255}`),
    );
    writeFileSync(dump, `${big.join('\n')}\n`);
    const one = await runCliJson<AnalysisReport>(['analyze', dump, '--threads', '1']);
    const three = await runCliJson<AnalysisReport>(['analyze', dump, '--threads', '3']);
    assert.equal(one.json.workers, 1);
    assert.equal(three.json.workers, 3);
    assert.equal(three.json.entries, 110_000);
    assert.deepEqual(three.json.by, one.json.by);
    assert.deepEqual(three.json.top.dst, one.json.top.dst);
    assert.deepEqual(
      three.json.findings.map((finding) => [finding.kind, finding.subject]),
      one.json.findings.map((finding) => [finding.kind, finding.subject]),
    );
  });

  it('runs the WebAssembly engine unless a filter or grouping needs the reference parser', async () => {
    const dump = fixture('tables', 'healthy.conntrack.txt');
    assert.equal((await runCliJson<AnalysisReport>(['analyze', dump])).json.engine, 'wasm');
    const filtered = await runCliJson<AnalysisReport>(['analyze', dump, '--filter', 'proto=tcp']);
    assert.equal(filtered.json.engine, 'typescript');
  });

  it('#11.28 --filter reads networks as block does: a CIDR matches, host bits are refused', async () => {
    const table = fixture('tables', 'protocols.procfs.txt');
    const network = await runCliJson<AnalysisReport>(['analyze', table, '--filter', 'src=10.1.1.0/24']);
    assert.equal(network.json.entries, 9);
    const mapped = await runCliJson<AnalysisReport>(['analyze', table, '--filter', 'src=::FFFF:A00:1']);
    assert.equal(mapped.json.entries, 1);
    const hostBits = await runCli(['analyze', table, '--filter', 'src=10.1.1.5/24']);
    assert.equal(hostBits.code, 2);
    assert.match(
      hostBits.stderr,
      /^ctdoctor: "10\.1\.1\.5\/24" has bits set after its \/24 prefix: give the network 10\.1\.1\.0\/24 or the address 10\.1\.1\.5 alone\n$/,
    );
  });

  it('#11.26 a key the report prints (unknown(99)) is a filter value; a fractional count is refused', async () => {
    const table = fixture('tables', 'protocols.procfs.txt');
    const report = await runCliJson<AnalysisReport>(['analyze', table]);
    assert.equal(report.json.by.proto['unknown(99)'], 1);
    for (const filter of ['proto=unknown(99)', 'state=unknown(99)']) {
      const { json } = await runCliJson<AnalysisReport>(['analyze', table, '--filter', filter]);
      assert.equal(json.entries, 1, filter);
    }
    for (const option of ['--top', '--sample', '--threads', '--capacity']) {
      const result = await runCli(['analyze', table, option, '0.5']);
      assert.equal(result.code, 2, option);
      assert.equal(result.stderr, `ctdoctor: ${option} 0.5: must be a whole number from 1\n`);
    }
  });

  it('fails with one line for a missing file, a bad filter or a bad group key', async () => {
    for (const [args, pattern, code] of [
      [['analyze', '/nonexistent/dump'], /cannot read dump \/nonexistent\/dump: ENOENT/, 1],
      [
        ['analyze', fixture('tables', 'pool.procfs.txt'), '--filter', 'src=999.1.1.1'],
        /is not an IPv4 or IPv6 address/,
        2,
      ],
      [
        ['analyze', fixture('tables', 'pool.procfs.txt'), '--group-by', 'colour'],
        /unknown field "colour"/,
        2,
      ],
      [
        ['analyze', fixture('tables', 'pool.procfs.txt'), '--capacity', '1000000000'],
        /--capacity must be between 1 and 4194304/,
        2,
      ],
    ] as const) {
      const result = await runCli([...args]);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1);
      assert.ok(!hasStackTrace(result.stderr));
    }
  });
});

describe('output closed early', () => {
  it('`ctdoctor analyze | head -1` ends quietly: no EPIPE stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../support/paths.js');
    // 20,000 flows made from one captured line: a JSON report far larger than a pipe's buffer.
    const line = readFileSync(fixture('tables', 'pool.procfs.txt'), 'utf8').split('\n')[0]!;
    const input = Array.from({ length: 20000 }, (_, i) =>
      line.replace(/sport=\d+/, `sport=${10000 + i}`),
    ).join('\n');
    const child = spawn(process.execPath, [
      CLI,
      'analyze',
      '-',
      '--top',
      '20000',
      '--group-by',
      'src,sport',
      '--json',
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away after one chunk
    child.stdin.end(input);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
