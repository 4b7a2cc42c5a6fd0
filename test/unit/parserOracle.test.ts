import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { summarizeTable } from '../../src/core/analysis/tableSummary.js';
import type { AnalysisEngine } from '../../src/core/analysis/analysisRun.js';
import { analyzeStream } from '../../src/analysisRuntime/tableAnalysis.js';
import { oracleCounts } from '../support/oracleParser.js';
import { fixture } from '../support/paths.js';

/**
 * Three readings of the same lines: the WebAssembly engine, the TypeScript reference and a simple
 * oracle (test/support/oracleParser.ts). Captured lines are damaged token by token the way real
 * input is (out-of-range values, a lost or doubled key, tabs, case, a line cut at either end) and
 * all three must count the same entries and find the same lines malformed.
 */
const CAPTURED = readdirSync(fixture('tables'))
  .filter((name) => name.endsWith('.txt'))
  .flatMap((name) => readFileSync(fixture('tables', name), 'latin1').split('\n'))
  .filter((line) => line.trim() !== '' && !line.startsWith('conntrack v'));

async function analyze(text: string, engine: AnalysisEngine, chunkBytes: number) {
  const input = Buffer.from(text, 'latin1');
  async function* chunks() {
    for (let offset = 0; offset < input.length; offset += chunkBytes)
      yield Buffer.from(input.subarray(offset, offset + chunkBytes));
  }
  const run = await analyzeStream(chunks(), { capacity: 32768, engine });
  return { counts: run.counts, summary: summarizeTable(run.aggregator, 100_000) };
}

