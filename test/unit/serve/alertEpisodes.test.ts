import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertEpisodes, type AlertNotification } from '../../../src/core/alerts/alertEpisodes.js';
import { annotationsOf } from '../../../src/core/alerts/alertAnnotations.js';
import { DEFAULT_ALERT_POLICY } from '../../../src/core/alerts/alertRules.js';
import type { AlertNamespaceReading, AlertSample } from '../../../src/core/alerts/alertSample.js';
import { IDLE, WEB, reading, sampleAt } from '../../support/alertSamples.js';

/** Feeds `samples` in order; every notification with the second of the sample that caused it. */
function run(
  samples: AlertSample[],
  episodes = new AlertEpisodes(),
): (AlertNotification & { second: number })[] {
  const first = samples[0]!.takenAtMs;
  return samples.flatMap((sample) =>
    episodes.observe(sample).map((n) => ({ ...n, second: (sample.takenAtMs - first) / 1000 })),
  );
}

function brief(notifications: (AlertNotification & { second: number })[]): string[] {
  return notifications.map(
    (n) => `${n.second} ${n.status} ${n.episode.alertname} ${n.episode.evidence.inode}`,
  );
}

/** Every 5 s from `from` to `to` (inclusive), the namespace as `at(second)` says. */
function every5s(from: number, to: number, at: (second: number) => AlertNamespaceReading[]): AlertSample[] {
  const samples: AlertSample[] = [];
  for (let s = from; s <= to; s += 5) samples.push(sampleAt(s, at(s)));
  return samples;
}

const drops = (drop: number, more: Partial<AlertNamespaceReading> = {}) =>
  reading({ counters: { drop, early_drop: 0, insert_failed: 0 }, ...more });

