import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ChurnCounter, KEYS_PER_LIST, secondsUntilFull } from '../../../src/core/events/churn.js';
import { type ConntrackEvent, LOST_EVENTS_LINE, parseEventLine } from '../../../src/core/events/eventLine.js';
import { renderTopText } from '../../../src/render/topText.js';
import { fixture } from '../../support/paths.js';

const lines = (name: string) =>
  readFileSync(fixture('events', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

describe('conntrack -E lines', () => {
  it('reads what top runs (-e NEW,DESTROY -o timestamp,id): kind, time, id and the original tuple', () => {
    const events = lines('conntrack-E-NEW-DESTROY-timestamp-id.txt').map(parseEventLine);
    assert.deepEqual(
      events.map((event) => event?.kind),
      ['NEW', 'NEW', 'NEW', 'NEW', 'DESTROY'],
    );
    const icmpNew = events[3]!;
    const icmpDestroy = events[4]!;
    // The ICMP tuple's own id=77 is not the conntrack id; NEW and DESTROY of one entry share the id.
    assert.ok(icmpNew.id !== undefined && icmpNew.id > 77);
    assert.equal(icmpDestroy.id, icmpNew.id);
    assert.equal(icmpNew.protoNum, 1);
    assert.equal(icmpNew.destinationPort, 0, 'ICMP code, not a port');
    const web = events[1]!;
    assert.equal(web.protoNum, 6);
    assert.equal(web.destinationPort, 80);
    assert.ok(web.timestampSeconds! > 1_700_000_000 && web.timestampSeconds! < 4_000_000_000);
    assert.ok(
      events.every((event, i) => i === 0 || event!.timestampSeconds! >= events[i - 1]!.timestampSeconds!),
    );
    assert.equal(typeof events[0]!.source, 'string', 'IPv6 source');
  });

  for (const name of ['conntrack-E.txt', 'conntrack-E-timestamp.txt']) {
    it(`reads every line of ${name} (no -o id: the ICMP id stays the tuple's)`, () => {
      const events = lines(name).map(parseEventLine);
      assert.ok(events.every((event) => event !== undefined));
      assert.deepEqual(
        events.map((event) => event!.kind),
        ['NEW', 'NEW', 'NEW', 'NEW', 'UPDATE', 'DESTROY'],
      );
      assert.ok(events.every((event) => event!.id === undefined));
      assert.equal(
        events.every((event) => event!.timestampSeconds !== undefined),
        name.includes('timestamp'),
      );
    });
  }

  it('refuses what is not an event', () => {
    for (const line of [
      '',
      'conntrack v1.4.7 (conntrack-tools): 2 flow events have been shown.',
      'udp      17 29 src=127.0.0.2 dst=127.0.0.1 sport=1000 dport=53 [UNREPLIED] src=127.0.0.1 dst=127.0.0.2 sport=53 dport=1000',
      '    [NEW] garbage',
    ])
      assert.equal(parseEventLine(line), undefined, line);
  });

  it("knows conntrack-tools' lost-events warning", () => {
    assert.match('WARNING: We have hit ENOBUFS! We are losing events.', LOST_EVENTS_LINE);
  });
});

const event = (source: number, port: number, kind: ConntrackEvent['kind'] = 'NEW'): ConntrackEvent => ({
  kind,
  timestampSeconds: undefined,
  id: undefined,
  protoNum: 17,
  source,
  destination: 0x7f000001,
  destinationPort: port,
});

describe('one interval of churn', () => {
  it('counts the captured events by source, destination and protocol', () => {
    const counter = new ChurnCounter();
    for (const line of lines('conntrack-E-NEW-DESTROY-timestamp-id.txt')) counter.add(parseEventLine(line)!);
    const summary = counter.summarize(2, 10);
    assert.equal(summary.newPerSecond, 2);
    assert.equal(summary.destroyPerSecond, 0.5);
    assert.equal(summary.netGrowthPerSecond, 1.5);
    assert.deepEqual(summary.topSources[0], { source: '10.1.1.1', newPerSecond: 1.5, errorPerSecond: 0 });
    assert.deepEqual(
      summary.byProtocol.map((row) => [row.protocol, row.newPerSecond]),
      [
        ['tcp', 1.5],
        ['icmp', 0.5],
      ],
    );
    const icmp = summary.topDestinations.find((row) => row.protocol === 'icmp')!;
    assert.deepEqual([icmp.destination, icmp.port], ['10.9.9.9', null]);
    assert.ok(summary.topDestinations.some((row) => row.destination === '10.2.2.2' && row.port === 80));
  });

  it('UPDATE events are no churn', () => {
    const counter = new ChurnCounter();
    for (const line of lines('conntrack-E.txt')) counter.add(parseEventLine(line)!);
    const summary = counter.summarize(1, 10);
    assert.equal(summary.newPerSecond, 4);
    assert.equal(summary.destroyPerSecond, 1);
  });

  it('stays bounded and still names the heavy sources under a flood of one-off sources', () => {
    const counter = new ChurnCounter();
    const heavy = [0x0a000001, 0x0a000002];
    let total = 0;
    for (let i = 0; i < 200_000; i++) {
      counter.add(event(0x0b000000 + i, 1000 + (i % 50_000))); // each source once
      total++;
      if (i % 4 === 0) {
        counter.add(event(heavy[i % 8 === 0 ? 0 : 1]!, 53));
        total++;
      }
    }
    const summary = counter.summarize(10, 2);
    assert.equal(summary.newPerSecond, total / 10);
    assert.deepEqual(
      summary.topSources.map((row) => row.source),
      ['10.0.0.1', '10.0.0.2'],
    );
    for (const row of summary.topSources) {
      // 25 000 events each over 10 s; Space-Saving overstates by at most N / capacity.
      assert.ok(
        row.newPerSecond >= 2500 && row.newPerSecond - row.errorPerSecond <= 2500,
        JSON.stringify(row),
      );
      assert.ok(row.errorPerSecond <= total / KEYS_PER_LIST / 10);
    }
    assert.ok((counter as unknown as { sources: { size: number } }).sources.size <= 2 * KEYS_PER_LIST);
  });

  it('time until full at the net rate', () => {
    assert.equal(secondsUntilFull(900, 1000, 10), 10);
    assert.equal(secondsUntilFull(1000, 1000, 10), 0);
    assert.equal(secondsUntilFull(900, 1000, 0), null);
    assert.equal(secondsUntilFull(900, 1000, -5), null);
  });
});

describe('top text', () => {
  it('shows rates, lost events and the time left', () => {
    const counter = new ChurnCounter();
    for (let i = 0; i < 30; i++) counter.add(event(0x7f000002, 53));
    const text = renderTopText({
      schema: 'ctdoctor.top/v1',
      netns: { inode: 4026531840, initial: true },
      startedAt: '2026-12-01T00:00:00.000Z',
      ...counter.summarize(1, 5),
      lostEventWarnings: 2,
      lostEventWarningsTotal: 3,
      bufferBytes: 8 << 20,
      table: { count: 700, max: 1000 },
      secondsUntilFull: secondsUntilFull(700, 1000, 30),
    });
    assert.match(text, /new 30\/s {2}destroyed 0\/s {2}net \+30\/s {2}700 \/ 1,000 entries, full in 10 s/);
    assert.match(text, /LOST EVENTS: 2 ENOBUFS warnings this interval \(3 in all\)/);
    assert.match(text, /127\.0\.0\.2 {2}30\/s/);
    assert.match(text, /127\.0\.0\.1:53\/udp {2}30\/s/);
  });
});
