import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { firstLines } from '../support/cliLines.js';
import { fixture } from '../support/paths.js';
import {
  SCHEMA_DIR,
  assertMatchesSchema,
  jsonOf,
  schemaFileFor,
  schemaIdsInSource,
  validatedIds,
} from '../support/schemas.js';
import { assertServeApiMatchesSchemas, startServe } from '../support/serve.js';
import { makeTree } from '../support/sysctlTrees.js';

/**
 * Every command's --json on fixture trees and saved tables, checked against docs/schemas/. Plans
 * only, and applies that write nothing but a scratch copy of a tree: the real kernel's outputs are
 * test/kernel/jsonSchemas.test.ts.
 */

const scratch = mkdtempSync(join(tmpdir(), 'ctdoctor-schemas-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const FULL = fixture('proc-6.18-full');
const SYS = ['--sys-root', fixture('sys-empty')];
const tree = (procRoot: string) => ['--proc-root', procRoot, ...SYS];
const MAX_KEY = 'net.netfilter.nf_conntrack_max';

/** A scratch copy of the captured 200/200 tree with `count` entries (what OK and WARNING need). */
function treeWithCount(count: number): string {
  const copy = mkdtempSync(join(scratch, 'proc-'));
  cpSync(FULL, copy, { recursive: true });
  writeFileSync(join(copy, 'sys/net/netfilter/nf_conntrack_count'), `${count}\n`);
  return copy;
}

const stateDir = () => mkdtempSync(join(scratch, 'state-'));

describe('status and check --json', () => {
  for (const name of ['proc-6.18-full', 'proc-no-procfs-stat', 'proc-old-stat-header']) {
    it(`status on ${name}`, async () => {
      await jsonOf('ctdoctor.status/v1', ['status', ...tree(fixture(name)), '--interval', '0.1']);
    });
  }

  it('status --watch: every line is one status object', async () => {
    const lines = await firstLines(['status', '--watch', '--json', ...tree(FULL), '--interval', '0.1'], 2);
    for (const line of lines) assertMatchesSchema(JSON.parse(line), 'ctdoctor.status/v1');
  });

  it("top --json: every line is one top object (the running kernel, ctdoctor's own namespace)", async () => {
    const lines = await firstLines(['top', '--json', '--interval', '0.1'], 2);
    for (const line of lines) assertMatchesSchema(JSON.parse(line), 'ctdoctor.top/v1');
  });

  for (const [count, status, exit] of [
    [100, 'OK', 0],
    [170, 'WARNING', 1],
    [200, 'CRITICAL', 2],
  ] as const) {
    it(`check ${status}`, async () => {
      const json = await jsonOf(
        'ctdoctor.check/v1',
        ['check', ...tree(treeWithCount(count)), '--interval', '0.1'],
        { exit },
      );
      assert.equal(json.status, status);
    });
  }

  it('check without drop counters, and UNKNOWN for a bad option and an unloaded conntrack', async () => {
    await jsonOf(
      'ctdoctor.check/v1',
      ['check', ...tree(fixture('proc-no-procfs-stat')), '--interval', '0.1'],
      { exit: 2 },
    );
    const badOption = await jsonOf('ctdoctor.check/v1', ['check', '--warn', '90', '--crit', '80'], {
      exit: 3,
    });
    assert.equal(badOption.status, 'UNKNOWN');
    const notLoaded = await jsonOf('ctdoctor.check/v1', ['check', ...tree(fixture('proc-not-loaded'))], {
      exit: 3,
    });
    assert.equal(notLoaded.status, 'UNKNOWN');
  });
});

describe('doctor and analyze --json', () => {
  it('doctor on the full tree, with and without table analysis', async () => {
    const etc = makeTree({ '/usr/lib/sysctl.d/50-vendor.conf': `${MAX_KEY} = 65536\n` });
    const args = ['doctor', ...tree(FULL), '--root', etc, '--interval', '0.1'];
    const json = await jsonOf('ctdoctor.doctor/v1', args, { exit: 2 });
    assert.ok(
      (json.findings as unknown[]).length > 0,
      'the schema is checked on findings, not an empty list',
    );
    await jsonOf('ctdoctor.doctor/v1', [...args, '--fast'], { exit: 2 });
  });

  // Each scenario once (their findings differ), the three formats among them.
  for (const [name, findings] of [
    ['healthy.procfs.txt', []],
    ['pool.conntrack.txt', ['established-leak']],
    ['protocols.extended.txt', []],
    ['scan.procfs.txt', ['port-scan', 'unreplied-heavy']],
    ['time-wait.conntrack.txt', ['time-wait-pile']],
    ['udp-flood.extended.txt', ['udp-flood', 'unreplied-heavy']],
  ] as const) {
    it(`analyze tables/${name}`, async () => {
      const json = await jsonOf('ctdoctor.analyze/v1', ['analyze', fixture('tables', name)]);
      const kinds = (json.findings as { kind: string }[]).map((finding) => finding.kind);
      assert.deepEqual(kinds, findings, 'the findings are checked too');
    });
  }

  it('analyze the tree, stdin, --group-by, --filter, --sample', async () => {
    await jsonOf('ctdoctor.analyze/v1', ['analyze', ...tree(FULL)]);
    const scan = fixture('tables', 'scan.conntrack.txt');
    await jsonOf('ctdoctor.analyze/v1', ['analyze', '-'], { input: readFileSync(scan, 'utf8') });
    const grouped = await jsonOf('ctdoctor.analyze/v1', [
      'analyze',
      scan,
      '--group-by',
      'src,dport',
      '--filter',
      'proto=tcp',
    ]);
    assert.ok((grouped.top as { groupBy?: unknown[] }).groupBy?.length);
    await jsonOf('ctdoctor.analyze/v1', ['analyze', scan, '--sample', '10']);
    const entry = readFileSync(scan, 'utf8').split('\n')[0]!;
    const damaged = await jsonOf('ctdoctor.analyze/v1', ['analyze', '-'], {
      input: `${entry}\nnot a conntrack line\n`,
    });
    assert.equal((damaged.malformed as { count: number }).count, 1);
  });
});

describe('mitigate and timeouts --json', () => {
  it('mitigate: a plan, a plan with nothing to change, a refused plan', async () => {
    const args = ['mitigate', ...tree(FULL), '--interval', '0.1'];
    await jsonOf('ctdoctor.mitigate/v1', args);
    await jsonOf('ctdoctor.mitigate/v1', [...args, '--max', '200', '--buckets', '262144']);
    const refused = await jsonOf('ctdoctor.mitigate/v1', [...args, '--max', String(2 ** 30)], { exit: 1 });
    assert.equal(typeof (refused.plan as { refusal: unknown }).refusal, 'string');
  });

  it('mitigate --apply on a scratch copy of the tree', async () => {
    const args = ['mitigate', ...tree(treeWithCount(200)), '--interval', '0.1', '--state-dir', stateDir()];
    const json = await jsonOf('ctdoctor.mitigate/v1', [...args, '--apply', '--verify-seconds', '0.1']);
    assert.equal(json.applied, true);
  });

  it('timeouts: the table, a --set with its impact, and --apply on a scratch copy of the tree', async () => {
    await jsonOf('ctdoctor.timeouts/v1', ['timeouts', ...tree(FULL)]);
    await jsonOf('ctdoctor.timeouts/v1', [
      'timeouts',
      ...tree(FULL),
      '--set',
      'tcp_timeout_established=3600',
    ]);
    const copy = treeWithCount(200);
    const json = await jsonOf('ctdoctor.timeouts/v1', [
      'timeouts',
      ...tree(copy),
      '--set',
      'udp_timeout=20',
      '--apply',
      '--state-dir',
      stateDir(),
    ]);
    assert.equal(json.applied, true);
  });
});

describe('plan --json', () => {
  it('plan: a stated load with --try rows, on a fixture tree', async () => {
    const json = await jsonOf('ctdoctor.plan/v1', [
      'plan',
      ...tree(FULL),
      '--rate',
      '2000/s',
      '--mix',
      'tcp-short=80%,udp-query=20%',
      '--try',
      'tcp_timeout_time_wait=30',
      '--try',
      'notrack=53/udp:100%',
    ]);
    assert.equal((json.tries as unknown[]).length, 2);
  });
});

describe('persist and rollback --json in a --root tree', () => {
  it('persist: a plan with a conflict, --fix-conflicts, --file, --check, --apply, rollback --list and rollback', async () => {
    const etc = makeTree({
      '/usr/lib/sysctl.d/50-vendor.conf': `${MAX_KEY} = 65536\n`,
      '/etc/sysctl.conf': `${MAX_KEY} = 1000\n`,
    });
    const state = stateDir();
    const base = ['persist', ...tree(FULL), '--root', etc, '--state-dir', state, '--max', '524288'];
    const plan = await jsonOf('ctdoctor.persist/v1', [...base, '--timeout', 'udp_timeout=60']);
    assert.ok((plan.plan as { conflicts: unknown[] }).conflicts.length > 0);
    await jsonOf('ctdoctor.persist/v1', [...base, '--fix-conflicts']);
    await jsonOf('ctdoctor.persist/v1', [...base, '--file', '/etc/sysctl.conf']);
    const check = ['persist', '--check', ...tree(FULL), '--root', etc];
    await jsonOf('ctdoctor.persist-check/v1', check, { exit: 1 });

    const emptyJournal = await jsonOf('ctdoctor.journal/v1', ['rollback', '--list', '--state-dir', state]);
    assert.deepEqual(emptyJournal.entries, []);
    const applied = await jsonOf('ctdoctor.persist/v1', [...base, '--fix-conflicts', '--apply']);
    assert.equal(applied.applied, true);
    await jsonOf('ctdoctor.persist-check/v1', check, { exit: 1 });
    const journal = await jsonOf('ctdoctor.journal/v1', ['rollback', '--list', '--state-dir', state]);
    assert.equal((journal.entries as unknown[]).length, 1);
    const undone = await jsonOf('ctdoctor.rollback/v1', ['rollback', '--root', etc, '--state-dir', state]);
    assert.equal((undone.undone as { id: string }[])[0]?.id, applied.journalId);
    await jsonOf('ctdoctor.journal/v1', ['rollback', '--list', '--state-dir', state]);
  });
});

describe('helpers, notrack and block --json (plans)', () => {
  it('helpers', async () => {
    await jsonOf('ctdoctor.helpers/v1', ['helpers', ...tree(FULL)]);
  });

  it('notrack: in, both directions with an address, --remove', async () => {
    const base = ['notrack', ...tree(FULL), '--port', '53', '--proto', 'udp'];
    await jsonOf('ctdoctor.notrack/v1', base);
    await jsonOf('ctdoctor.notrack/v1', [...base, '--direction', 'both', '--address', '192.0.2.0/24']);
    await jsonOf('ctdoctor.notrack/v1', [...base, '--remove']);
  });

  it('block: a plan, an unblock plan, --list', async () => {
    await jsonOf('ctdoctor.block/v1', ['block', ...tree(FULL), '--ip', '192.0.2.7', '--ttl', '1h']);
    await jsonOf('ctdoctor.block/v1', ['block', ...tree(FULL), '--ip', '2001:db8::1', '--remove']);
    await jsonOf('ctdoctor.block-list/v1', ['block', ...tree(FULL), '--list']);
  });
});

describe('analyze --json of a saved conntrack -E log', () => {
  for (const [dir, name] of [
    ['event-logs', 'udp-10-20-30.E-NEW-DESTROY-timestamp-id.txt'],
    ['event-logs', 'udp-10-20-30-tcp.E-extended.txt'],
    ['events', 'conntrack-E-timestamp.txt'],
  ] as const) {
    it(`analyze ${dir}/${name}`, async () => {
      await jsonOf('ctdoctor.analyze-events/v1', ['analyze', fixture(dir, name)]);
    });
  }
});

describe("serve's JSON API", () => {
  it('/api/status, /api/history, /api/findings and /api/drift of a serve reading a fixture tree', async () => {
    const serve = await startServe([...tree(FULL), '--listen', '127.0.0.1:0', '--interval', '0.2']);
    try {
      // Two samples, so that the status has rates and the history a rate column.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await assertServeApiMatchesSchemas(serve.url);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });
});

describe('lab --json (needs root and the real kernel: captured, test/fixtures/lab/README)', () => {
  for (const name of [
    'report-mixed.json',
    'report-interrupted.json',
    'report-helpers.json',
    'report-router.json',
  ]) {
    it(`lab ${name}`, () => {
      assertMatchesSchema(JSON.parse(readFileSync(fixture('lab', name), 'utf8')), 'ctdoctor.lab/v1');
    });
  }
});

describe('the schemas cover every command', () => {
  it('every schema id the code prints has its file in docs/schemas/, and every file is one the code prints', () => {
    const ids = schemaIdsInSource();
    assert.ok(ids.length >= 16, `found only ${ids.join(', ')}`);
    const files = readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.schema.json'));
    for (const id of ids) assert.ok(files.includes(schemaFileFor(id)), `${id} has no ${schemaFileFor(id)}`);
    const expected = new Set([...ids.map(schemaFileFor), 'common.schema.json']);
    assert.deepEqual(
      files.filter((file) => !expected.has(file)),
      [],
      'a schema no command prints',
    );
  });

  it('the index lists every schema file', () => {
    const index = readFileSync(join(SCHEMA_DIR, 'README.md'), 'utf8');
    for (const id of schemaIdsInSource()) {
      assert.ok(index.includes(`(${schemaFileFor(id)})`), `README.md links ${schemaFileFor(id)}`);
      assert.ok(index.includes(`\`${id}\``), `README.md names ${id}`);
    }
  });

  // Runs last: node:test runs the tests of a file in order.
  it('every schema id the code prints was checked on real output above', () => {
    const unchecked = schemaIdsInSource().filter((id) => !validatedIds.has(id));
    assert.deepEqual(unchecked, [], `no test above validated ${unchecked.join(', ')}`);
  });
});
