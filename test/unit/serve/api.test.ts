import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../../src/core/analysis/findings.js';
import { DEFAULT_THRESHOLDS, evaluateStatus } from '../../../src/core/status.js';
import { DRIFT_EVENTS_KEPT, serveDriftBody } from '../../../src/daemon/apiDrift.js';
import { serveFindingsBody } from '../../../src/daemon/apiFindings.js';
import { parseHistoryQuery, serveHistoryBody } from '../../../src/daemon/apiHistory.js';
import { ServeApi } from '../../../src/daemon/apiRoutes.js';
import { serveStatusBody } from '../../../src/daemon/apiStatus.js';
import { historyPointOf } from '../../../src/daemon/historyPoint.js';
import { HistoryRing } from '../../../src/daemon/historyRing.js';
import type { DriftEvent, NamespaceReading, ServeSample } from '../../../src/daemon/serveSample.js';
import { assertMatchesSchema } from '../../support/schemas.js';

const T0 = 1_800_000_000_000;
const HOST = 4026531840;
const LAB = 4026532500;

function reading(
  inode: number,
  entries: number,
  counters: Record<string, number>,
  name?: string,
): NamespaceReading {
  return {
    inode,
    initial: inode === HOST,
    name,
    workload: undefined,
    entries,
    max: 1000,
    buckets: 1024,
    counters,
    tableFullMessages: 0,
  };
}

function sample(atSeconds: number, namespaces: NamespaceReading[], drift: DriftEvent[] = []): ServeSample {
  return {
    takenAtMs: T0 + atSeconds * 1000,
    durationSeconds: 0.01,
    entrySize: { bytes: 256, source: 'slabinfo' },
    namespaces,
    collectors: [{ collector: 'table size', ok: true, durationSeconds: 0.001, message: undefined }],
    drift,
  };
}

const quiet = { drop: 10, early_drop: 0, insert_failed: 3, found: 50 };
/** Five seconds later: 50 more drops, 10 more early drops, insert_failed reset by a module reload. */
const dropping = { drop: 60, early_drop: 10, insert_failed: 0, found: 90 };

describe('serve API: /api/status', () => {
  it('rates over the interval since the previous sample, and the verdict status gives the same readings', () => {
    const before = sample(0, [reading(HOST, 100, quiet), reading(LAB, 500, quiet, 'lab')]);
    const after = sample(5, [reading(HOST, 100, quiet), reading(LAB, 960, dropping, 'lab')]);
    const body = serveStatusBody(after, before, 5);
    assertMatchesSchema(JSON.parse(JSON.stringify(body)), 'ctdoctor.serve-status/v1');
    const [host, lab] = body.namespaces;
    assert.deepEqual(host!.lossPerSecond, { drop: 0, early_drop: 0, insert_failed: 0 });
    assert.equal(host!.verdict, 'ok');
    assert.deepEqual(lab!.lossPerSecond, { drop: 10, early_drop: 2, insert_failed: 0 });
    assert.equal(lab!.rateSeconds, 5);
    assert.equal(lab!.usage, 0.96);
    assert.equal(lab!.memoryBytes, 960 * 256);
    assert.equal(lab!.name, 'lab');

    // The same two readings through status's own path: one verdict, the same reasons.
    const stats = (totals: Record<string, number>) => ({
      source: 'procfs' as const,
      counterNames: Object.keys(totals),
      perCpu: [totals],
      totals,
    });
    const status = evaluateStatus(
      { takenAtMs: T0, count: 500, max: 1000, buckets: 1024, stats: stats(quiet) },
      { takenAtMs: T0 + 5000, count: 960, max: 1000, buckets: 1024, stats: stats(dropping) },
      {
        kernel: '6.18.0',
        entrySize: { bytes: 256, source: 'slabinfo' },
        netns: { inode: LAB, initial: false },
      },
    );
    assert.equal(lab!.verdict, 'crit');
    assert.equal(lab!.verdict, status.verdict);
    assert.deepEqual(lab!.reasons, status.reasons);
  });

  it("has no rates on a namespace's first sample, nor without counters, and says why", () => {
    const first = serveStatusBody(sample(0, [reading(LAB, 850, quiet)]), undefined, 5);
    assert.equal(first.namespaces[0]!.lossPerSecond, null);
    assert.equal(first.namespaces[0]!.rateSeconds, null);
    assert.equal(first.namespaces[0]!.verdict, 'warn', '85 % is at or above the 80 % warn threshold');
    const blind = serveStatusBody(sample(5, [reading(LAB, 10, {})]), sample(0, [reading(LAB, 10, {})]), 5);
    assert.equal(blind.namespaces[0]!.lossPerSecond, null);
    assert.match(blind.namespaces[0]!.reasons.join('\n'), /drop counters unavailable/);
    const noSize = serveStatusBody(
      { ...sample(0, [reading(LAB, 10, quiet)]), entrySize: undefined },
      undefined,
      5,
    );
    assert.equal(noSize.namespaces[0]!.memoryBytes, null);
    assertMatchesSchema(JSON.parse(JSON.stringify(blind)), 'ctdoctor.serve-status/v1');
    assertMatchesSchema(JSON.parse(JSON.stringify(noSize)), 'ctdoctor.serve-status/v1');
  });

  it('judges with the thresholds it is given, and says which', () => {
    const strict = { warnUsage: 0.4, critUsage: 0.5 };
    const body = serveStatusBody(sample(0, [reading(LAB, 500, quiet)]), undefined, 5, strict);
    assert.equal(body.namespaces[0]!.verdict, 'crit');
    assert.deepEqual(body.thresholds, strict);
    assert.deepEqual(serveStatusBody(sample(0, []), undefined, 5).thresholds, DEFAULT_THRESHOLDS);
  });
});

