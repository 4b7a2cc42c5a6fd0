import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  startSyslogReceiver,
  startWebhookReceiver,
  validateAlertmanagerPayload,
} from '../support/alertReceivers.js';
import { eventually } from '../support/eventually.js';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { startServe } from '../support/serve.js';

const STAT = join('net', 'stat', 'nf_conntrack');

/**
 * A copy of the captured 6.18 tree the test can move: its stat file is rewritten with `extraDrops`
 * (a total since the capture) added to the first CPU's drop column. Its max is raised to 1000 (200 entries, 20 %) so only the
 * loss rule can fire.
 */
function movableTree(): { root: string; addDrops: (extraDrops: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'ctdoctor-alerts-'));
  cpSync(fixture('proc-6.18-full'), root, { recursive: true });
  writeFileSync(join(root, 'sys', 'net', 'netfilter', 'nf_conntrack_max'), '1000\n');
  const original = readFileSync(fixture('proc-6.18-full', STAT), 'utf8').split('\n');
  const column = original[0]!.trim().split(/\s+/).indexOf('drop');
  return {
    root,
    addDrops: (extraDrops) => {
      const row = original[1]!.trim().split(/\s+/);
      row[column] = (Number.parseInt(row[column]!, 16) + extraDrops).toString(16).padStart(8, '0');
      writeFileSync(join(root, STAT), [original[0], row.join(' '), ...original.slice(2)].join('\n'));
    },
  };
}

async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits for `samples` more samples (the sample timestamp moves on each time). */
async function samplesPass(url: string, samples: number): Promise<void> {
  for (let i = 0; i < samples; i++) {
    const now = await metric(url, 'ctdoctor_sample_timestamp_seconds');
    await eventually(
      'the next sample',
      async () => (await metric(url, 'ctdoctor_sample_timestamp_seconds')) !== now,
    );
  }
}

