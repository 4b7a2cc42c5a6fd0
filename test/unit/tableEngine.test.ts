import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TableEngine, ownedServiceSignals } from '../../src/core/analysis/tableEngine.js';
import { IDLE_LONG_SECONDS, TableAggregator } from '../../src/core/analysis/tableAggregator.js';
import { summarizeTable } from '../../src/core/analysis/tableSummary.js';
import { CtdoctorError } from '../../src/core/errors.js';
import { EntryStreamParser } from '../../src/core/table/entryStream.js';
import { type ConntrackEntry, FLAG, createEntry } from '../../src/core/table/entry.js';
import { tableEngineModule } from '../../src/analysisRuntime/tableEngineModule.js';
import type { AnalysisEngine } from '../../src/core/analysis/analysisRun.js';
import { analyzeStream } from '../../src/analysisRuntime/tableAnalysis.js';
import { serviceListsAtHandOver } from '../../src/analysisRuntime/parsePipeline.js';
import { formatEntryLine } from '../support/entryLine.js';
import { fixture } from '../support/paths.js';

/**
 * The WebAssembly engine must give exactly the summary of the TypeScript reference: same counts,
 * same sketches, same keys surviving Space-Saving's evictions, same malformed example.
 */
async function analyze(
  input: Uint8Array,
  engine: AnalysisEngine,
  capacity: number,
  chunkBytes: number,
  establishedTimeoutSeconds?: number,
) {
  async function* chunks() {
    for (let offset = 0; offset < input.length; offset += chunkBytes)
      yield Buffer.from(input.subarray(offset, offset + chunkBytes));
  }
  const run = await analyzeStream(chunks(), { capacity, engine, establishedTimeoutSeconds });
  assert.equal(run.engine, engine);
  const { aggregator } = run;
  // Registers, not only estimates: a different hash of one address rarely moves a small estimate.
  const sketches = [aggregator.hllSrc, aggregator.hllDst, aggregator.hllUdpUnrepliedSrc].map((hll) =>
    Array.from(hll.registers),
  );
  return { counts: run.counts, summary: summarizeTable(aggregator, 10_000), sketches };
}

async function assertSameAnalysis(
  input: Uint8Array,
  capacity = 32768,
  chunkBytes = 4 << 20,
  establishedTimeoutSeconds?: number,
) {
  const reference = await analyze(input, 'typescript', capacity, 1 << 20, establishedTimeoutSeconds);
  const fast = await analyze(input, 'wasm', capacity, chunkBytes, establishedTimeoutSeconds);
  assert.deepEqual(fast, reference);
  return reference;
}

/** Small pools, so that keys repeat, counts tie and Space-Saving evicts at a small capacity. */
const address = fc.constantFrom(
  0x7f000001,
  0x7f000042,
  0x0a000001,
  0x0a0000fe,
  0x0a000101,
  -0x3f57fefe,
  0x64400001,
);
/** RFC 5952 texts, the reference's keys: compressed runs, a lone zero group, IPv4-mapped. */
const address6 = fc.constantFrom(
  '2001:db8::1',
  '2001:db8::2',
  '2001:db8:0:1::1',
  '2001:db8:1:2:3:4:0:6',
  'fe80::1',
  '::1',
  '::',
  '1::',
  '::ffff:10.0.0.1',
);
const entryArbitrary = fc
  .record({
    v6: fc.constantFrom(false, false, true),
    addresses6: fc.tuple(address6, address6, address6, address6),
    proto: fc.constantFrom(6, 17, 1),
    timeout: fc.oneof(fc.integer({ min: 0, max: 432000 }), fc.constant(-1)),
    state: fc.constantFrom('ESTABLISHED', 'SYN_SENT', 'TIME_WAIT', 'CLOSE_WAIT'),
    addresses: fc.tuple(address, address, address, address),
    ports: fc.tuple(fc.constantFrom(53, 123, 443, 40000), fc.constantFrom(22, 53, 80, 5432), fc.nat(65535)),
    nat: fc.boolean(),
    flags: fc.constantFrom(0, FLAG.UNREPLIED, FLAG.ASSURED, FLAG.OFFLOAD, FLAG.HW_OFFLOAD),
    mark: fc.constantFrom(-1, 0, 7, 2 ** 32 - 1),
    zone: fc.constantFrom(-1, 0, 3),
    packets: fc.constantFrom(-1, 5),
  })
  .map((r): ConntrackEntry => {
    const entry = createEntry();
    entry.l3 = r.v6 ? 6 : 4;
    entry.protoNum = r.v6 && r.proto === 1 ? 58 : r.proto;
    entry.timeoutSeconds = r.timeout;
    entry.state = r.proto === 6 ? r.state : '';
    const [src, dst, natSrc, natDst] = r.v6 ? r.addresses6 : r.addresses;
    const [sport, dport, natPort] = r.ports;
    const icmp = r.proto === 1;
    Object.assign(entry.orig, { src, dst, sport: icmp ? 8 : sport, dport: icmp ? 0 : dport });
    Object.assign(entry.reply, {
      src: r.nat ? natSrc : dst,
      dst: r.nat ? natDst : src,
      sport: icmp ? 0 : dport,
      dport: icmp ? 0 : r.nat ? natPort : sport,
    });
    if (icmp) entry.orig.icmpId = entry.reply.icmpId = 77;
    if (r.packets >= 0)
      for (const tuple of [entry.orig, entry.reply]) Object.assign(tuple, { packets: 5, bytes: 300 });
    entry.flags = r.flags;
    entry.mark = r.mark;
    entry.zone = r.zone;
    entry.use = 2;
    return entry;
  });

