import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  namespaceTableFull,
  parseDmesgRawLine,
  parseKmsgRecord,
  summarizeKernelLog,
} from '../../src/core/doctor/kernelLog.js';
import { fixture } from '../support/paths.js';

const kmsg = readFileSync(fixture('kmsg', 'conntrack.txt'), 'utf8').trim().split('\n');
const captured = kmsg.find((line) => line.includes('table full in netns'))!;
const inode = Number(/netns (\d+)/.exec(captured)![1]);
const BOOT_MS = 1_700_000_000_000;

/** The captured record as `dmesg --raw` prints it: `<prio>[seconds.micro] message`. */
function asDmesgRaw(record: string, message?: string): string {
  const [head, text] = [record.slice(0, record.indexOf(';')), record.slice(record.indexOf(';') + 1)];
  const [prio, , usec] = head.split(',');
  const micro = Number(usec);
  const stamp = `${Math.floor(micro / 1e6)}.${String(micro % 1e6).padStart(6, '0')}`;
  return `<${prio}>[${stamp.padStart(12)}] ${message ?? text}`;
}

/** The four forms the kernel has printed, from the captured one (KERNEL-FACTS.md, nf_conntrack_core.c). */
const FORMS = {
  inNetns: captured.slice(captured.indexOf(';') + 1),
  doubledPrefix: 'nf_conntrack: nf_conntrack: table full, dropping packet',
  plain: 'nf_conntrack: table full, dropping packet.',
  ipConntrack: 'ip_conntrack: table full, dropping packet.',
};

describe('kernel log: the dmesg fallback', () => {
  it('#11.23 dmesg --raw lines keep the kernel timestamp, the same time /dev/kmsg gives', () => {
    for (const record of kmsg) {
      const fromKmsg = parseKmsgRecord(record, BOOT_MS)!;
      const fromDmesg = parseDmesgRawLine(asDmesgRaw(record), BOOT_MS)!;
      assert.deepEqual(fromDmesg, fromKmsg);
    }
  });

  it('#11.23 all four table-full forms are counted from dmesg, each at its own time, and --since applies', () => {
    const lines = Object.values(FORMS).map((message, i) => asDmesgRaw(kmsg[i]!, message));
    const records = lines.map((line) => parseDmesgRawLine(line, BOOT_MS)!);
    assert.equal(new Set(records.map((record) => record.timeMs)).size, 4);
    const all = summarizeKernelLog(records, 'dmesg', null);
    assert.equal(all.tableFull.find((entry) => entry.netnsInode === inode)?.messages, 1);
    assert.equal(all.tableFull.find((entry) => entry.netnsInode === null)?.messages, 3);
    // Only what came after the first record: the in-netns one is older than the window.
    const since = summarizeKernelLog(records, 'dmesg', records[0]!.timeMs + 0.001);
    assert.equal(
      since.tableFull.find((entry) => entry.netnsInode === inode),
      undefined,
    );
    assert.equal(since.tableFull.find((entry) => entry.netnsInode === null)?.messages, 3);
  });

  it('#11.23 a line without a timestamp cannot be placed in time and is left out', () => {
    assert.equal(parseDmesgRawLine(`<4>${FORMS.plain}`, BOOT_MS), null);
    assert.equal(parseDmesgRawLine('                  continuation of a message', BOOT_MS), null);
  });
});

describe('kernel log: whose "table full" lines', () => {
  const records = kmsg.map((record) => parseKmsgRecord(record, BOOT_MS)!).filter(Boolean);
  const inNetns = records.filter((record) => record.message.includes(`netns ${inode}`));
  const first = Math.min(...inNetns.map((record) => record.timeMs));
  const last = Math.max(...inNetns.map((record) => record.timeMs));

  it("a namespace gets its own inode's lines, from when it existed on", () => {
    const lab = { inode, initial: false, existsSinceMs: first };
    const own = namespaceTableFull(records, 'kmsg', lab, 0);
    assert.equal(own?.netnsInode, inode);
    assert.equal(own?.messages, inNetns.length);
  });

  it('lines older than the namespace are an earlier namespace that had the same inode', () => {
    const reused = { inode, initial: false, existsSinceMs: last + 1001 };
    assert.equal(namespaceTableFull(records, 'kmsg', reused, 0), null);
  });

  it("the initial namespace never takes another namespace's lines (the captured ones all name the lab's)", () => {
    const initial = { inode: 4026531833, initial: true, existsSinceMs: null };
    assert.equal(namespaceTableFull(records, 'kmsg', initial, 0), null);
  });
});
