import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { startWebhookReceiver, validateAlertmanagerPayload } from '../support/alertReceivers.js';
import { eventually } from '../support/eventually.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { startServe } from '../support/serve.js';
import { FULL_TABLE_MAX, nearlyFill, whileDropping } from '../support/tableFullLab.js';

const LOSS = 'ConntrackPacketsDropped';

describe("serve's alerts on the real kernel", () => {
  before(requireKernelLab);

  it('a namespace dropping at a full table pages once for that netns, none for a healthy one, and resolves once after the drops stop', {
    timeout: 120_000,
  }, async () => {
    await withLabNamespace((full) =>
      withLabNamespace(async (healthy) => {
        await nearlyFill(full);
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
          await whileDropping(full, 40, () =>
            eventually(`${LOSS} firing for ${full.name}`, () => about(full.inode, LOSS).length >= 1, 30_000),
          );
          await eventually(
            `${LOSS} resolved for ${full.name}`,
            () => about(full.inode, LOSS).length >= 2,
            30_000,
          );
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
          assert.match(
            firing!.alerts[0]!.annotations.description!,
            new RegExp(`the table holds \\d+ of ${FULL_TABLE_MAX} entries`),
          );
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