/** Lines that are not entries: garbage, truncations, tool summaries, blank and overlong lines. */
const junkLine = fc.oneof(
  fc
    .uint8Array({ maxLength: 200 })
    .map((bytes) => Buffer.from(bytes).toString('latin1').replaceAll('\n', ' ')),
  fc.constant('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.'),
  fc.constant(''),
  fc.constant(`tcp      6 300 ESTABLISHED src=10.0.0.1 ${'x'.repeat(5000)}`),
);

/** Entries the engine leaves to the reference parser. */
const otherEntry = fc.constantFrom(
  'ipv6     10 udp      17 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 sport=5353 dport=53 [UNREPLIED] src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=53 dport=5353 mark=0 zone=0 use=2',
  'gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 mark=0 use=1',
  'sctp     132 99 ESTABLISHED src=10.1.1.1 dst=10.3.3.3 sport=100 dport=200 packets=0 bytes=0 [UNREPLIED] src=10.3.3.3 dst=10.1.1.1 sport=200 dport=100 packets=0 bytes=0 mark=0 delta-time=0 use=1',
);

const entryLine = fc
  .tuple(entryArbitrary, fc.constantFrom('procfs', 'conntrack') as fc.Arbitrary<'procfs' | 'conntrack'>)
  .map(([entry, style]) => formatEntryLine(entry, style));

/** Cut anywhere, with CRLF or a stray word after the cut. */
const truncatedLine = fc
  .tuple(entryArbitrary, fc.nat(150), fc.constantFrom('', '\r', ' x', ' [ASSURED]\r'))
  .map(([entry, cut, tail]) => formatEntryLine(entry, 'conntrack').slice(0, 40 + cut) + tail);

/** The run's established timeout: absent (the kernel default), a usual one, or one below most timers. */
const establishedTimeout = fc.constantFrom(undefined, 86400, 432000, 3600);

const tableText = (lines: fc.Arbitrary<string[]>) =>
  fc.tuple(lines, fc.boolean()).map(([list, newline]) => list.join('\n') + (newline ? '\n' : ''));

