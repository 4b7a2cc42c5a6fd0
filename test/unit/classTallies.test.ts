import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IDLE_LONG_SECONDS, TableAggregator } from '../../src/core/analysis/tableAggregator.js';
import { type EstablishedPair, summarizeTable } from '../../src/core/analysis/tableSummary.js';
import { type AddressKey, formatAddress } from '../../src/core/table/address.js';
import { type ConntrackEntry, FLAG, cloneEntry, createEntry, natKind } from '../../src/core/table/entry.js';
import { tableFileEntries } from '../support/findings.js';

function signalsOf(entries: ConntrackEntry[], limit = 10, establishedTimeoutSeconds?: number) {
  const aggregator = new TableAggregator({ capacity: 1024, establishedTimeoutSeconds });
  for (const entry of entries) aggregator.add(entry);
  return summarizeTable(aggregator, limit).signals;
}

const FORMATS = ['procfs', 'conntrack', 'extended'];

describe('class-conditional tallies on tables captured from the real kernel', () => {
  for (const format of FORMATS) {
    it(`udp-flood (${format}): one unreplied service, its 300 one-entry sources, none answered`, () => {
      const [service, ...others] = signalsOf(tableFileEntries(`udp-flood.${format}.txt`)).unrepliedServices;
      assert.equal(others.length, 0);
      assert.equal(service!.service, '127.0.0.1:53/udp');
      assert.equal(service!.entries, 300);
      assert.equal(service!.distinctSources, 300);
      assert.equal(service!.answered, 0);
      assert.equal(service!.topSources.length, 10);
      assert.ok(
        service!.topSources.every((share) => share.entries === 1 && share.source.startsWith('127.1.')),
      );
    });

    it(`time-wait (${format}): the service and the one client that closes every connection`, () => {
      const signals = signalsOf(tableFileEntries(`time-wait.${format}.txt`));
      assert.deepEqual(signals.timeWaitServices, [
        {
          service: '127.0.0.1:8080/tcp',
          proto: 'tcp',
          destination: '127.0.0.1',
          port: 8080,
          entries: 300,
          distinctSources: 1,
          topSources: [{ source: '127.0.0.40', entries: 300 }],
        },
      ]);
      assert.deepEqual(signals.unrepliedServices, []);
    });

    it(`pool (${format}): idle is the given established timeout minus the remaining one`, () => {
      const entries = tableFileEntries(`pool.${format}.txt`);
      // The capture's pool was aged with conntrack -U to ~3 h idle: its entries have a few
      // seconds' spread of remaining timeouts, all far below the 5-day default.
      const remaining = entries.map((entry) => entry.timeoutSeconds);
      const freshest = Math.max(...remaining);
      const idleAt = (timeout: number) => remaining.map((left) => Math.max(timeout - left, 0));
      const mean = (values: number[]) => Math.round(values.reduce((sum, v) => sum + v, 0) / values.length);
      assert.equal(entries.length, 300);
      assert.ok(freshest < 432000 - 3 * IDLE_LONG_SECONDS);
      const pair = (timeout?: number) => signalsOf(entries, 10, timeout).establishedPairs[0]!;
      assert.deepEqual(pick(pair()), {
        idleLong: 300,
        meanIdleSeconds: mean(idleAt(432000)),
        minIdleSeconds: 432000 - freshest,
      });
      assert.equal(signalsOf(entries).establishedTimeoutSeconds, 432000);
      // Exactly IDLE_LONG_SECONDS idle is long; one second less is not (only the freshest entries
      // fall below); a timeout below the remaining one clamps to 0.
      assert.deepEqual(pick(pair(freshest + IDLE_LONG_SECONDS)), {
        idleLong: 300,
        meanIdleSeconds: mean(idleAt(freshest + IDLE_LONG_SECONDS)),
        minIdleSeconds: IDLE_LONG_SECONDS,
      });
      const freshestCount = remaining.filter((left) => left === freshest).length;
      assert.equal(pick(pair(freshest + IDLE_LONG_SECONDS - 1)).idleLong, 300 - freshestCount);
      assert.deepEqual(pick(pair(3600)), { idleLong: 0, meanIdleSeconds: 0, minIdleSeconds: 0 });
      assert.equal(signalsOf(entries, 10, 86400).establishedTimeoutSeconds, 86400);
    });
  }
});