/** Records as plain objects sorted by key: ties may come in any order after a merge. */
const sorted = (record: Record<string, number>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

const OUT_OF_RANGE: [RegExp, string[]][] = [
  [/^(sport|dport)=\d+$/, ['65536', '70000', '99999', '65535', '0']],
  [/^(type|code)=\d+$/, ['256', '300', '255']],
  [/^zone=\d+$/, ['65536', '65535']],
  [/^mark=\d+$/, ['4294967296', '4294967295']],
  [/^(id|use)=\d+$/, ['65536', '4294967296']],
];
const OCTETS = ['256', '300', '999', '255', '0'];

type Mutation = 'octet' | 'range' | 'delete' | 'double' | 'tab' | 'upper' | 'lower' | 'cut-start' | 'cut-end';
const MUTATIONS: Mutation[] = [
  'octet',
  'range',
  'delete',
  'double',
  'tab',
  'upper',
  'lower',
  'cut-start',
  'cut-end',
];

/** `line` damaged by `mutation`; `pick` chooses the token, octet, value or cut. */
function mutate(line: string, mutation: Mutation, pick: number): string {
  const tokens = line.split(' ');
  const indexes = tokens.flatMap((token, i) => (token === '' ? [] : [i]));
  const at = indexes[pick % indexes.length]!;
  const replaceToken = (text: string) => tokens.map((token, i) => (i === at ? text : token)).join(' ');
  switch (mutation) {
    case 'octet': {
      const addresses = indexes.filter((i) => /^(src|dst)=\d+\.\d+\.\d+\.\d+$/.test(tokens[i]!));
      if (addresses.length === 0) return line;
      const index = addresses[pick % addresses.length]!;
      const [key, value] = tokens[index]!.split('=') as [string, string];
      const octets = value.split('.');
      octets[pick % 4] = OCTETS[pick % OCTETS.length]!;
      tokens[index] = `${key}=${octets.join('.')}`;
      return tokens.join(' ');
    }
    case 'range': {
      const candidates = indexes.filter((i) => OUT_OF_RANGE.some(([pattern]) => pattern.test(tokens[i]!)));
      if (candidates.length === 0) return line;
      const index = candidates[pick % candidates.length]!;
      const [, values] = OUT_OF_RANGE.find(([pattern]) => pattern.test(tokens[index]!))!;
      tokens[index] = `${tokens[index]!.split('=')[0]}=${values[pick % values.length]}`;
      return tokens.join(' ');
    }
    case 'delete':
      return tokens.filter((_, i) => i !== at).join(' ');
    case 'double':
      return tokens.flatMap((token, i) => (i === at ? [token, token] : [token])).join(' ');
    case 'tab': {
      const spaces = [...line.matchAll(/ /g)].map((match) => match.index!);
      const space = spaces[pick % spaces.length]!;
      return `${line.slice(0, space)}\t${line.slice(space + 1)}`;
    }
    case 'upper':
      return replaceToken(tokens[at]!.toUpperCase());
    case 'lower':
      return replaceToken(tokens[at]!.toLowerCase());
    case 'cut-start':
      return line.slice(pick % line.length);
    case 'cut-end':
      return line.slice(0, pick % line.length);
  }
}

const capturedLine = fc.nat(CAPTURED.length - 1).map((index) => CAPTURED[index]!);
const damagedLine = fc
  .tuple(capturedLine, fc.constantFrom(...MUTATIONS), fc.nat(10_000))
  .map(([line, mutation, pick]) => mutate(line, mutation, pick));
const table = fc
  .array(fc.oneof({ weight: 2, arbitrary: capturedLine }, { weight: 3, arbitrary: damagedLine }), {
    minLength: 1,
    maxLength: 30,
  })
  .map((lines) => `${lines.join('\n')}\n`);

async function assertThreeAgree(text: string, chunkBytes: number): Promise<void> {
  const reference = await analyze(text, 'typescript', 1 << 20);
  const engine = await analyze(text, 'wasm', chunkBytes);
  const oracle = oracleCounts(text);
  assert.deepEqual(engine.counts, reference.counts, 'engine and reference: counts and malformed example');
  assert.deepEqual(engine.summary.by, reference.summary.by, 'engine and reference: breakdowns');
  assert.deepEqual(engine.summary.top.dport, reference.summary.top.dport, 'engine and reference: ports');
  const { counts, summary } = reference;
  assert.deepEqual(
    {
      entries: counts.entries,
      malformed: counts.malformed,
      firstMalformedLine: counts.malformedFirst?.line ?? null,
      repairedProtocolNames: counts.repairedProtocolNames,
      proto: sorted(summary.by.proto),
      state: sorted(summary.by.state),
      flags: sorted(summary.by.flags),
      nat: sorted(summary.by.nat),
      l3: sorted(summary.by.l3),
      dport: sorted(
        Object.fromEntries(
          summary.top.dport
            .filter(({ key }) => /^(tcp|udp)\//.test(key))
            .map(({ key, count }) => [key, count]),
        ),
      ),
    },
    {
      ...oracle,
      proto: sorted(oracle.proto),
      state: sorted(oracle.state),
      flags: sorted(oracle.flags),
      nat: sorted(oracle.nat),
      l3: sorted(oracle.l3),
      dport: sorted(oracle.dport),
    },
    'reference and oracle',
  );
}

describe('#11.24 engine, reference and oracle agree on damaged captured lines', () => {
  it('#11.24 the oracle reads every captured line as an entry', () => {
    const counts = oracleCounts(`${CAPTURED.join('\n')}\n`);
    assert.deepEqual([counts.entries, counts.malformed], [CAPTURED.length, 0]);
  });

  it('#11.24 an out-of-range port, octet, ICMP type, zone or mark is malformed for all three, not a NAT entry', async () => {
    const line = CAPTURED.find((text) => /^tcp +6 .* dport=\d+ .*dport=/.test(text))!;
    for (const [from, to] of [
      [/ dport=\d+/, ' dport=70000'],
      [/ dport=\d+/, ' dport=65536'],
      [/ src=(\d+)\.(\d+)\.(\d+)\.\d+/, ' src=$1.$2.$3.256'],
      [/ mark=\d+/, ' mark=4294967296'],
    ] as const) {
      const damaged = line.replace(from, to);
      assert.notEqual(damaged, line);
      const text = `${line}\n${damaged}\n`;
      await assertThreeAgree(text, 1 << 20);
      const { counts, summary } = await analyze(text, 'wasm', 1 << 20);
      assert.deepEqual([counts.entries, counts.malformed, counts.malformedFirst?.line], [1, 1, 2], damaged);
      assert.equal(summary.by.nat.dnat, undefined, damaged);
    }
  });

  it('#11.24 on tables of captured lines damaged token by token (property)', async () => {
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 700 }), async (text, chunkBytes) => {
        await assertThreeAgree(text, chunkBytes);
      }),
      { numRuns: 300 },
    );
  });
});