describe('alert episodes', () => {
  it('loss fires once at the first rise and resolves once after 5 min without one', () => {
    // Drops at 10 s and again at 60 s, then nothing: resolved 5 min after the last rise (360 s).
    const samples = every5s(0, 600, (s) => [
      drops(s < 10 ? 0 : s < 60 ? 7 : 9),
      reading({ inode: IDLE, name: 'idle' }),
    ]);
    assert.deepEqual(brief(run(samples)), [
      `10 firing ConntrackPacketsDropped ${WEB}`,
      `360 resolved ConntrackPacketsDropped ${WEB}`,
    ]);
  });

  it('a flapping table is one episode: drops every 200 s for half an hour page once', () => {
    // One drop at 20 s, then one more every 200 s up to 1800 s: never 5 min without a rise.
    const samples = every5s(0, 2400, (s) => [drops(s < 20 ? 0 : 1 + Math.floor(Math.min(s, 1800) / 200))]);
    const got = run(samples);
    assert.deepEqual(
      got.map((n) => `${n.second} ${n.status}`),
      ['20 firing', '2100 resolved'],
    );
    assert.match(annotationsOf(got[1]!).description, /; 10 lost over the 35 min episode\.$/);
  });

  it('a counter reset (the namespace recreated under its inode) is a new baseline, not loss', () => {
    const samples = [
      sampleAt(0, [drops(5000)]),
      sampleAt(5, [drops(3)]),
      sampleAt(10, [drops(3)]),
      sampleAt(15, [drops(4)]),
    ];
    assert.deepEqual(brief(run(samples)), [`15 firing ConntrackPacketsDropped ${WEB}`]);
  });

  it('the first sample has nothing to compare with: high counters are history, not loss', () => {
    assert.deepEqual(run([sampleAt(0, [drops(123456)]), sampleAt(5, [drops(123456)])]), []);
  });

  it('a namespace that disappears resolves its firing alerts at once, and forgets its pending ones', () => {
    const full = (drop: number) => drops(drop, { entries: 990 });
    const got = run([
      sampleAt(0, [full(0), reading({ inode: IDLE, name: 'idle' })]),
      sampleAt(5, [full(10), reading({ inode: IDLE, name: 'idle' })]),
      sampleAt(10, [reading({ inode: IDLE, name: 'idle' })]),
      sampleAt(15, [reading({ inode: IDLE, name: 'idle' })]),
    ]);
    assert.deepEqual(brief(got), [
      `5 firing ConntrackPacketsDropped ${WEB}`,
      `10 resolved ConntrackPacketsDropped ${WEB}`,
    ]);
    assert.equal(got[1]!.ended, 'vanished');
    assert.match(annotationsOf(got[1]!).summary, /^netns web \(4026532001\) is gone/);
  });

  it('saturation fires only after holding for its `for`, and a dip while pending starts over', () => {
    const at = (entries: number) => [reading({ entries })];
    // 80 % from 0 s; a dip to 70 % at 200 s restarts the 5 min: it fires at 205 + 300 = 505 s.
    const samples = every5s(0, 600, (s) => at(s === 200 ? 700 : 800));
    assert.deepEqual(brief(run(samples)), [`505 firing ConntrackTableNearlyFull ${WEB}`]);
  });

  it('a full table warns and pages on their own clocks, and each resolves after 5 min below', () => {
    const samples = every5s(0, 800, (s) => [reading({ entries: s < 100 ? 960 : 500 })]);
    assert.deepEqual(brief(run(samples)), [
      `60 firing ConntrackTableFull ${WEB}`,
      `395 resolved ConntrackTableFull ${WEB}`,
    ]);
    const longer = every5s(0, 800, (s) => [reading({ entries: s < 400 ? 960 : 500 })]);
    assert.deepEqual(brief(run(longer)), [
      `60 firing ConntrackTableFull ${WEB}`,
      `300 firing ConntrackTableNearlyFull ${WEB}`,
      `695 resolved ConntrackTableNearlyFull ${WEB}`,
      `695 resolved ConntrackTableFull ${WEB}`,
    ]);
  });

  it('table-full kernel messages fire ConntrackTableFullLogged with their count', () => {
    const got = run([
      sampleAt(0, [reading()]),
      sampleAt(5, [reading({ tableFullMessages: 3 })]),
      sampleAt(10, [reading({ tableFullMessages: 3 })]),
    ]);
    assert.deepEqual(brief(got), [`5 firing ConntrackTableFullLogged ${WEB}`]);
    assert.match(
      annotationsOf(got[0]!).summary,
      /table full, dropping packet" for netns web \(4026532001\): 3 in 5 s$/,
    );
  });

  it('drift fires at once, and resolves 15 min after the last change', () => {
    const host = reading({ inode: 4026531840, initial: true, name: undefined, max: 262144 });
    const change = (seconds: number, to: number) => ({
      atMs: sampleAt(seconds, []).takenAtMs,
      netns: host.inode,
      setting: 'nf_conntrack_max',
      from: 262144,
      to,
      who: 'kube-proxy (pid 812)',
      byCtdoctor: undefined,
    });
    const samples = every5s(0, 2000, () => [host]).map((sample, i) => {
      const s = i * 5;
      return s === 100
        ? { ...sample, drift: [change(s, 131072)] }
        : s === 400
          ? { ...sample, drift: [change(s, 65536)] }
          : sample;
    });
    const got = run(samples);
    assert.deepEqual(brief(got), [
      '100 firing ConntrackSettingChanged 4026531840',
      '1300 resolved ConntrackSettingChanged 4026531840',
    ]);
    assert.equal(
      annotationsOf(got[0]!).summary,
      'nf_conntrack_max changed 262144 → 131072 in the host namespace by kube-proxy (pid 812)',
    );
    assert.match(annotationsOf(got[1]!).description, /^2 change\(s\)/);
  });

  it("ctdoctor's own changes are not drift: a relief alerts as such, a journaled mitigate not at all", () => {
    const host = reading({ inode: 4026531840, initial: true, name: undefined, max: 262144 });
    const change = (seconds: number, byCtdoctor: string) => ({
      atMs: sampleAt(seconds, []).takenAtMs,
      netns: host.inode,
      setting: 'nf_conntrack_max',
      from: 262144,
      to: 524288,
      who: `ctdoctor ${byCtdoctor} (journal 7)`,
      byCtdoctor,
    });
    const samples = every5s(0, 1500, () => [host]).map((sample, i) => {
      const s = i * 5;
      if (s === 100) return { ...sample, drift: [change(s, 'serve --auto-relief')] };
      if (s === 200) return { ...sample, drift: [change(s, 'mitigate --apply')] };
      return sample;
    });
    const got = run(samples);
    assert.deepEqual(brief(got), [
      '100 firing ConntrackAutoRelieved 4026531840',
      '1000 resolved ConntrackAutoRelieved 4026531840',
    ]);
    assert.match(annotationsOf(got[0]!).summary, /raised nf_conntrack_max 262144 → 524288/);
    assert.match(annotationsOf(got[0]!).description, /ctdoctor rollback/);
  });

  it('the description quotes the numbers and the exact command to run', () => {
    const [firing] = run([
      sampleAt(0, [drops(0, { entries: 1000 })]),
      sampleAt(5, [reading({ entries: 1000, counters: { drop: 40, early_drop: 2, insert_failed: 1 } })]),
    ]);
    const { summary, description } = annotationsOf(firing!);
    assert.equal(summary, 'conntrack is losing packets in netns web (4026532001): 43 in 5 s');
    assert.match(description, /drop \+40, early_drop \+2, insert_failed \+1 over the last 5 s/);
    assert.match(description, /the table holds 1000 of 1000 entries \(100 %\)/);
    assert.match(description, /`ctdoctor doctor`.*`ctdoctor mitigate --netns web`/);
    const [unnamed] = run([
      sampleAt(0, [drops(0, { name: undefined })]),
      sampleAt(5, [drops(1, { name: undefined })]),
    ]);
    assert.doesNotMatch(annotationsOf(unnamed!).description, /mitigate/, 'no --netns to give it');
  });

  it('active() lists what is under way, firing first, with its state', () => {
    const episodes = new AlertEpisodes({ ...DEFAULT_ALERT_POLICY });
    episodes.observe(sampleAt(0, [drops(0, { entries: 800 })]));
    episodes.observe(sampleAt(5, [drops(1, { entries: 800 })]));
    assert.deepEqual(
      episodes.active().map((a) => `${a.state} ${a.alertname}`),
      ['firing ConntrackPacketsDropped', 'pending ConntrackTableNearlyFull'],
    );
  });
});