describe('serve API: /api/history', () => {
  const samples = [
    sample(0, [reading(HOST, 100, quiet)]),
    sample(5, [reading(HOST, 110, quiet), reading(LAB, 500, quiet, 'lab')]),
    sample(10, [reading(HOST, 120, quiet), reading(LAB, 960, dropping, 'lab')]),
    sample(15, [reading(HOST, 130, quiet)]),
  ];

  it('one time column, and per namespace columns aligned to it (null where it was not sampled)', () => {
    const body = serveHistoryBody(samples, { netns: undefined, seconds: undefined }, 5);
    assertMatchesSchema(JSON.parse(JSON.stringify(body)), 'ctdoctor.serve-history/v1');
    assert.deepEqual(
      body.t,
      [0, 5, 10, 15].map((s) => (T0 + s * 1000) / 1000),
    );
    const [host, lab] = body.namespaces;
    assert.deepEqual(host!.entries, [100, 110, 120, 130]);
    assert.deepEqual(host!.drop, [null, 0, 0, 0]);
    assert.deepEqual(lab!.entries, [null, 500, 960, null]);
    assert.deepEqual(lab!.max, [null, 1000, 1000, null]);
    assert.deepEqual(lab!.drop, [null, null, 10, null]);
    assert.deepEqual(lab!.early_drop, [null, null, 2, null]);
    assert.deepEqual(
      lab!.insert_failed,
      [null, null, 0, null],
      'a counter that went down reads 0, not negative',
    );
  });

  it('?netns= keeps one namespace; ?seconds= keeps the last N seconds, their first rate included', () => {
    const lab = serveHistoryBody(samples, parseHistoryQuery(new URLSearchParams(`netns=${LAB}`)), 5);
    assert.deepEqual(
      lab.namespaces.map((n) => n.netns),
      [LAB],
    );
    const recent = serveHistoryBody(
      samples,
      parseHistoryQuery(new URLSearchParams(`netns=${LAB}&seconds=5`)),
      5,
    );
    assert.equal(recent.t.length, 2);
    assert.deepEqual(recent.namespaces[0]!.drop, [10, null]);
    assert.deepEqual(serveHistoryBody(samples, { netns: 7, seconds: undefined }, 5).namespaces, []);
    assert.deepEqual(serveHistoryBody([], { netns: undefined, seconds: 60 }, 5).t, []);
  });

  it('a history point keeps only what the body draws, and gives the same body as the whole sample', () => {
    const points = samples.map(historyPointOf);
    assert.deepEqual(points[2]!.namespaces[1], {
      inode: LAB,
      name: 'lab',
      entries: 960,
      max: 1000,
      counters: { drop: 60, early_drop: 10, insert_failed: 0 },
    });
    const whole = { netns: undefined, seconds: undefined };
    assert.deepEqual(serveHistoryBody(points, whole, 5), serveHistoryBody(samples, whole, 5));
  });

  for (const [query, message] of [
    ['netns=abc', /netns=abc is not a namespace inode/],
    ['seconds=0', /seconds=0 is not a positive number/],
    ['seconds=-1', /seconds=-1 is not a positive number/],
    ['since=1', /unknown parameter "since"/],
  ] as const) {
    it(`refuses ?${query} in one line`, () => {
      assert.throws(() => parseHistoryQuery(new URLSearchParams(query)), message);
    });
  }
});

const FINDING: Finding = {
  kind: 'udp-flood',
  severity: 'crit',
  subject: '127.0.0.77',
  evidence: { entries: 900, share: '90%' },
  advice: 'Block the flooding client or shorten udp_timeout.',
  commands: [
    'ctdoctor block --ip 127.0.0.77 --ttl 1h',
    'nft add element inet ctdoctor blocked { 127.0.0.77 }',
  ],
  offenders: [{ address: '127.0.0.77', entries: 900, share: '90%' }],
};

