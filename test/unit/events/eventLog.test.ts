import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LOST_EVENTS_LINE } from '../../../src/core/events/eventLine.js';
import { EventLogReader } from '../../../src/core/events/eventLog.js';
import { type EventLogReport, buildEventLogReport } from '../../../src/core/events/eventLogReport.js';
import { savedInputKind } from '../../../src/core/events/savedInputKind.js';
import { renderEventLogText } from '../../../src/render/analyzeEventsText.js';
import { fixture } from '../../support/paths.js';

/** The capture's senders and rates (scripts/capture-fixtures.ts EVENT_LOG_SOURCES; its README). */
const SENT = [
  { source: '127.0.0.4', ratePerSecond: 30 },
  { source: '127.0.0.3', ratePerSecond: 20 },
  { source: '127.0.0.2', ratePerSecond: 10 },
] as const;
const TOLERANCE = 0.1;
const RATES = 'udp-10-20-30.E-NEW-DESTROY-timestamp-id.txt';
const EXTENDED = 'udp-10-20-30-tcp.E-extended-timestamp.txt';
const UNTIMED = 'udp-10-20-30-tcp.E-extended.txt';
const CAPACITY = 1024;

const logText = (name: string) => readFileSync(fixture('event-logs', name), 'latin1');
const bytes = (text: string) => Buffer.from(text, 'latin1');

function readLog(chunks: Uint8Array[], capacity = CAPACITY, top = 10) {
  const reader = new EventLogReader(capacity);
  for (const chunk of chunks) reader.push(chunk);
  return reader.end(top);
}

function report(text: string, capacity = CAPACITY, top = 10): EventLogReport {
  return buildEventLogReport(readLog([bytes(text)], capacity, top), { kind: 'file', description: 'log' });
}

/** A third, simple oracle: NEW lines per original source, by regular expression. */
function newBySource(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /\[NEW\].*?src=(\S+)/.exec(line);
    if (match) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  }
  return counts;
}

const within = (measured: number, expected: number) => Math.abs(measured - expected) <= TOLERANCE * expected;