describe('distinct sources', () => {
  it('are counted exactly while the (service, source) list is, not estimated by the sketch', () => {
    // The udp-flood capture's first entry, twice from each of 2000 sources: the 256-register
    // sketch says 2026 there.
    const [template] = tableFileEntries('udp-flood.procfs.txt');
    const entries = Array.from({ length: 4000 }, (_, i) => {
      const entry = cloneEntry(template!);
      entry.orig.src = entry.reply.dst = 0x7f100000 + (i % 2000);
      return entry;
    });
    const [service] = signalsOf(entries).unrepliedServices;
    assert.equal(service!.entries, 4000);
    assert.equal(service!.distinctSources, 2000);
  });
});

const pick = ({ idleLong, meanIdleSeconds, minIdleSeconds }: EstablishedPair) => ({
  idleLong,
  meanIdleSeconds,
  minIdleSeconds,
});

/** Small pools, so that services repeat, sources share them and some entries are DNAT'd. */
const address4 = fc.constantFrom(0x7f000001, 0x7f000002, 0x0a000001, -0x3f57fefe);
const address6 = fc.constantFrom('2001:db8::1', '::1', 'fe80::2');
const entryArbitrary = fc
  .record({
    v6: fc.boolean(),
    addresses4: fc.tuple(address4, address4, address4),
    addresses6: fc.tuple(address6, address6, address6),
    proto: fc.constantFrom(6, 17, 1),
    state: fc.constantFrom('ESTABLISHED', 'SYN_SENT', 'TIME_WAIT'),
    unreplied: fc.boolean(),
    dnat: fc.boolean(),
    ports: fc.tuple(fc.constantFrom(53, 80), fc.constantFrom(8053, 8080), fc.nat(65535)),
    timeout: fc.oneof(fc.integer({ min: 0, max: 432000 }), fc.constant(-1)),
  })
  .map((r): ConntrackEntry => {
    const entry = createEntry();
    const [src, dst, backend] = r.v6 ? r.addresses6 : r.addresses4;
    const [dport, backendPort, sport] = r.ports;
    entry.l3 = r.v6 ? 6 : 4;
    entry.protoNum = r.v6 && r.proto === 1 ? 58 : r.proto;
    entry.state = r.proto === 6 ? r.state : '';
    entry.timeoutSeconds = r.timeout;
    entry.flags = r.unreplied ? FLAG.UNREPLIED : FLAG.ASSURED;
    Object.assign(entry.orig, { src, dst, sport, dport });
    Object.assign(entry.reply, r.dnat ? { src: backend, sport: backendPort } : { src: dst, sport: dport });
    Object.assign(entry.reply, { dst: src, dport: sport });
    return entry;
  });

/** The plain count the tallies must equal while their keys fit. */
function count<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
const text = (address: AddressKey) => {
  const shown = formatAddress(address);
  return shown.includes(':') ? `[${shown}]` : shown;
};
const protoName = (entry: ConntrackEntry) => (entry.protoNum === 6 ? 'tcp' : 'udp');
const service = (entry: ConntrackEntry) => `${text(entry.orig.dst)}:${entry.orig.dport}/${protoName(entry)}`;

function oracle(entries: ConntrackEntry[], timeout: number) {
  const unreplied = new Map<string, Map<string, number>>();
  const answered = new Map<string, number>();
  const timeWait = new Map<string, Map<string, number>>();
  const backends = new Map<string, { entries: number; unreplied: number; remaining: number }>();
  const idle = new Map<string, number[]>();
  for (const entry of entries) {
    if (entry.protoNum !== 6 && entry.protoNum !== 17) continue;
    const isUnreplied = (entry.flags & FLAG.UNREPLIED) !== 0;
    const bySource = (classes: Map<string, Map<string, number>>) => {
      const sources = classes.get(service(entry)) ?? new Map<string, number>();
      classes.set(service(entry), sources);
      count(sources, formatAddress(entry.orig.src));
    };
    if (isUnreplied) bySource(unreplied);
    else count(answered, service(entry));
    if (entry.state === 'TIME_WAIT') bySource(timeWait);
    if (natKind(entry) === 'dnat' || natKind(entry) === 'both') {
      const key = `${service(entry)} ${text(entry.reply.src)}:${entry.reply.sport}`;
      const row = backends.get(key) ?? { entries: 0, unreplied: 0, remaining: 0 };
      backends.set(key, row);
      row.entries++;
      if (isUnreplied) row.unreplied++;
      row.remaining += Math.max(entry.timeoutSeconds, 0);
    }
    if (entry.protoNum === 6 && entry.state === 'ESTABLISHED') {
      const key = `${formatAddress(entry.orig.src)} ${formatAddress(entry.orig.dst)} ${entry.orig.dport}`;
      const idles = idle.get(key) ?? [];
      idle.set(key, idles);
      if (entry.timeoutSeconds >= 0) idles.push(Math.max(timeout - entry.timeoutSeconds, 0));
    }
  }
  return { unreplied, answered, timeWait, backends, idle };
}

