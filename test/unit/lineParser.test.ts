import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalIPv6, formatAddress } from '../../src/core/table/address.js';
import { type ConntrackEntry, FLAG, cloneEntry, createEntry, natKind } from '../../src/core/table/entry.js';
import { EntryStreamParser, MAX_LINE_BYTES } from '../../src/core/table/entryStream.js';
import { parseEntryLine } from '../../src/core/table/lineParser.js';
import { formatEntryLine } from '../support/entryLine.js';
import { fixture } from '../support/paths.js';

function parseAll(text: string | Uint8Array, chunkSize = 1 << 20) {
  const entries: ConntrackEntry[] = [];
  const parser = new EntryStreamParser((entry) => entries.push(cloneEntry(entry)));
  const bytes = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
  return { entries, counts: parser.end() };
}

function parseOne(line: string): ConntrackEntry | null {
  const entry = createEntry();
  const bytes = Buffer.from(line);
  return parseEntryLine(bytes, 0, bytes.length, entry) ? entry : null;
}

const flowKey = (entry: ConntrackEntry) =>
  [
    entry.protoNum,
    formatAddress(entry.orig.src),
    formatAddress(entry.orig.dst),
    entry.orig.sport,
    entry.orig.dport,
  ].join(' ');

const SCENARIOS = ['scan', 'udp-flood', 'time-wait', 'pool', 'healthy', 'protocols'];
const FORMATS = ['procfs', 'conntrack', 'extended'];

