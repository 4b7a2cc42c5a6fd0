import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertEpisodes } from '../../../src/core/alerts/alertEpisodes.js';
import {
  GO_ZERO_TIME,
  alertFingerprint,
  alertmanagerPayload,
} from '../../../src/core/alerts/alertmanagerPayload.js';
import { alertLogfmtLine } from '../../../src/render/alertLogfmt.js';
import { WEB, reading, sampleAt } from '../../support/alertSamples.js';
import { validateAlertmanagerPayload as validate } from '../../support/alertReceivers.js';

const CONTEXT = { instance: 'node-7', externalURL: 'http://node-7:9466', receiver: 'ctdoctor' };

/** One loss episode of netns web: its firing and resolved notifications. */
function lossEpisode(name: { name: string | undefined } = { name: 'web' }) {
  const episodes = new AlertEpisodes();
  const at = (s: number, drop: number) =>
    episodes.observe(
      sampleAt(s, [reading({ ...name, counters: { drop, early_drop: 0, insert_failed: 0 } })]),
    );
  at(0, 0);
  const [firing] = at(5, 12);
  const [resolved] = at(305, 12);
  return { firing: firing!, resolved: resolved! };
}

describe("Alertmanager's webhook payload", () => {
  it('has exactly the fields Alertmanager sends, firing and resolved', () => {
    const { firing, resolved } = lossEpisode();
    for (const notification of [firing, resolved]) {
      const payload = alertmanagerPayload(notification, CONTEXT);
      assert.ok(validate(payload), JSON.stringify(validate.errors));
    }
  });

  it('the schema refuses what Alertmanager would not send (the test can fail)', () => {
    const payload = alertmanagerPayload(lossEpisode().firing, CONTEXT) as unknown as Record<string, unknown>;
    assert.equal(validate({ ...payload, version: '3' }), false);
    assert.equal(validate({ ...payload, extra: 1 }), false);
    const { groupKey: _, ...withoutKey } = payload;
    assert.equal(validate(withoutKey), false);
  });

  it('labels, times, groupKey and fingerprint as Alertmanager writes them', () => {
    const { firing, resolved } = lossEpisode();
    const fired = alertmanagerPayload(firing, CONTEXT);
    const ended = alertmanagerPayload(resolved, CONTEXT);
    const labels = {
      alertname: 'ConntrackPacketsDropped',
      severity: 'critical',
      netns: String(WEB),
      netns_name: 'web',
      instance: 'node-7',
    };
    assert.deepEqual(fired.alerts[0]!.labels, labels);
    assert.equal(fired.status, 'firing');
    assert.equal(fired.alerts[0]!.startsAt, new Date(sampleAt(5, []).takenAtMs).toISOString());
    assert.equal(fired.alerts[0]!.endsAt, GO_ZERO_TIME);
    assert.equal(ended.status, 'resolved');
    assert.equal(ended.alerts[0]!.startsAt, fired.alerts[0]!.startsAt, 'one episode, one start');
    assert.equal(ended.alerts[0]!.endsAt, new Date(sampleAt(305, []).takenAtMs).toISOString());
    assert.equal(ended.alerts[0]!.fingerprint, fired.alerts[0]!.fingerprint);
    assert.equal(
      fired.groupKey,
      `{}:{alertname="ConntrackPacketsDropped", instance="node-7", netns="${WEB}"}`,
    );
    assert.deepEqual(fired.commonLabels, labels);
    assert.equal(fired.alerts[0]!.generatorURL, 'http://node-7:9466/');
    assert.equal(fired.externalURL, 'http://node-7:9466');
    assert.match(fired.alerts[0]!.annotations.description!, /`ctdoctor mitigate --netns web`/);
    assert.ok(
      !(
        'netns_name' in
        alertmanagerPayload(lossEpisode({ name: undefined }).firing, CONTEXT).alerts[0]!.labels
      ),
    );
  });

  it("fingerprints as prometheus/common's labelSetToFingerprint", () => {
    // The empty set is FNV-1a's offset basis; Watchdog's is from a real kube-prometheus payload.
    assert.equal(alertFingerprint({}), 'cbf29ce484222325');
    assert.equal(
      alertFingerprint({ alertname: 'Watchdog', prometheus: 'monitoring/k8s', severity: 'none' }),
      'e1749c6acab64267',
    );
  });
});

describe('the alert log line', () => {
  it('is logfmt: bare words, quoted values with spaces or quotes', () => {
    assert.equal(
      alertLogfmtLine({
        ts: '2026-12-02T05:00:00.000Z',
        status: 'firing',
        alertname: 'ConntrackPacketsDropped',
        severity: 'critical',
        netns: '4026532001',
        summary: 'lost 3 "packets"',
      }),
      'ts=2026-12-02T05:00:00.000Z status=firing alertname=ConntrackPacketsDropped severity=critical netns=4026532001 summary="lost 3 \\"packets\\""',
    );
  });
});