/** Arrays sorted by their JSON and objects by key: the same content whatever the order of ties. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(sortedDeep).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, sortedDeep(inner)]),
    );
  return value;
}

describe('WebAssembly table engine agrees with the TypeScript reference', () => {
  it('is built and loads', () => {
    assert.ok(tableEngineModule(), 'native/table-engine.wasm is missing: run npm run build:engine');
  });

  it('refuses, in one line naming the fix, a capacity it has no memory for', () => {
    // 2^24 + 1 keys is past what the engine sizes its tables for: the same path as a failed grow.
    const parser = new EntryStreamParser(() => {});
    assert.throws(
      () => new TableEngine(tableEngineModule()!, { capacity: 2 ** 24 + 1 }, parser),
      (error: unknown) => error instanceof CtdoctorError && /lower --capacity/.test(error.message),
    );
  });

  it('#11.27 refuses, in one line naming npm run build:engine, a .wasm built for another ABI', () => {
    // Two stand-ins for a stale build: one without abi_version (built before it existed), one
    // whose abi_version() returns 7. Both are refused before any other export is called.
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const name = [...Buffer.from('abi_version')];
    const returnsSeven = [
      ...header,
      ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f], // type: () -> i32
      ...[0x03, 0x02, 0x01, 0x00], // one function of that type
      ...[0x07, 2 + name.length + 2, 0x01, name.length, ...name, 0x00, 0x00], // exported as abi_version
      ...[0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b], // i32.const 7
    ];
    const parser = new EntryStreamParser(() => {});
    for (const [bytes, found] of [
      [header, 'none'],
      [returnsSeven, '0x00000007'],
    ] as const) {
      assert.throws(
        () => new TableEngine(new WebAssembly.Module(new Uint8Array(bytes)), { capacity: 1024 }, parser),
        (error: unknown) =>
          error instanceof CtdoctorError &&
          !error.message.includes('\n') &&
          error.message.includes(`engine ABI ${found}, not 0x`) &&
          error.message.endsWith('run npm run build:engine'),
      );
    }
  });

  it('on every table captured from the real kernel (all three formats)', async () => {
    const files = readdirSync(fixture('tables')).filter((name) => !/protocols/.test(name));
    assert.ok(files.length >= 15);
    for (const name of files) {
      const { counts } = await assertSameAnalysis(readFileSync(fixture('tables', name)));
      assert.ok(counts.entries > 0, name);
    }
    // The pool's entries have 431999 s left: against this timeout each is idle exactly
    // IDLE_LONG_SECONDS, the bound both engines must count as long.
    const pool = await assertSameAnalysis(
      readFileSync(fixture('tables', 'pool.procfs.txt')),
      32768,
      4 << 20,
      431999 + IDLE_LONG_SECONDS,
    );
    assert.equal(pool.summary.signals.establishedPairs[0]!.idleLong, 300);
  });

  it('on random tables with garbage, evictions and arbitrary read sizes (property)', async () => {
    const lines = fc.array(
      fc.oneof(
        { weight: 8, arbitrary: entryLine },
        { weight: 1, arbitrary: junkLine },
        { weight: 1, arbitrary: truncatedLine },
      ),
      { maxLength: 120 },
    );
    await fc.assert(
      fc.asyncProperty(
        tableText(lines),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 700 }),
        establishedTimeout,
        async (text, capacity, chunkBytes, timeout) => {
          await assertSameAnalysis(Buffer.from(text, 'latin1'), capacity, chunkBytes, timeout);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('merges the entries it leaves to the reference parser (property)', async () => {
    // Two summaries merged: the same counts, with ties possibly in another order.
    const lines = fc.array(fc.oneof(entryLine, otherEntry, junkLine), { maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(tableText(lines), fc.integer({ min: 1, max: 700 }), async (text, chunkBytes) => {
        const input = Buffer.from(text, 'latin1');
        const reference = await analyze(input, 'typescript', 32768, 1 << 20);
        const fast = await analyze(input, 'wasm', 32768, chunkBytes);
        assert.deepEqual(fast.counts, reference.counts);
        assert.deepEqual(sortedDeep(fast.summary), sortedDeep(reference.summary));
        assert.deepEqual(fast.sketches, reference.sketches);
      }),
      { numRuns: 60 },
    );
  });

  it('hands other protocols (GRE, SCTP, unknown) to the reference parser and merges both parts', async () => {
    const input = readFileSync(fixture('tables', 'protocols.procfs.txt'));
    const reference = await analyze(input, 'typescript', 32768, 1 << 20);
    const fast = await analyze(input, 'wasm', 32768, 4 << 20);
    assert.deepEqual(fast.counts, reference.counts);
    assert.deepEqual(fast.summary.by, reference.summary.by);
    assert.deepEqual(fast.summary.distinct, reference.summary.distinct);
    const byKey = (list: { key: string; count: number }[]) =>
      [...list].sort((a, b) => a.key.localeCompare(b.key));
    for (const list of ['src', 'dst', 'dport', 'srcPrefix'] as const)
      assert.deepEqual(byKey(fast.summary.top[list]), byKey(reference.summary.top[list]), list);
    assert.ok(reference.summary.by.l3.ipv6! > 0 && reference.summary.by.l3.ipv4! > 0);
  });

  it("counts a parse-only engine's records, handed over mid-line, as one engine would (property)", async () => {
    // The two halves of a pipelined analysis in one thread: an engine that parses and counts the
    // start, then counts the records another engine parses from the hand-over on.
    const lines = fc.array(fc.oneof(entryLine, entryLine, otherEntry, junkLine), { maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(
        tableText(lines),
        // 0: the parse thread parses every entry, so it counts the service tallies too.
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.integer({ min: 1, max: 8 }),
        establishedTimeout,
        async (text, cut, capacity, timeout) => {
          const input = Buffer.from(text, 'latin1');
          const split = Math.floor(cut * input.length);
          assert.deepEqual(
            pipelined(input, split, capacity, timeout),
            await analyze(input, 'wasm', capacity, 1 << 20, timeout),
          );
        },
      ),
      { numRuns: 120 },
    );
  });

  it('on a table whose detector lists overflow (Space-Saving), single, pipelined and in parts', async () => {
    const input = Buffer.from(overflowingTable(36_000), 'latin1');
    const reference = await assertSameAnalysis(input, 32768, 4 << 20, 86400);
    const { signals } = reference.summary;
    // Every class-conditional list evicted keys, so their counts carry errors.
    for (const rows of [signals.unrepliedServices, signals.timeWaitServices, signals.natBackends])
      assert.ok(
        rows.some((row) => (row.error ?? 0) > 0),
        `${rows.length} rows`,
      );
    assert.ok(
      signals.unrepliedServices.some((row) => row.topSources.some((share) => (share.error ?? 0) > 0)),
    );
    assert.ok(signals.unrepliedServices.some((row) => row.destination.includes(':')));
    assert.ok(signals.establishedPairs.some((pair) => pair.idleLong > 0 && pair.minIdleSeconds > 0));
    const single = await analyze(input, 'wasm', 32768, 1 << 20, 86400);
    assert.deepEqual(pipelined(input, Math.floor(input.length / 3), 32768, 86400), single);
    // The parse thread from the first byte: it counts the (overflowing) service tallies.
    assert.deepEqual(pipelined(input, 0, 32768, 86400), single);
  });

  it('prunes a list whose kept keys are far above its floor as one whose keys are all near it', async () => {
    // A prune finds its threshold from a histogram of the counts just above the floor; when the
    // capacity's worth of largest counts lies beyond it (two sources of 300 entries, capacity 2),
    // it selects the threshold as before. Both ways must keep the reference's keys.
    const line = (source: number, port: number) => {
      const entry = createEntry();
      entry.protoNum = 6;
      entry.state = 'ESTABLISHED';
      entry.timeoutSeconds = 300;
      entry.flags = FLAG.ASSURED;
      const src = 0x0a000000 + source; // 10.0.x.y
      const dst = 0x0a010001;
      Object.assign(entry.orig, { src, dst, sport: port, dport: 443 });
      Object.assign(entry.reply, { src: dst, dst: src, sport: 443, dport: port });
      return formatEntryLine(entry, 'procfs');
    };
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(line(1, 1024 + i), line(2, 1024 + i));
    for (let i = 0; i < 600; i++) lines.push(line(3 + i, 2048), line(1 + (i % 2), 4096 + i));
    const reference = await assertSameAnalysis(Buffer.from(`${lines.join('\n')}\n`, 'latin1'), 2);
    // The two heavy sources were never evicted; the light ones were, one prune after another.
    const [first, second, ...light] = reference.summary.top.src;
    assert.deepEqual(
      [first, second],
      [
        { key: '10.0.0.1', count: 600 },
        { key: '10.0.0.2', count: 600 },
      ],
    );
    assert.ok(light.every((row) => (row.error ?? 0) > 0));
  });

  it("a summary taken over from the engine is posted without the engine's memory", () => {
    // merge() takes the engine's arrays over; a state posted between threads (split mode) must not
    // carry the whole WebAssembly memory they are views into.
    const engine = new TableEngine(tableEngineModule()!, { capacity: 32768 }, { push: () => {} });
    engine.push(readFileSync(fixture('tables', 'udp-flood.procfs.txt')));
    engine.finish();
    const aggregator = new TableAggregator({ capacity: 32768 });
    aggregator.merge(engine.toState());
    const state = structuredClone(aggregator.toState());
    for (const ports of [state.tcpDport, state.udpDport, state.udpUnrepliedDport])
      assert.equal(ports.buffer.byteLength, 65536 * 8);
    assert.ok(state.udpDport.some((count) => count > 0));
  });

  it('adopts more distinct states across a hand-over than one engine holds', async () => {
    const template = readFileSync(fixture('tables', 'pool.procfs.txt'), 'latin1')
      .split('\n')
      .find((line) => line.includes(' ESTABLISHED '))!;
    // 60 states before the hand-over and 60 others after: 120 in all, over the 64 of one engine.
    const name = (i: number) =>
      `Q${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`;
    const half = (from: number) =>
      Array.from({ length: 60 }, (_, i) => template.replace(' ESTABLISHED ', ` ${name(from + i)} `)).join(
        '\n',
      );
    const first = Buffer.from(`${half(0)}\n`, 'latin1');
    const input = Buffer.concat([first, Buffer.from(`${half(60)}\n`, 'latin1')]);
    const result = pipelined(input, first.length, 32768);
    assert.equal(result.counts.entries, 120);
    assert.equal(Object.keys(result.summary.by.state).length, 120);
    assert.equal(result.summary.by.state[name(119)], 1);
  });
});

/**
 * A table with more distinct unreplied and TIME_WAIT services, (service, source) pairs, DNAT
 * backends and ESTABLISHED pairs than the detector lists hold (2 × 4096): a few heavy keys among
 * many light ones, IPv4 and IPv6, from a fixed seed.
 */
