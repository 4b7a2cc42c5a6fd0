import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalMax.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { startWebhookReceiver, validateAlertmanagerPayload } from '../support/alertReceivers.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startServe } from '../support/serve.js';

const LOSS = 'ConntrackPacketsDropped';

describe("serve's alerts on the real kernel", () => {
  before(requireKernelLab);

  it('a namespace dropping at a full table pages once for that netns, none for a healthy one, and resolves once after the drops stop', {
    timeout: 120_000,
  }, async () => {
    await withLabNamespace((full) =>
      withLabNamespace(async (healthy) => {
        // Entries that outlive the test, so the table stays full while the flood runs.
        await full.setSysctl('nf_conntrack_udp_timeout', 120);
        await full.runWorkload('udp-spread', { count: 300, port: 9000 });
        await healthy.runWorkload('udp-spread', { count: 20, port: 9000 });
        const receiver = await startWebhookReceiver();
        const serve = await startServe([
          ...['--listen', '127.0.0.1:0', '--interval', '1', '--alert-hold-down', '3'],
          ...['--alert-webhook', receiver.url],
        ]);
        const about = (inode: number, alertname?: string) =>
          receiver.received.filter(
            (p) =>
              p.alerts[0]!.labels.netns === String(inode) &&
              (alertname === undefined || p.alerts[0]!.labels.alertname === alertname),
          );
        try {
          await withGlobalMax(400, async () => {
            const flood = full.startWorkload('udp-spread', {
              count: 100000,
              port: 9100,
              offset: 10000,
              rate: 1000,
              seconds: 40,
            });
            await eventually(
              `${LOSS} firing for ${full.name}`,
              () => about(full.inode, LOSS).length >= 1,
              30_000,
            );
            flood.child.kill();
            await flood.finished;
            await eventually(
              `${LOSS} resolved for ${full.name}`,
              () => about(full.inode, LOSS).length >= 2,
              30_000,
            );
          });
          const [firing, resolved, ...more] = about(full.inode, LOSS);
          assert.equal(firing!.status, 'firing');
          assert.equal(resolved!.status, 'resolved');
          assert.deepEqual(more, [], 'one episode: no second page');
          assert.equal(firing!.alerts[0]!.labels.netns_name, full.name);
          assert.equal(firing!.alerts[0]!.labels.severity, 'critical');
          assert.match(
            firing!.alerts[0]!.annotations.description!,
            new RegExp(`ctdoctor mitigate --netns ${full.name}`),
          );
          assert.match(firing!.alerts[0]!.annotations.description!, /the table holds \d+ of 400 entries/);
          for (const payload of receiver.received)
            assert.ok(
              validateAlertmanagerPayload(payload),
              JSON.stringify(validateAlertmanagerPayload.errors),
            );
          assert.deepEqual(about(healthy.inode), [], `nothing for ${healthy.name}`);
        } finally {
          assert.equal(await serve.stop(), 0);
          await receiver.close();
        }
      }),
    );
  });
});
