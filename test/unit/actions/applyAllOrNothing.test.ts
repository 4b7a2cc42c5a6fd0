import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unloadHelpers } from '../../../src/actions/helpers.js';
import { Journal } from '../../../src/actions/journal.js';
import { HELPER_BLACKLIST_FILE, type HelperPlanItem } from '../../../src/core/plan/conntrackHelpers.js';
import { applyPersist } from '../../../src/actions/persist.js';
import { MemoryHost } from '../../support/memoryHost.js';

const MAX = 'net.netfilter.nf_conntrack_max';
const BUCKETS = 'net.netfilter.nf_conntrack_buckets';
const CONF = '/etc/sysctl.conf';
const DROPIN = '/etc/sysctl.d/90-ctdoctor.conf';
const OLD_CONF = Buffer.from("# the operator's own\nnet.netfilter.nf_conntrack_max = 65536"); // no final newline

/** A host with ctdoctor's usual persist: sysctl.conf edited, the drop-in created, both values reloaded. */
function persistHost(): { host: MemoryHost; journal: Journal; apply: () => Promise<unknown> } {
  const host = new MemoryHost();
  host.fileBytes.set(CONF, Buffer.from(OLD_CONF));
  host.sysctls.set(MAX, '65536');
  host.sysctls.set(BUCKETS, '16384');
  const journal = new Journal('/var/lib/ctdoctor', host);
  const apply = () =>
    applyPersist(
      [
        { path: CONF, content: "# the operator's own\n", why: 'conflicting line removed' },
        { path: DROPIN, content: `${MAX} = 262144\n${BUCKETS} = 65536\n`, why: 'ours' },
      ],
      { [MAX]: '262144', [BUCKETS]: '65536' },
      { journal, realPath: (path) => path, reload: host.sysctlAccess() },
    );
  return { host, journal, apply };
}

/** Everything the apply could have changed is as it was before it. */
function assertUnchanged(host: MemoryHost): void {
  assert.deepEqual(host.fileBytes.get(CONF), OLD_CONF, `${CONF} byte for byte`);
  assert.equal(host.fileBytes.has(DROPIN), false, `${DROPIN} is not left behind`);
  assert.deepEqual(Object.fromEntries(host.sysctls), { [MAX]: '65536', [BUCKETS]: '16384' });
}

describe('an apply is all or nothing (in-memory host)', () => {
  it('#12.5 the last step refused: both files and the first value are put back, the journal ends in abort', async () => {
    const { host, journal, apply } = persistHost();
    host.refuseSysctl(BUCKETS);
    await assert.rejects(apply, {
      kind: 'kernel',
      message: `the kernel rejected the value for ${BUCKETS} (EINVAL): out of range; nothing was changed (what was done is undone)`,
    });
    assertUnchanged(host);
    assert.deepEqual(host.recordTypes(journal.path), ['begin', 'step', 'step', 'step', 'undoing', 'abort']);
    const abort = JSON.parse(host.text(journal.path)!.trim().split('\n').pop()!);
    assert.deepEqual(abort.left, [], 'nothing left to undo');
    assert.deepEqual(
      (await journal.all()).entries.map((entry) => entry.state),
      ['undone on failure'],
    );
    assert.deepEqual((await journal.active()).entries, [], 'rollback has nothing to do');
  });

  // Counted from the start of the apply: the lock (1), the backup of sysctl.conf (2; the drop-in has
  // none), the begin record (3), then each change and its step record: sysctl.conf (4, 5), the drop-in (6, 7).
  const cases = [
    {
      write: 6,
      what: 'the second file write failing puts the first file back',
      records: ['begin', 'step', 'undoing', 'abort'],
    },
    {
      write: 5,
      what: "the journal's step record failing undoes the change it follows",
      records: ['begin', 'undoing', 'abort'],
    },
  ];
  for (const { write, what, records } of cases) {
    it(`#12.5 ${what}`, async () => {
      const { host, journal, apply } = persistHost();
      host.failWrite(write);
      const error = await apply().catch((e: Error) => e);
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /^cannot (write|append to) \S+: EIO: injected failure.*; nothing was changed \(what was done is undone\)$/,
      );
      assertUnchanged(host);
      assert.deepEqual(host.recordTypes(journal.path), records);
      assert.deepEqual((await journal.active()).entries, []);
    });
  }

  it('#12.5 a read-only target refuses the write and leaves the edited sysctl.conf as it was', async () => {
    const { host, journal, apply } = persistHost();
    host.readOnly('/etc/sysctl.d/');
    await assert.rejects(apply, {
      kind: 'permission',
      message: `cannot write ${DROPIN}: the filesystem is read-only: remount it read-write, or use another path; nothing was changed (what was done is undone)`,
    });
    assertUnchanged(host);
    assert.deepEqual(host.recordTypes(journal.path), ['begin', 'step', 'undoing', 'abort']);
  });

  it('#12.5 a module that will not unload loads back the one unloaded before it and writes no blacklist', async () => {
    const host = new MemoryHost();
    const journal = new Journal('/var/lib/ctdoctor', host);
    host.scriptTools((argv) =>
      argv.join(' ') === 'modprobe -r nf_conntrack_sip'
        ? { stdout: '', stderr: 'modprobe: FATAL: Module nf_conntrack_sip is in use.\n', exitCode: 1 }
        : undefined,
    );
    const items: HelperPlanItem[] = ['ftp', 'sip'].map((name) => ({
      name,
      action: 'unload',
      reason: 'unused',
      commands: [],
    }));
    await assert.rejects(unloadHelpers(items, '/', journal), {
      message:
        'modprobe -r nf_conntrack_sip: modprobe: FATAL: Module nf_conntrack_sip is in use.; nothing was changed (what was done is undone)',
    });
    assert.deepEqual(
      host.operations.filter((operation) => operation.startsWith('run ')),
      [
        'run modprobe -r nf_conntrack_ftp',
        'run modprobe -r nf_conntrack_sip',
        // Undone newest first, the failed unload too: loading a loaded module is a no-op.
        'run modprobe nf_conntrack_sip',
        'run modprobe nf_conntrack_ftp',
      ],
    );
    assert.equal(host.fileBytes.has(HELPER_BLACKLIST_FILE), false);
    assert.equal(host.recordTypes(journal.path).at(-1), 'abort');
  });
});
