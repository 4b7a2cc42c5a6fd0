import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { withGlobalMax } from '../../src/lab/globalSettings.js';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { firstLines } from '../support/cliLines.js';
import { requireKernelLab } from '../support/kernelLab.js';
import { assertMatchesSchema, jsonOf, schemaIdsInSource, validatedIds } from '../support/schemas.js';
import { assertServeApiMatchesSchemas, startServe } from '../support/serve.js';
import { makeTree } from '../support/sysctlTrees.js';

/**
 * Every command's --json on the running kernel, checked against docs/schemas/: the readings in a
 * private network namespace with traffic in it, and each apply there (the host's nf_conntrack_max
 * only under withGlobalMax) followed by the rollback that undoes it.
 */

const stateDir = () => mkdtempSync(join(tmpdir(), 'ctd-state-'));
const hostMax = () => Number(readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'));
const VERDICT_EXITS = [0, 1, 2];

/** A lab with UDP and TCP entries in its table, so every breakdown has rows. */
async function withBusyLab(body: (lab: LabNamespace) => Promise<void>): Promise<void> {
  await withLabNamespace(async (lab) => {
    await lab.setSysctl('nf_conntrack_udp_timeout', 120);
    await lab.runWorkload('udp-spread', { count: 300, port: 9000 });
    await lab.runWorkload('tcp-churn', { count: 20, port: 8080 });
    await body(lab);
  });
}

/** Two seconds of `conntrack -E -o timestamp,id` while new UDP flows are made, as an operator saves one. */
async function eventLog(lab: LabNamespace): Promise<string> {
  const sender = lab.startWorkload('udp-spread', {
    rate: 200,
    batch: 4,
    seconds: 4,
    count: 2000,
    port: 9100,
  });
  const log = await lab.exec('timeout', ['-s', 'INT', '2', 'conntrack', '-E', '-o', 'timestamp,id']);
  await sender.finished;
  assert.match(log.stdout, /\[NEW\] udp/, log.stderr);
  return log.stdout;
}

describe('every command --json on the real kernel', () => {
  before(requireKernelLab);

  it('readings and plans in a lab namespace', async () => {
    await withBusyLab(async (lab) => {
      const netns = ['--netns', lab.name];
      for (const source of ['procfs', 'netlink']) {
        await jsonOf('ctdoctor.status/v1', ['status', ...netns, '--source', source, '--interval', '0.2']);
        await jsonOf('ctdoctor.analyze/v1', ['analyze', ...netns, '--source', source]);
      }
      const watch = await firstLines(['status', '--watch', '--json', ...netns, '--interval', '0.2'], 2);
      for (const line of watch) assertMatchesSchema(JSON.parse(line), 'ctdoctor.status/v1');
      const top = await firstLines(['top', '--json', ...netns, '--interval', '0.2'], 2);
      for (const line of top) assertMatchesSchema(JSON.parse(line), 'ctdoctor.top/v1');
      await jsonOf('ctdoctor.analyze-events/v1', ['analyze', '-'], { input: await eventLog(lab) });
      await jsonOf('ctdoctor.check/v1', ['check', ...netns, '--interval', '0.2'], { exit: VERDICT_EXITS });
      await jsonOf('ctdoctor.check/v1', ['check', '--netns', 'ctdoctor-no-such-netns'], { exit: 3 });
      await jsonOf('ctdoctor.doctor/v1', ['doctor', ...netns, '--interval', '0.2'], { exit: VERDICT_EXITS });
      await jsonOf('ctdoctor.doctor/v1', ['doctor', '--fast', '--interval', '0.2'], { exit: VERDICT_EXITS });
      await jsonOf('ctdoctor.mitigate/v1', ['mitigate', ...netns, '--interval', '0.2']);
      await jsonOf('ctdoctor.plan/v1', [
        'plan',
        ...netns,
        '--rate',
        '500/s',
        '--mix',
        'tcp-short=80%,udp-query=20%',
      ]);
      await jsonOf('ctdoctor.timeouts/v1', ['timeouts', ...netns, '--set', 'udp_timeout=30']);
      await jsonOf('ctdoctor.helpers/v1', ['helpers', ...netns]);
      await jsonOf('ctdoctor.notrack/v1', ['notrack', ...netns, '--port', '9000', '--proto', 'udp']);
      await jsonOf('ctdoctor.block/v1', ['block', ...netns, '--ip', '192.0.2.7']);
      await jsonOf('ctdoctor.block-list/v1', ['block', ...netns, '--list']);
      // The host's own /etc, read only: in sync or not, the shape is the same.
      await jsonOf('ctdoctor.persist-check/v1', ['persist', '--check'], { exit: [0, 1] });
      await jsonOf('ctdoctor.persist/v1', ['persist', '--max', String(hostMax())]);
    });
  });

  it('timeouts, notrack and block --apply in a lab namespace, then rollback --list and rollback', async () => {
    await withBusyLab(async (lab) => {
      const state = ['--state-dir', stateDir()];
      const netns = ['--netns', lab.name];
      const timeouts = await jsonOf('ctdoctor.timeouts/v1', [
        'timeouts',
        ...netns,
        ...state,
        '--set',
        'udp_timeout=60',
        '--apply',
      ]);
      assert.equal(timeouts.applied, true);
      const notrack = await jsonOf('ctdoctor.notrack/v1', [
        'notrack',
        ...netns,
        ...state,
        '--port',
        '9000',
        '--proto',
        'udp',
        '--apply',
      ]);
      assert.ok((notrack.changed as string[]).length > 0, 'rules were added');
      const block = ['block', ...netns, ...state, '--ip', '192.0.2.7'];
      const blocked = await jsonOf('ctdoctor.block/v1', [...block, '--ttl', '1h', '--apply']);
      assert.deepEqual(blocked.blocked, ['192.0.2.7']);
      const list = await jsonOf('ctdoctor.block-list/v1', ['block', ...netns, '--list']);
      assert.equal((list.entries as unknown[]).length, 1);
      await jsonOf('ctdoctor.block/v1', [...block, '--remove']);
      await jsonOf('ctdoctor.block/v1', [...block, '--remove', '--apply']);

      const journal = await jsonOf('ctdoctor.journal/v1', ['rollback', '--list', ...state]);
      const ids = (journal.entries as { id: string }[]).map((entry) => entry.id);
      assert.equal(ids.length, 4, 'timeouts, notrack, block and unblock');
      const undone = await jsonOf('ctdoctor.rollback/v1', ['rollback', ...state, '--to', ids[0]!]);
      assert.equal((undone.undone as unknown[]).length, 4);
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '120', 'rolled back');
      await jsonOf('ctdoctor.journal/v1', ['rollback', '--list', ...state]);
    });
  });

  it("mitigate --apply on the host's limit, persist --reload --apply in a --root tree, then rollback", async () => {
    await withBusyLab(async (lab) => {
      const state = ['--state-dir', stateDir()];
      await withGlobalMax(4000, async (originalMax) => {
        const mitigate = await jsonOf('ctdoctor.mitigate/v1', [
          'mitigate',
          '--netns',
          lab.name,
          ...state,
          '--interval',
          '0.2',
          '--max',
          String(originalMax),
          '--apply',
          '--verify-seconds',
          '0.5',
        ]);
        assert.equal(mitigate.applied, true);
        assert.equal(hostMax(), originalMax);
        await jsonOf('ctdoctor.rollback/v1', ['rollback', ...state]);
        assert.equal(hostMax(), 4000, 'rollback restores the limit mitigate changed');
      });
      // Inside the lab, --reload applies the persisted timeout there, as boot would.
      const inLab = { as: ['ip', 'netns', 'exec', lab.name] };
      const etc = makeTree({});
      const persist = ['persist', '--root', etc, ...state, '--timeout', 'udp_timeout=45'];
      const applied = await jsonOf('ctdoctor.persist/v1', [...persist, '--reload', '--apply'], inLab);
      assert.equal((applied.reloaded as unknown[]).length, 1, 'the timeout was applied now');
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '45');
      await jsonOf('ctdoctor.persist-check/v1', ['persist', '--check', '--root', etc], {
        ...inLab,
        exit: [0, 1],
      });
      await jsonOf('ctdoctor.rollback/v1', ['rollback', '--root', etc, ...state], inLab);
      assert.equal(await lab.readSysctl('nf_conntrack_udp_timeout'), '120', 'rolled back');
    });
  });

  it("serve's JSON API with a lab namespace in it", async () => {
    await withLabNamespace(async (lab) => {
      await lab.runWorkload('udp-spread', { count: 50, port: 9000 });
      const serve = await startServe(['--listen', '127.0.0.1:0', '--interval', '0.5']);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        await assertServeApiMatchesSchemas(serve.url);
      } finally {
        assert.equal(await serve.stop(), 0);
      }
    });
  });

  it('lab --json with a timeout tuning, and plan --verify --json with its lab run inside', async () => {
    const lab = await jsonOf('ctdoctor.lab/v1', [
      'lab',
      '--scenario',
      'udp-dns:rate=200/s',
      '--duration',
      '4s',
      '--compare',
      'as-is',
      '--compare',
      'tcp_timeout_time_wait=2',
    ]);
    assert.deepEqual(
      (lab.runs as { label: string }[]).map((run) => run.label),
      ['as is', 'tcp_timeout_time_wait=2'],
    );
    const verified = await jsonOf('ctdoctor.plan/v1', [
      'plan',
      '--class',
      'udp-query:100/s',
      '--verify',
      '--verify-duration',
      '10',
      '--yes',
    ]);
    assert.equal((verified.verify as { lab: { schema: string } }).lab.schema, 'ctdoctor.lab/v1');
    assert.equal(typeof (verified.measured as { countPeak: unknown }).countPeak, 'number');
  });

  // Runs last: node:test runs the tests of a file in order.
  it('every schema id the code prints was checked on the kernel above', () => {
    const unchecked = schemaIdsInSource().filter((id) => !validatedIds.has(id));
    assert.deepEqual(unchecked, [], `no test above validated ${unchecked.join(', ')}`);
  });
});
