import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type LabNamespace, withLabNamespace } from '../../src/lab/labNamespace.js';
import { runCli, runCliJson } from '../support/cli.js';
import { requireKernelLab } from '../support/kernelLab.js';

/**
 * No packet is sent: the blocked addresses are documentation ones (RFC 3849), only added to and
 * deleted from the namespace's own nft set or ipset.
 */
describe('#11.28 block and block --remove compare addresses as nft and ipset list them', () => {
  before(requireKernelLab);

  for (const backend of ['nft', 'iptables-nft']) {
    it(`#11.28 ${backend}: block 2001:DB8::1, then --remove 2001:db8:0:0::1 unblocks it`, async () => {
      await withLabNamespace(async (lab) => {
        const base = ['block', '--netns', lab.name, '--backend', backend];
        const state = ['--state-dir', mkdtempSync(join(tmpdir(), 'ctd-state-'))];
        const list = async () =>
          (await runCliJson<{ entries: { address: string }[] }>([...base, '--list'])).json.entries.map(
            (entry) => entry.address,
          );

        const blocked = await runCliJson<{ blocked: string[] }>([
          ...base,
          ...state,
          '--ip',
          '2001:DB8::1',
          '--apply',
        ]);
        assert.equal(blocked.result.code, 0, blocked.result.stderr);
        assert.deepEqual(blocked.json.blocked, ['2001:db8::1']);
        assert.deepEqual(await list(), ['2001:db8::1']);

        const removed = await runCli([...base, ...state, '--remove', '--ip', '2001:db8:0:0::1', '--apply']);
        assert.equal(removed.code, 0, removed.stderr);
        assert.equal(removed.stdout, 'unblocked: 2001:db8::1\n');
        assert.deepEqual(await list(), []);

        const hostBits = await runCli([...base, ...state, '--ip', '10.0.0.5/8', '--apply']);
        assert.equal(hostBits.code, 2);
        assert.match(hostBits.stderr, /give the network 10\.0\.0\.0\/8 or the address 10\.0\.0\.5 alone/);
        assert.deepEqual(await list(), [], 'nothing was blocked');
      });
    });
  }
});

const SCANNER = '198.51.100.66';
/** A scanner that is the namespace's own address (added to lo): block's guards must keep it. */
const OWN_SCANNER = '203.0.113.250';
const CLIENTS = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'];

/**
 * A table with a scanner (200 SYN_SENT to 200 ports) beside five busy, answered clients of a web
 * server (100 ESTABLISHED each: the table's top sources). Inserted with conntrack -R, not sent.
 */
async function scannerAmongClients(lab: LabNamespace): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    for (const source of [SCANNER, OWN_SCANNER])
      lines.push(
        `-I -s ${source} -d 192.0.2.10 -p tcp --sport ${40000 + i} --dport ${20000 + i} --state SYN_SENT -t 120`,
      );
  }
  for (const [n, client] of CLIENTS.entries())
    for (let i = 0; i < 100; i++)
      lines.push(
        `-I -s ${client} -d 192.0.2.10 -p tcp --sport ${30000 + n * 100 + i} --dport 443 --state ESTABLISHED -t 3000`,
      );
  const batch = join(mkdtempSync(join(tmpdir(), 'ctd-scan-')), 'entries');
  writeFileSync(batch, `${lines.join('\n')}\n`);
  await lab.execChecked('conntrack', ['-R', batch]);
  await lab.execChecked('ip', ['addr', 'add', `${OWN_SCANNER}/32`, 'dev', 'lo']);
}

const entriesFrom = async (lab: LabNamespace, source: string) =>
  (await lab.exec('conntrack', ['-L', '-s', source])).stdout.split('\n').filter(Boolean).length;

interface FromFindings {
  targets?: string[];
  blocked?: string[];
  flushed?: Record<string, number>;
  journalId?: string;
  offenders: { address: string; finding: string; entries: number; share: string }[];
  skipped: { address: string; why: string }[];
}

describe('#13.3 block --from-findings blocks the scanner, never the busy clients or this host', () => {
  before(requireKernelLab);

  for (const backend of ['nft', 'iptables-nft']) {
    it(`#13.3 ${backend}: the plan and --apply name only the scanner; rollback unblocks it`, async () => {
      await withLabNamespace(async (lab) => {
        await scannerAmongClients(lab);
        const base = ['block', '--netns', lab.name, '--backend', backend, '--from-findings'];
        const state = ['--state-dir', mkdtempSync(join(tmpdir(), 'ctd-state-'))];
        const list = async () =>
          (
            await runCliJson<{ entries: { address: string }[] }>([
              'block',
              '--netns',
              lab.name,
              '--backend',
              backend,
              '--list',
            ])
          ).json.entries.map((entry) => entry.address);

        const planned = await runCliJson<FromFindings>(base);
        assert.equal(planned.result.code, 0, planned.result.stderr);
        assert.deepEqual(planned.json.targets, [SCANNER]);
        assert.deepEqual(planned.json.offenders, [
          {
            address: SCANNER,
            finding: `port-scan:${SCANNER}`,
            entries: 200,
            share: planned.json.offenders[0]?.share,
          },
        ]);
        assert.deepEqual(
          planned.json.skipped.map(({ address, why }) => ({ address, why })),
          [{ address: OWN_SCANNER, why: "this host's address on lo" }],
        );
        assert.deepEqual(await list(), [], 'a plan changes nothing');

        const applied = await runCliJson<FromFindings>([...base, ...state, '--apply']);
        assert.equal(applied.result.code, 0, applied.result.stderr);
        assert.deepEqual(applied.json.blocked, [SCANNER]);
        assert.equal(applied.json.flushed?.[SCANNER], 200);
        assert.deepEqual(await list(), [SCANNER]);
        assert.equal(await entriesFrom(lab, SCANNER), 0, "the scanner's entries are flushed");
        for (const client of CLIENTS)
          assert.equal(await entriesFrom(lab, client), 100, `${client} keeps its entries`);
        assert.equal(await entriesFrom(lab, OWN_SCANNER), 200, "this host's entries are left alone");

        const undone = await runCli(['rollback', ...state]);
        assert.equal(undone.code, 0, undone.stderr);
        assert.deepEqual(await list(), [], 'rollback unblocks the scanner');
      });
    });
  }
});