describe("serve's alerts as a receiver sees them", () => {
  const trees: string[] = [];
  after(() => {
    for (const root of trees) rmSync(root, { recursive: true, force: true });
  });

  it('one loss episode: exactly one firing and one resolved, to the webhook, stdout and syslog', {
    timeout: 60_000,
  }, async () => {
    const tree = movableTree();
    trees.push(tree.root);
    const receiver = await startWebhookReceiver();
    const syslog = await startSyslogReceiver();
    const serve = await startServe([
      ...['--proc-root', tree.root, '--sys-root', fixture('sys-empty')],
      ...['--listen', '127.0.0.1:0', '--interval', '1', '--alert-hold-down', '3'],
      ...['--alert-webhook', receiver.url, '--alert-log', 'stdout', '--alert-log', 'syslog'],
      ...['--alert-syslog-server', `127.0.0.1:${syslog.port}`],
    ]);
    try {
      await samplesPass(serve.url, 1);
      tree.addDrops(5);
      await eventually('the firing notification', () => receiver.received.length === 1);
      assert.equal(
        await metric(
          serve.url,
          'ctdoctor_alerts_firing{alertname="ConntrackPacketsDropped",severity="critical"}',
        ),
        1,
      );
      // 4 more drops within the hold-down: the same episode, no second page.
      tree.addDrops(9);
      await eventually('the resolved notification', () => receiver.received.length === 2);
      await samplesPass(serve.url, 3);
      assert.deepEqual(
        receiver.received.map(
          (p) => `${p.status} ${p.alerts[0]!.labels.alertname} netns=${p.alerts[0]!.labels.netns}`,
        ),
        ['firing ConntrackPacketsDropped netns=0', 'resolved ConntrackPacketsDropped netns=0'],
      );
      const [firing, resolved] = receiver.received;
      for (const payload of receiver.received)
        assert.ok(validateAlertmanagerPayload(payload), JSON.stringify(validateAlertmanagerPayload.errors));
      assert.equal(firing!.alerts[0]!.fingerprint, resolved!.alerts[0]!.fingerprint);
      assert.equal(firing!.alerts[0]!.startsAt, resolved!.alerts[0]!.startsAt);
      assert.match(
        firing!.alerts[0]!.annotations.summary!,
        /^conntrack is losing packets in the host namespace: 5 in 1 s$/,
      );
      assert.equal(firing!.externalURL, serve.url);
      assert.match(resolved!.alerts[0]!.annotations.description!, /; 9 lost over the \d+ s episode\.$/);

      const lines = serve.stdout().trim().split('\n');
      assert.equal(lines.length, 2, serve.stdout());
      assert.match(
        lines[0]!,
        /^ts=\S+Z status=firing alertname=ConntrackPacketsDropped severity=critical netns=0 summary="conntrack is losing packets/,
      );
      assert.match(
        lines[1]!,
        /^ts=\S+Z status=resolved alertname=ConntrackPacketsDropped severity=critical netns=0 summary=/,
      );

      await eventually('both syslog datagrams', () => syslog.messages.length === 2);
      // RFC 5424 PRI = facility × 8 + severity: daemon (3) crit (2) = 26, daemon notice (5) = 29.
      assert.match(
        syslog.messages[0]!,
        /^<26>1 \S+ \S+ ctdoctor .* status=firing alertname=ConntrackPacketsDropped severity=critical netns=0 /,
      );
      assert.match(
        syslog.messages[1]!,
        /^<29>1 \S+ \S+ ctdoctor .* status=resolved alertname=ConntrackPacketsDropped/,
      );

      assert.equal(
        await metric(
          serve.url,
          'ctdoctor_alerts_firing{alertname="ConntrackPacketsDropped",severity="critical"}',
        ),
        0,
      );
      for (const sink of ['webhook', 'stdout', 'syslog'])
        assert.equal(
          await metric(serve.url, `ctdoctor_alert_notifications_total{sink="${sink}",result="sent"}`),
          2,
          sink,
        );
    } finally {
      assert.equal(await serve.stop(), 0);
      await receiver.close();
      syslog.close();
    }
  });

  it('a receiver that answers 500 first gets the same notification again, once, after a back-off (with its basic auth)', {
    timeout: 60_000,
  }, async () => {
    const tree = movableTree();
    trees.push(tree.root);
    const receiver = await startWebhookReceiver(1);
    const serve = await startServe([
      ...['--proc-root', tree.root, '--sys-root', fixture('sys-empty')],
      ...['--listen', '127.0.0.1:0', '--interval', '1'],
      ...['--alert-webhook', receiver.url.replace('http://', 'http://ops:s%3Acret@')],
    ]);
    try {
      await samplesPass(serve.url, 1);
      tree.addDrops(3);
      await eventually('the retried notification', () => receiver.received.length === 2);
      await samplesPass(serve.url, 3);
      assert.deepEqual(receiver.answered, [500, 200]);
      const basic = `Basic ${Buffer.from('ops:s:cret').toString('base64')}`;
      assert.deepEqual(receiver.authorizations, [basic, basic]);
      assert.deepEqual(receiver.received[1], receiver.received[0], 'the same body, not a new notification');
      assert.equal(receiver.received[0]!.status, 'firing');
      assert.equal(
        await metric(serve.url, 'ctdoctor_alert_notifications_total{sink="webhook",result="sent"}'),
        1,
      );
      assert.equal(
        await metric(serve.url, 'ctdoctor_alert_notifications_total{sink="webhook",result="failed"}'),
        0,
      );
    } finally {
      assert.equal(await serve.stop(), 0);
      await receiver.close();
    }
  });

  for (const [args, message] of [
    [['--alert-webhook', 'ftp://x'], /--alert-webhook "ftp:\/\/x" is not an http:\/\/ or https:\/\/ URL/],
    [['--alert-log', 'journal'], /--alert-log "journal" is not stdout or syslog/],
    [['--alert-syslog-server', '127.0.0.1:514'], /--alert-syslog-server needs --alert-log syslog too/],
    [['--alert-full', '70'], /--alert-full 70% is below --alert-nearly-full 75%/],
  ] as const) {
    it(`refuses ${args.join(' ')} in one line`, async () => {
      const result = await runCli(['serve', '--proc-root', fixture('proc-6.18-full'), ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    });
  }
});
