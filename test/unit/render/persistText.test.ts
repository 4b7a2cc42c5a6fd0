import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditPersistence } from '../../../src/collectors/persistAudit.js';
import { keyOwnerAdvice } from '../../../src/core/plan/keyOwnerAdvice.js';
import { KUBE_PROXY_DEFAULTS } from '../../../src/core/plan/kubeProxy.js';
import { planPersist } from '../../../src/core/plan/persistPlan.js';
import type { PersistReport } from '../../../src/core/plan/persistResult.js';
import { readSysctlTree, underRoot } from '../../../src/host/confTree.js';
import { readHostFacts } from '../../../src/host/hostFacts.js';
import { resolveNetns } from '../../../src/host/netns.js';
import { netnsFiles } from '../../../src/host/netnsFiles.js';
import { sysctlAccess } from '../../../src/host/sysctlAccess.js';
import {
  persistCheckJson,
  persistJson,
  renderDrift,
  renderPersist,
} from '../../../src/render/persistText.js';
import { fixture } from '../../support/paths.js';
import { makeTree } from '../../support/sysctlTrees.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';
const ESTABLISHED = 'net.netfilter.nf_conntrack_tcp_timeout_established';
const UNDO = 'ctdoctor rollback --root /tmp/tree';

/** A Debian-like tree: a vendor drop-in and an /etc/sysctl.conf that procps reads last. */
const TREE = {
  '/usr/lib/sysctl.d/50-vendor.conf': `${MAX} = 65536\n`,
  '/etc/sysctl.conf': `${ESTABLISHED} = 3600\n`,
};

async function plannedReport(): Promise<PersistReport> {
  const root = makeTree(TREE);
  const tree = await readSysctlTree(root);
  const plan = planPersist({
    values: { [MAX]: '524288', [BUCKETS]: '131072', [ESTABLISHED]: '86400' },
    files: tree.files,
    sysctlConf: tree.sysctlConf,
    loopingDirs: tree.loopingDirs,
    onDisk: (path) => underRoot(root, path),
    target: 'dropin',
    fixConflicts: false,
    conntrackBuiltIn: true,
  });
  const kubeProxy = keyOwnerAdvice({
    who: 'kube-proxy',
    pid: '4242',
    argv: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf'],
    config: { ...KUBE_PROXY_DEFAULTS, source: '--config /var/lib/kube-proxy/config.conf' },
    cpus: 8,
  });
  return { plan, pending: plan.writes, owners: [kubeProxy], result: null };
}

describe('persist text and JSON', () => {
  it('the plan: the file to write and its lines, what wins at boot under each applier, who overrides', async () => {
    const report = await plannedReport();
    const lines = renderPersist(report, UNDO).split('\n');
    assert.equal(lines[0], 'plan (nothing written; add --apply to do it):');
    assert.equal(lines[1], "  write  /etc/sysctl.d/90-ctdoctor.conf  — ctdoctor's drop-in");
    assert.ok(lines.includes(`    | ${MAX} = 524288`), 'the drop-in as it will read');
    assert.ok(
      lines.includes(
        `  !! ${ESTABLISHED} = 86400: systemd-sysctl 86400 (/etc/sysctl.d/90-ctdoctor.conf:5), sysctl --system 3600 (/etc/sysctl.conf:1)`,
      ),
      lines.join('\n'),
    );
    assert.ok(lines.some((line) => line.startsWith(`  ok ${MAX} = 524288: systemd-sysctl 524288`)));
    assert.ok(lines.includes('other files setting these keys:'));
    assert.ok(
      lines.some((line) =>
        line.startsWith('  kube-proxy: at every start kube-proxy sets nf_conntrack_max to 262144'),
      ),
    );
    assert.ok(
      lines.includes(
        '    evidence: pid 4242: /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf',
      ),
    );
    assert.ok(!lines.some((line) => line.includes('journal')), 'nothing to undo for a plan');
  });

  it('applied: "written", the values reloaded now, the journal to undo; nothing pending says so', async () => {
    const planned = await plannedReport();
    const result = {
      written: planned.pending,
      reloaded: [{ kind: 'sysctl' as const, key: MAX, before: '262144', after: '524288' }],
      journalId: '20261201T222413Z-6b52',
    };
    const lines = renderPersist({ ...planned, result }, UNDO).split('\n');
    assert.equal(lines[0], 'written:');
    assert.ok(!lines.some((line) => line.startsWith('    | ')), 'the file is not shown once written');
    assert.ok(lines.includes(`  reloaded ${MAX}: 262144 → 524288`));
    assert.equal(lines.at(-1), `  journal 20261201T222413Z-6b52: undo with  ${UNDO}`);
    const json = persistJson({ ...planned, result });
    assert.equal(typeof json.plan.writes[0]!.content, 'string', 'file bytes shown as text');
    assert.deepEqual(json.pending, ['/etc/sysctl.d/90-ctdoctor.conf']);
    assert.equal(json.applied, true);
    assert.equal(json.journalId, result.journalId);
    const again = renderPersist({ ...planned, pending: [] }, UNDO).split('\n');
    assert.equal(again[0], 'nothing to write: the files already hold these values');
  });

  it('--check: DRIFT where boot sets another value under sysctl --system, and the fix to run', async () => {
    const root = makeTree({
      ...TREE,
      '/etc/sysctl.d/90-ctdoctor.conf': `# Written by ctdoctor persist: x\n${MAX} = 200\n${ESTABLISHED} = 86400\n`,
    });
    const roots = { procRoot: fixture('proc-6.18-full'), sysRoot: fixture('proc-6.18-full', 'sys') };
    const access = sysctlAccess(netnsFiles(await resolveNetns(undefined, roots), roots), roots);
    const audit = await auditPersistence(root, access, await readHostFacts(roots));
    const lines = renderDrift(audit).split('\n');
    assert.equal(lines[0], 'ctdoctor file: /etc/sysctl.d/90-ctdoctor.conf');
    assert.ok(
      lines.some((line) =>
        line.startsWith(
          `  DRIFT    ${ESTABLISHED}: runtime 432000, at boot 86400 (/etc/sysctl.d/90-ctdoctor.conf:3) under systemd-sysctl but 3600 (/etc/sysctl.conf:1) under sysctl --system`,
        ),
      ),
      lines.join('\n'),
    );
    assert.equal(
      lines.at(-1),
      '  fix: ctdoctor persist --fix-conflicts --apply (comments out the lines that win under sysctl --system)',
    );
    const json = persistCheckJson(audit);
    assert.equal(json.inSync, false);
    assert.deepEqual(Object.keys(json), ['schema', 'inSync', 'file', 'rows', 'overridden']);
  });
});