describe('entry parser on real dumps (captured by scripts/capture-fixtures.ts)', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: every line of every format parses, and the three formats agree flow by flow`, () => {
      const keys = FORMATS.map((format) => {
        const text = readFileSync(fixture('tables', `${scenario}.${format}.txt`), 'utf8');
        const { entries, counts } = parseAll(text);
        assert.equal(counts.malformed, 0, `${format}: ${counts.malformedExample}`);
        assert.equal(counts.entries, text.trim().split('\n').length);
        // Unknown protocols (no tracker) print no ports in procfs but sport=0 in conntrack-tools.
        return entries
          .filter((entry) => entry.protoNum !== 33)
          .map(flowKey)
          .sort();
      });
      assert.deepEqual(keys[1], keys[0]);
      assert.deepEqual(keys[2], keys[0]);
    });
  }

  it('reads states, flags, NAT, IPv6, ICMP, GRE keys, marks, zones, accounting and timestamps', () => {
    const { entries } = parseAll(readFileSync(fixture('tables', 'protocols.procfs.txt'), 'utf8'));
    const find = (predicate: (entry: ConntrackEntry) => boolean) => {
      const found = entries.find(predicate);
      assert.ok(found);
      return found;
    };
    const v6 = find((e) => e.l3 === 6 && e.protoNum === 6);
    assert.equal(v6.orig.src, '2001:db8::1'); // procfs prints 2001:0db8:0000:...:0001
    assert.equal(v6.state, 'ESTABLISHED');
    assert.equal(v6.flags, FLAG.UNREPLIED | FLAG.ASSURED);
    assert.equal(find((e) => e.orig.dst === '2001:db8::2' && e.protoNum === 17).orig.src, '::ffff:10.0.0.1');
    assert.equal(natKind(find((e) => e.orig.sport === 5555)), 'snat');
    assert.equal(natKind(find((e) => e.orig.sport === 5556)), 'dnat');
    const icmp = find((e) => e.protoNum === 1);
    assert.deepEqual([icmp.orig.sport, icmp.orig.dport, icmp.orig.icmpId, icmp.reply.sport], [8, 0, 77, 0]);
    const gre = find((e) => e.protoNum === 47);
    assert.deepEqual([gre.orig.sport, gre.orig.dport], [0x10, 0x20]);
    const marked = find((e) => e.mark === 42);
    assert.equal(marked.zone, 7);
    const answered = find((e) => e.orig.dport === 53 && e.orig.packets > 0);
    assert.equal(answered.reply.packets, 1);
    assert.ok(answered.deltaTimeSeconds >= 0);
    assert.equal(find((e) => e.protoNum === 99).orig.sport, -1);
  });

  it('does not depend on where chunk boundaries fall', () => {
    const text = readFileSync(fixture('tables', 'protocols.procfs.txt'));
    const whole = parseAll(text).entries.map(flowKey);
    for (const size of [1, 7, 64, 333]) assert.deepEqual(parseAll(text, size).entries.map(flowKey), whole);
  });
});

describe('entry parser on bad input', () => {
  it('counts truncated lines and shows one example, never throws', () => {
    const lines = readFileSync(fixture('tables', 'pool.procfs.txt'), 'utf8').split('\n').slice(0, 5);
    const broken = [lines[0], lines[1]!.slice(0, 60), 'garbage \x00\xff bytes', lines[2]].join('\n');
    const { counts } = parseAll(broken);
    assert.equal(counts.entries, 2);
    assert.equal(counts.malformed, 2);
    assert.match(counts.malformedExample ?? '', /^line 2: not an IPv4 or IPv6 address: "dst="$/);
  });

  it('skips a huge line without buffering it and recovers on the next line', () => {
    const good = readFileSync(fixture('tables', 'pool.procfs.txt'), 'utf8').split('\n')[0]!;
    const { counts } = parseAll(`${'x'.repeat(MAX_LINE_BYTES * 3)}\n${good}\n`, 1000);
    assert.equal(counts.entries, 1);
    assert.equal(counts.malformed, 1);
  });

  it('ignores the conntrack-tools summary line and blank lines', () => {
    const good = readFileSync(fixture('tables', 'pool.conntrack.txt'), 'utf8').split('\n')[0]!;
    const { counts } = parseAll(
      `${good}\n\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n`,
    );
    assert.deepEqual([counts.entries, counts.malformed], [1, 0]);
  });

  it('never throws and never accepts random bytes as an entry with no addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const { counts } = parseAll(bytes, 97);
        return counts.entries + counts.malformed <= bytes.length + 1;
      }),
      { numRuns: 500 },
    );
  });
});

const ipv4 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const ipv6 = fc.ipV6().map((text) => canonicalIPv6(text)!);
const port = fc.integer({ min: 0, max: 65535 });

const entryArbitrary = fc
  .record({
    v6: fc.boolean(),
    proto: fc.constantFrom(6, 17, 1, 47, 99),
    timeout: fc.integer({ min: 0, max: 432000 }),
    state: fc.constantFrom('ESTABLISHED', 'SYN_SENT', 'TIME_WAIT', 'CLOSE_WAIT'),
    a: fc.tuple(ipv4, ipv4, ipv4, ipv4),
    b: fc.tuple(ipv6, ipv6, ipv6, ipv6),
    ports: fc.tuple(port, port, port, port),
    flags: fc.constantFrom(0, FLAG.UNREPLIED, FLAG.ASSURED, FLAG.OFFLOAD, FLAG.HW_OFFLOAD),
    mark: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    zone: fc.integer({ min: -1, max: 65535 }),
    packets: fc.integer({ min: -1, max: 1e9 }),
  })
  .map((r) => {
    const entry = createEntry();
    entry.l3 = r.v6 ? 6 : 4;
    entry.protoNum = r.v6 && r.proto === 1 ? 58 : r.proto;
    entry.timeoutSeconds = r.flags & FLAG.OFFLOAD || r.flags & FLAG.HW_OFFLOAD ? -1 : r.timeout;
    entry.state = r.proto === 6 ? r.state : '';
    const addresses = r.v6 ? r.b : r.a;
    const hasPortish = r.proto === 6 || r.proto === 17 || r.proto === 1 || r.proto === 47;
    const [s1, d1, s2, d2] = r.ports;
    Object.assign(entry.orig, {
      src: addresses[0],
      dst: addresses[1],
      sport: hasPortish ? (r.proto === 1 ? s1 % 256 : s1) : -1,
      dport: hasPortish ? (r.proto === 1 ? d1 % 256 : d1) : -1,
    });
    Object.assign(entry.reply, {
      src: addresses[2],
      dst: addresses[3],
      sport: hasPortish ? (r.proto === 1 ? s2 % 256 : s2) : -1,
      dport: hasPortish ? (r.proto === 1 ? d2 % 256 : d2) : -1,
    });
    if (entry.protoNum === 1 || entry.protoNum === 58) {
      entry.orig.icmpId = s1;
      entry.reply.icmpId = s1;
    }
    if (r.packets >= 0) {
      for (const t of [entry.orig, entry.reply]) {
        t.packets = r.packets;
        t.bytes = r.packets * 60;
      }
    }
    entry.flags = r.flags;
    entry.mark = r.mark;
    entry.zone = r.zone;
    entry.use = 2;
    return entry;
  });

describe('entry parser round trip (property)', () => {
  for (const style of ['procfs', 'conntrack'] as const) {
    it(`random valid ${style} lines parse back to the same fields`, () => {
      fc.assert(
        fc.property(entryArbitrary, (entry) => {
          const parsed = parseOne(formatEntryLine(entry, style));
          assert.ok(parsed, formatEntryLine(entry, style));
          assert.deepEqual(parsed, entry);
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('IPv6 from bytes', () => {
  it('agrees with the string canonicaliser on every valid form, and rejects what it rejects', async () => {
    const { ipv6FromBytes } = await import('../../src/core/table/ipv6Bytes.js');
    const candidates = fc.oneof(
      fc.ipV6(),
      fc.ipV6().map((text) => text.toUpperCase()),
      fc.string({ unit: fc.constantFrom('0', '1', 'a', 'F', ':', '.', '9'), maxLength: 45 }),
    );
    fc.assert(
      fc.property(candidates, (text) => {
        const bytes = Buffer.from(text, 'latin1');
        assert.equal(ipv6FromBytes(bytes, 0, bytes.length), canonicalIPv6(text), text);
        assert.equal(ipv6FromBytes(bytes, 0, bytes.length), canonicalIPv6(text), `${text} (cached)`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lines cut at their start', () => {
  const line = readFileSync(fixture('tables', 'time-wait.conntrack.txt'), 'utf8').split('\n')[0]!;

  it('#11.25 a line cut at its start (6 46 TIME_WAIT src=…) is malformed, not protocol unknown(46)', () => {
    const cut = line.slice(line.indexOf(' 6 ') + 1);
    assert.match(cut, /^6 \d+ TIME_WAIT src=/);
    assert.equal(parseOne(cut), null);
    const { counts } = parseAll(`${line}\n${cut}\n`);
    assert.deepEqual([counts.entries, counts.malformed], [1, 1]);
    assert.match(
      counts.malformedExample!,
      /^line 2: cut at its start: no protocol name before its number: "6"$/,
    );
  });

  it('#11.25 a damaged protocol name (cp 6 …) is read by its number and counted as repaired', () => {
    const { entries, counts } = parseAll(`${line.slice(1)}\n${line.slice(2)}\n${line}\n`);
    assert.deepEqual([counts.entries, counts.malformed, counts.repairedProtocolNames], [3, 0, 2]);
    assert.deepEqual(
      entries.map((entry) => entry.protoNum),
      [6, 6, 6],
    );
    // Another protocol's name contradicts the number: not a repair.
    assert.equal(parseOne(line.replace(/^tcp /, 'udp ')), null);
  });
});