describe('a saved conntrack -E log, read as events', () => {
  for (const name of [RATES, EXTENDED]) {
    it(`${name}: each source's rate within ±10 % of what the lab sent, in rank order`, () => {
      const result = report(logText(name));
      assert.ok(result.span !== null && result.span.seconds > 4, JSON.stringify(result.span));
      assert.deepEqual(
        result.topSources.slice(0, 3).map((row) => row.source),
        SENT.map((row) => row.source),
      );
      for (const { source, ratePerSecond } of SENT) {
        const row = result.topSources.find((candidate) => candidate.source === source)!;
        assert.ok(
          within(row.newPerSecond!, ratePerSecond),
          `${source}: ${row.newPerSecond}/s of ${ratePerSecond}/s`,
        );
      }
      const sent = SENT.reduce((sum, row) => sum + row.ratePerSecond, 0);
      const udp = result.byProtocol.find((row) => row.protocol === 'udp')!;
      assert.ok(within(udp.newPerSecond!, sent), `udp ${udp.newPerSecond}/s of ${sent}/s`);
      assert.equal(result.ratesUnavailable, null);
      assert.equal(result.netGrowth, result.events.new - result.events.destroy);
    });
  }

  it('counts every NEW line by source exactly as a regular expression does, and every line read', () => {
    for (const name of readdirSync(fixture('event-logs')).filter((file) => file.endsWith('.txt'))) {
      const text = logText(name);
      const result = report(text, CAPACITY, 1000);
      const oracle = newBySource(text);
      assert.deepEqual(new Map(result.topSources.map((row) => [row.source, row.newEntries])), oracle, name);
      assert.equal(
        result.events.new,
        [...oracle.values()].reduce((sum, count) => sum + count, 0),
      );
      assert.equal(result.events.update, text.split('[UPDATE]').length - 1, name);
      assert.equal(result.lines.unreadable, 0, `${name}: ${result.lines.unreadableExample}`);
      assert.equal(result.lines.read, text.trimEnd().split('\n').length);
    }
  });

  it('gives counts, and says rates are unavailable, for a log without timestamps', () => {
    const result = report(logText(UNTIMED));
    assert.equal(result.span, null);
    assert.equal(result.newPerSecond, null);
    assert.match(result.ratesUnavailable!, /no timestamps .*-o timestamp/);
    assert.ok(result.topSources.every((row) => row.newPerSecond === null && row.newEntries > 0));
    assert.equal(result.format.timestamps, false);
    const text = renderEventLogText(result);
    assert.match(text, /no rates: the log has no timestamps/);
    assert.doesNotMatch(text, /\/s/, 'no rate printed');
  });

  it('tells what the log was saved with: -o id, the event kinds', () => {
    const rates = report(logText(RATES));
    assert.deepEqual(rates.format, { timestamps: true, conntrackIds: true, eventKinds: ['NEW'] });
    const all = report(readFileSync(fixture('events', 'conntrack-E-timestamp.txt'), 'latin1'));
    assert.deepEqual(all.format, {
      timestamps: true,
      conntrackIds: false,
      eventKinds: ['NEW', 'UPDATE', 'DESTROY'],
    });
    assert.deepEqual(all.events, { new: 4, update: 1, destroy: 1 });
    assert.equal(all.notes.length, 0);
    assert.match(rates.notes.join('\n'), /no DESTROY events: the log was saved with -e NEW/);
  });

  it('reads the same whatever the chunk boundaries, in a reused read buffer (lines split across reads)', () => {
    const whole = bytes(logText(EXTENDED));
    const expected = readLog([whole]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 40 }), (cuts) => {
        const offsets = [0, ...[...new Set(cuts)].sort((a, b) => a - b), whole.length];
        // One reused buffer, as a file is read: each chunk is overwritten once it has been pushed.
        const reused = Buffer.alloc(whole.length);
        const reader = new EventLogReader(CAPACITY);
        for (const [i, end] of offsets.slice(1).entries()) {
          const chunk = reused.subarray(0, end - offsets[i]!);
          whole.copy(chunk, 0, offsets[i]!, end);
          reader.push(chunk);
          chunk.fill(0x5a);
        }
        assert.deepEqual(reader.end(10), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('counts a last line cut short, garbage and an overlong line without failing, and reads the rest', () => {
    const text = logText(RATES);
    const lines = text.trimEnd().split('\n');
    const damaged = [lines[0], '\u0000\u0013garbage', lines[1], 'x'.repeat(10_000), ...lines.slice(2)].join(
      '\n',
    );
    // The last line keeps only its start (into the original tuple) and loses its newline.
    const cut = (text: string) => text.slice(0, text.trimEnd().lastIndexOf('\n') + 60);
    const result = report(cut(damaged));
    assert.equal(result.lines.unreadable, 3);
    assert.match(result.lines.unreadableExample!, /^line 2: not a conntrack -E event: "\?\?garbage"$/);
    assert.equal(result.events.new, lines.length - 1, 'every whole event line counted');
    const lastOnly = report(cut(text));
    assert.match(lastOnly.lines.unreadableExample!, /cut short \(the last line, without a newline\)/);
    assert.match(renderEventLogText(lastOnly), /1 line could not be read; line \d+: cut short/);
  });

  it("counts conntrack's ENOBUFS warnings and skips its own summary (a log saved with 2>&1)", () => {
    const text = logText(RATES);
    const warning = LOST_EVENTS_LINE.source.replace(/\\/g, '');
    const result = report(
      `${text}${warning}\n${warning}\nconntrack v1.4.7 (conntrack-tools): 305 flow events have been shown.\n`,
    );
    assert.equal(result.lostEventWarnings, 2);
    assert.equal(result.lines.unreadable, 0);
    assert.match(result.notes.join('\n'), /lost events \(ENOBUFS\): the counts are low/);
    assert.match(renderEventLogText(result), /LOST EVENTS: 2 ENOBUFS warnings/);
  });

  it('stays bounded by the capacity: counts become upper bounds, the heavy hitters stay right', () => {
    const text = logText(RATES);
    const small = report(text, 4, 1000);
    const oracle = newBySource(text);
    assert.deepEqual(
      small.topSources.slice(0, 3).map((row) => row.source),
      SENT.map((row) => row.source),
    );
    // 300 distinct destinations through a list of 4 (2 × 4 counted): evicted, so bounded and marked.
    assert.ok(small.topDestinations.length <= 8, `${small.topDestinations.length} destinations kept`);
    assert.ok(small.topDestinations.some((row) => row.errorEntries > 0));
    for (const row of small.topSources) {
      const exact = oracle.get(row.source)!;
      assert.ok(row.newEntries >= exact && row.newEntries - row.errorEntries <= exact, row.source);
    }
  });

  it('refuses a log of which no line is an event, and one with table entries in it', () => {
    assert.throws(
      () => report('\u0000garbage\nmore garbage\n'),
      /nothing in log could be read as a conntrack -E event; line 1/,
    );
    const table = readFileSync(fixture('tables', 'pool.conntrack.txt'), 'latin1').split('\n')[0]!;
    const lines = logText(RATES).split('\n');
    assert.throws(
      () => report([...lines.slice(0, 100), table, ...lines.slice(100)].join('\n')),
      /log mixes conntrack -E events and table entries \(line 101\): analyse the event log and the table dump as separate files/,
    );
  });
});

describe('a saved input: event log or table, from its first lines', () => {
  it('every captured table is a table and every captured event log an event log', () => {
    for (const name of readdirSync(fixture('tables')).filter((file) => file.endsWith('.txt')))
      assert.equal(savedInputKind(readFileSync(fixture('tables', name), 'latin1'), name), 'table', name);
    for (const dir of ['events', 'event-logs'])
      for (const name of readdirSync(fixture(dir)).filter((file) => file.endsWith('.txt')))
        assert.equal(savedInputKind(readFileSync(fixture(dir, name), 'latin1'), name), 'events', name);
  });

  it('an event log cut from the middle (a damaged first line) is still an event log', () => {
    assert.equal(savedInputKind(logText(RATES).slice(30), 'cut'), 'events');
  });

  it('refuses both at once, naming the lines and the fix', () => {
    const table = readFileSync(fixture('tables', 'scan.conntrack.txt'), 'latin1').split('\n').slice(0, 3);
    const events = logText(RATES).split('\n').slice(0, 3);
    assert.throws(() => savedInputKind([...events, ...table].join('\n'), 'both.txt'), {
      message:
        'both.txt mixes conntrack -E events (line 1) and table entries (line 4): analyse the event log and the table dump as separate files',
    });
  });

  it('leaves garbage to the table reader, which refuses it in its own words', () => {
    assert.equal(savedInputKind('\u0000\u0001\u0002\nnot a line\n', 'noise'), 'table');
    assert.equal(savedInputKind('', 'empty'), 'table');
  });
});

describe('the event-log text, for 3 a.m.', () => {
  it('puts the top creators first, with rate, count and share', () => {
    const text = renderEventLogText(report(logText(RATES)));
    const lines = text.split('\n');
    assert.match(lines[0]!, /^conntrack -E log log: 305 new, 0 updated, 0 destroyed over 4\.\d\d s/);
    assert.match(lines[1]!, /^ {2}new 61\/s {2}destroyed 0\/s {2}net \+61\/s$/);
    assert.match(lines[2]!, /top creators/);
    assert.match(lines[3]!, /^ {4}127\.0\.0\.4 +30\/s +150 +49%$/);
    assert.match(text, /by protocol {2}udp 60\/s \(98%\), tcp 1\.0\/s \(1\.6%\)/);
  });
});
