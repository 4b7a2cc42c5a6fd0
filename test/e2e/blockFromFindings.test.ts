import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SCANNER } from '../../src/lab/tableScenarios.js';
import { runCli, runCliJson } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { assertMatchesSchema } from '../support/schemas.js';

/**
 * `block --from-findings` planned on the captured 6.18 tree with a captured table in place of its
 * nf_conntrack (test/fixtures/tables/*.procfs.txt). Where a remote scanner is needed, the captured
 * loopback scanner's address is rewritten at run time, as the unit tests do with the summary:
 * the lab can only make loopback traffic. Plans only: nothing here changes a firewall.
 */

const scratch = mkdtempSync(join(tmpdir(), 'ctdoctor-block-findings-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const table = (name: string) => readFileSync(fixture('tables', `${name}.procfs.txt`), 'utf8');
const REMOTE_SCANNER = '198.51.100.66';

/** A copy of the captured tree whose table is `lines`. */
function treeWith(lines: string): string[] {
  const copy = mkdtempSync(join(scratch, 'proc-'));
  cpSync(fixture('proc-6.18-full'), copy, { recursive: true });
  writeFileSync(join(copy, 'net/nf_conntrack'), lines);
  return ['block', '--from-findings', '--proc-root', copy, '--sys-root', fixture('sys-empty')];
}

interface Plan {
  targets: string[];
  offenders: { address: string; finding: string; entries: number; share: string }[];
  skipped: { address: string; finding: string; entries: number; why: string }[];
}

async function plan(args: string[]): Promise<Plan> {
  const { result, json } = await runCliJson<Plan>(args);
  assert.equal(result.code, 0, result.stderr);
  assertMatchesSchema(json, 'ctdoctor.block/v1');
  return json;
}

/** The table-wide top sources analyze reports for the same tree. */
async function tableWideTopSources(args: string[]): Promise<string[]> {
  const procRoot = args[args.indexOf('--proc-root') + 1]!;
  const analyzed = await runCliJson<{ top: { src: { key: string }[] } }>([
    'analyze',
    '--proc-root',
    procRoot,
    '--sys-root',
    fixture('sys-empty'),
  ]);
  assert.equal(analyzed.result.code, 0, analyzed.result.stderr);
  return analyzed.json.top.src.map((source) => source.key);
}

/** This machine's first global IPv4 address, as block's guards read it. */
function ownAddress(): string {
  const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' })) as {
    addr_info: { local: string; scope: string }[];
  }[];
  const address = links.flatMap((link) => link.addr_info).find((info) => info.scope === 'global')?.local;
  assert.ok(address, 'this machine has a global IPv4 address');
  return address;
}

describe('#13.3 block --from-findings blocks only the offenders findings name', () => {
  it('the udp-flood capture: nothing to block, and none of its table-wide top sources', async () => {
    const args = treeWith(table('udp-flood'));
    const json = await plan(args);
    assert.deepEqual(json.targets, []);
    assert.deepEqual(json.offenders, []);
    assert.deepEqual(json.skipped, []);
    assert.ok((await tableWideTopSources(args)).length > 0, 'the table has busy sources');
    const text = await runCli(args);
    assert.equal(text.stdout, 'no finding names an offender in this table\nnothing to block\n');
  });

  it('a remote scanner among busy legitimate clients: the scanner alone, with its finding and entries', async () => {
    const args = treeWith(table('scan').replaceAll(`=${SCANNER} `, `=${REMOTE_SCANNER} `) + table('healthy'));
    const json = await plan(args);
    assert.deepEqual(json.targets, [REMOTE_SCANNER]);
    assert.deepEqual(json.skipped, [], 'the busy clients are not even considered');
    assert.deepEqual(
      json.offenders.map(({ address, finding, entries }) => ({ address, finding, entries })),
      [{ address: REMOTE_SCANNER, finding: `port-scan:${REMOTE_SCANNER}`, entries: 200 }],
    );
    const busy = (await tableWideTopSources(args)).filter((source) => source !== REMOTE_SCANNER);
    assert.ok(busy.length > 0);
    for (const source of busy) assert.ok(!json.targets.includes(source), `${source} is a client`);
    const text = await runCli(args);
    assert.match(
      text.stdout,
      new RegExp(`^offender ${REMOTE_SCANNER}: port-scan:${REMOTE_SCANNER}, 200 entries \\(\\d+%`, 'm'),
    );
  });

  it('the captured loopback scanner is never blocked, even with --force', async () => {
    for (const force of [[], ['--force']]) {
      const json = await plan([...treeWith(table('scan')), ...force]);
      assert.deepEqual(json.targets, []);
      assert.deepEqual(
        json.skipped.map(({ address, why }) => ({ address, why })),
        [{ address: SCANNER, why: 'loopback' }],
      );
    }
  });

  it("a scanner with this host's own address is never blocked", async () => {
    const own = ownAddress();
    const json = await plan(treeWith(table('scan').replaceAll(`=${SCANNER} `, `=${own} `)));
    assert.deepEqual(json.targets, []);
    assert.equal(json.skipped[0]?.address, own);
    assert.match(json.skipped[0]!.why, /this host's address/);
  });
});