const total = (sources: Map<string, number>) => [...sources.values()].reduce((a, b) => a + b, 0);
const sortedSources = (sources: Map<string, number>) =>
  [...sources].map(([source, entries]) => ({ source, entries })).sort(bySource);
const bySource = (a: { source: string; entries: number }, b: { source: string; entries: number }) =>
  b.entries - a.entries || a.source.localeCompare(b.source);

describe('class-conditional tallies against a plain count (property)', () => {
  it('services, their sources, answered, DNAT backends and idle profiles are exact while keys fit', () => {
    fc.assert(
      fc.property(
        fc.array(entryArbitrary, { maxLength: 150 }),
        fc.integer({ min: 0, max: 500000 }),
        (entries, timeout) => {
          const signals = signalsOf(entries, 10_000, timeout);
          const expected = oracle(entries, timeout);
          const classes = (rows: typeof signals.timeWaitServices) =>
            Object.fromEntries(
              rows.map((row) => [
                row.service,
                [row.entries, row.distinctSources, [...row.topSources].sort(bySource)],
              ]),
            );
          const expectedClasses = (classMap: Map<string, Map<string, number>>) =>
            Object.fromEntries(
              [...classMap].map(([key, sources]) => [
                key,
                [total(sources), sources.size, sortedSources(sources)],
              ]),
            );
          assert.deepEqual(classes(signals.unrepliedServices), expectedClasses(expected.unreplied));
          assert.deepEqual(classes(signals.timeWaitServices), expectedClasses(expected.timeWait));
          for (const row of signals.unrepliedServices)
            assert.equal(row.answered, expected.answered.get(row.service) ?? 0, row.service);
          assert.deepEqual(
            Object.fromEntries(
              signals.natBackends.map((row) => [
                `${row.service} ${row.backend}`,
                { entries: row.entries, unreplied: row.unreplied, remaining: row.meanRemainingSeconds },
              ]),
            ),
            Object.fromEntries(
              [...expected.backends].map(([key, row]) => [
                key,
                {
                  entries: row.entries,
                  unreplied: row.unreplied,
                  remaining: Math.round(row.remaining / row.entries),
                },
              ]),
            ),
          );
          for (const pair of signals.establishedPairs) {
            const idles = expected.idle.get(`${pair.client} ${pair.server} ${pair.port}`)!;
            assert.equal(pair.idleLong, idles.filter((seconds) => seconds >= IDLE_LONG_SECONDS).length);
            assert.equal(pair.minIdleSeconds, idles.length ? Math.min(...idles) : 0);
            const mean = idles.length ? Math.round(idles.reduce((a, b) => a + b, 0) / idles.length) : 0;
            assert.equal(pair.meanIdleSeconds, mean);
          }
          // Lists are ranked by entries, largest first.
          for (const rows of [signals.unrepliedServices, signals.timeWaitServices, signals.natBackends])
            assert.deepEqual(
              rows.map((row) => row.entries),
              rows.map((row) => row.entries).sort((a, b) => b - a),
            );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps at most `limit` rows and sources, and merging two halves keeps the counts', () => {
    const entries = fc.sample(entryArbitrary, { numRuns: 400, seed: 13 });
    const signals = signalsOf(entries, 2);
    assert.ok(signals.unrepliedServices.length === 2 && signals.natBackends.length === 2);
    assert.ok(signals.unrepliedServices.every((row) => row.topSources.length <= 2));
    const left = new TableAggregator({ capacity: 1024 });
    const right = new TableAggregator({ capacity: 1024 });
    for (const [i, entry] of entries.entries()) (i % 2 ? left : right).add(entry);
    left.merge(right.toState());
    const merged = summarizeTable(left, 10_000).signals;
    const whole = signalsOf(entries, 10_000);
    const rows = (s: typeof whole) =>
      [s.unrepliedServices, s.timeWaitServices, s.natBackends, s.establishedPairs].map((list) =>
        // Ties among a service's sources may come in another order after a merge.
        [...list]
          .map((row) =>
            JSON.stringify(
              'topSources' in row ? { ...row, topSources: [...row.topSources].sort(bySource) } : row,
            ),
          )
          .sort(),
      );
    assert.deepEqual(rows(merged), rows(whole));
  });
});