describe('serve API: /api/findings and /api/drift', () => {
  it('findings as the worker left them, each as analyze --json prints a finding', () => {
    const body = serveFindingsBody([
      { netns: LAB, analyzedAtMs: T0, durationSeconds: 0.2, entries: 1000, findings: [FINDING] },
    ]);
    assertMatchesSchema(JSON.parse(JSON.stringify(body)), 'ctdoctor.serve-findings/v1');
    assertMatchesSchema(serveFindingsBody([]), 'ctdoctor.serve-findings/v1');
  });

  it('drift events accumulate from every sample, oldest first, and only the last DRIFT_EVENTS_KEPT stay', () => {
    const history = new HistoryRing<ServeSample>(10);
    const api = new ServeApi(history, 5, DEFAULT_THRESHOLDS);
    const route = api.routes().get('/api/drift')!;
    const event = (i: number): DriftEvent => ({
      atMs: T0 + i,
      netns: HOST,
      setting: 'nf_conntrack_max',
      from: i,
      to: i + 1,
      who: i % 2 === 0 ? `kube-proxy (pid ${i})` : undefined,
      byCtdoctor: undefined,
    });
    let previous: ServeSample | undefined;
    const push = (s: ServeSample) => {
      history.push(s);
      api.update(s, previous, []);
      previous = s;
    };
    push(sample(0, [], [event(0), event(1)]));
    push(sample(5, [], []));
    const body = JSON.parse(route.reply(new URLSearchParams()).body.toString());
    assertMatchesSchema(body, 'ctdoctor.serve-drift/v1');
    assert.deepEqual(
      body.events.map((e: { from: number; who: string | null }) => [e.from, e.who]),
      [
        [0, 'kube-proxy (pid 0)'],
        [1, null],
      ],
    );
    push(
      sample(
        10,
        [],
        Array.from({ length: DRIFT_EVENTS_KEPT + 5 }, (_, i) => event(i + 2)),
      ),
    );
    const full = JSON.parse(route.reply(new URLSearchParams()).body.toString());
    assert.equal(full.events.length, DRIFT_EVENTS_KEPT);
    assert.equal(full.events[0].from, 7);
    assertMatchesSchema(serveDriftBody([]), 'ctdoctor.serve-drift/v1');
  });
});

describe('serve API: bodies built once per sample', () => {
  it('/api/status and the whole /api/history are the same bytes until the next sample', () => {
    const history = new HistoryRing<ServeSample>(10);
    const api = new ServeApi(history, 5, DEFAULT_THRESHOLDS);
    const routes = api.routes();
    const none = new URLSearchParams();
    let previous: ServeSample | undefined;
    const push = (s: ServeSample) => {
      history.push(s);
      api.update(s, previous, []);
      previous = s;
    };
    push(sample(0, [reading(LAB, 1, quiet)]));
    const status = routes.get('/api/status')!.reply(none).body;
    const whole = routes.get('/api/history')!.reply(none).body;
    assert.equal(routes.get('/api/status')!.reply(none).body, status);
    assert.equal(routes.get('/api/history')!.reply(none).body, whole);
    push(sample(5, [reading(LAB, 2, quiet)]));
    assert.notEqual(routes.get('/api/status')!.reply(none).body, status);
    const next = JSON.parse(routes.get('/api/history')!.reply(none).body.toString());
    assert.deepEqual(next.namespaces[0].entries, [1, 2]);
  });

  it('/api/status takes its rates since the previous sample, however short the history', () => {
    const history = new HistoryRing<ServeSample>(1);
    const api = new ServeApi(history, 5, DEFAULT_THRESHOLDS);
    let previous: ServeSample | undefined;
    for (const s of [sample(0, [reading(LAB, 500, quiet)]), sample(5, [reading(LAB, 960, dropping)])]) {
      history.push(s);
      api.update(s, previous, []);
      previous = s;
    }
    const status = JSON.parse(api.routes().get('/api/status')!.reply(new URLSearchParams()).body.toString());
    assert.deepEqual(status.namespaces[0].lossPerSecond, { drop: 10, early_drop: 2, insert_failed: 0 });
  });

  it('/healthz is 200 while samples are fresh, 503 when the sampler stopped', () => {
    const history = new HistoryRing<ServeSample>(10);
    const api = new ServeApi(history, 5, DEFAULT_THRESHOLDS);
    const health = api.routes().get('/healthz')!;
    assert.equal(health.open, true);
    assert.equal(health.reply(new URLSearchParams()).status, 503);
    const fresh = { ...sample(0, []), takenAtMs: Date.now() };
    history.push(fresh);
    assert.equal(health.reply(new URLSearchParams()).status, 200);
    history.push({ ...fresh, takenAtMs: Date.now() - 3_600_000 });
    assert.equal(health.reply(new URLSearchParams()).status, 503);
  });
});