function overflowingTable(count: number): string {
  let seed = 13;
  const random = (below: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % below;
  };
  // Heavy-tailed: a quarter of the draws from 8 keys, the rest from `spread`.
  const pick = (spread: number) => (random(4) ? random(spread) : random(8));
  const v4 = (n: number) => 0x0a000000 + n;
  const v6 = (n: number) => `2001:db8::${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = createEntry();
    const ipv6 = random(5) === 0;
    const address = (n: number) => (ipv6 ? v6(n) : v4(n));
    const kind = [0, 1, 1, 1, 2, 2, 2, 3][random(8)]!;
    entry.l3 = ipv6 ? 6 : 4;
    entry.protoNum = kind === 1 && random(2) ? 17 : 6;
    entry.state = entry.protoNum === 6 ? ['ESTABLISHED', 'SYN_SENT', 'TIME_WAIT', 'ESTABLISHED'][kind]! : '';
    entry.timeoutSeconds = random(90000);
    entry.flags = kind === 1 ? FLAG.UNREPLIED : FLAG.ASSURED;
    const src = address(pick(20000));
    const dst = address((1 << 16) | pick(6000));
    const dport = 1 + pick(40);
    Object.assign(entry.orig, { src, dst, sport: 1024 + random(60000), dport });
    const dnat = random(3) === 0;
    Object.assign(entry.reply, {
      src: dnat ? address((2 << 16) | pick(9000)) : dst,
      dst: src,
      sport: dnat ? 8000 + random(4) : dport,
      dport: entry.orig.sport,
    });
    entry.mark = 0;
    entry.use = 1;
    lines.push(formatEntryLine(entry, random(2) ? 'procfs' : 'conntrack'));
  }
  return `${lines.join('\n')}\n`;
}

/** analyze() of the wasm engine, the way pipelinedAnalysis.ts splits the work, without threads. */
function pipelined(input: Uint8Array, split: number, capacity: number, establishedTimeoutSeconds?: number) {
  const aggregator = new TableAggregator({ capacity, establishedTimeoutSeconds });
  const parser = new EntryStreamParser((entry) => aggregator.add(entry));
  const module = tableEngineModule()!;
  const counting = new TableEngine(module, { capacity, establishedTimeoutSeconds }, parser);
  let otherLines = 0;
  counting.push(input.subarray(0, split));
  const linesBefore = counting.lines;
  const tail = counting.detachTail();
  if (tail) {
    const lists = serviceListsAtHandOver(counting.entries);
    counting.countServices(lists.counting);
    const records: [Uint8Array, number][] = [];
    const parsing = new TableEngine(
      module,
      { capacity: 1 },
      {
        push: (bytes, firstLine) =>
          parser.push(Buffer.from(bytes), firstLine === undefined ? undefined : linesBefore + firstLine),
      },
      {
        perCall: 128, // the smallest the engine takes (a batch)
        onRecords: (bytes, count) => records.push([Buffer.from(bytes), count]),
      },
    );
    parsing.countServices(lists.parsing);
    parsing.push(tail);
    parsing.push(input.subarray(split));
    parsing.finish();
    const states = parsing.statesFrom(0);
    for (const [bytes, count] of records) counting.countRecords(bytes, count, states);
    if (lists.parsing !== 'none') counting.adoptServiceSignals(ownedServiceSignals(parsing.serviceSignals()));
    otherLines = parsing.lines;
  } else {
    counting.push(input.subarray(split));
    counting.finish();
  }
  const counts = parser.end();
  counting.finish();
  aggregator.merge(counting.toState());
  const sketches = [aggregator.hllSrc, aggregator.hllDst, aggregator.hllUdpUnrepliedSrc].map((hll) =>
    Array.from(hll.registers),
  );
  return {
    counts: { ...counts, entries: counts.entries + counting.entries, lines: counting.lines + otherLines },
    summary: summarizeTable(aggregator, 10_000),
    sketches,
  };
}
