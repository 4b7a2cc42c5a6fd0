import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseKmsgRecord } from '../../../src/core/doctor/kernelLog.js';
import { attributeTableFull, tallyTableFull } from '../../../src/core/tableFullAttribution.js';
import { fixture } from '../../support/paths.js';

/** The captured /dev/kmsg records of a full namespace, as messages. */
const captured = readFileSync(fixture('kmsg', 'conntrack.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((record) => parseKmsgRecord(record, 0)!.message);
const fullLine = captured.find((message) => message.includes('table full in netns'))!;
const inode = Number(/netns (\d+)/.exec(fullLine)![1]);
/** The initial namespace's form of the same line: the kernel leaves " in netns N" out for it. */
const unnamedLine = fullLine.replace(/ in netns \d+/, '');
const suppressedLines = captured.filter((message) => message.startsWith('net_ratelimit:'));
const suppressedTotal = suppressedLines.reduce(
  (sum, line) => sum + Number(/(\d+) callbacks/.exec(line)![1]),
  0,
);

describe('table-full messages: tally', () => {
  it('counts every captured message for the namespace it names, and the suppressed ones before a table-full line', () => {
    const { arrivals, pendingSuppressed } = tallyTableFull(captured, 0);
    const lines = captured.filter((message) => message.includes('table full')).length;
    assert.ok(suppressedLines.length > 0, 'the fixture has ratelimit notices');
    assert.deepEqual([...arrivals.named], [[inode, lines + suppressedTotal]]);
    assert.equal(arrivals.unnamed, 0);
    assert.equal(pendingSuppressed, 0);
  });

  it('carries a notice read last over to the next read; another message in between drops it', () => {
    const first = tallyTableFull([fullLine, suppressedLines[0]!], 0);
    assert.equal(first.arrivals.named.get(inode), 1);
    const suppressed = first.pendingSuppressed;
    assert.ok(suppressed > 0);
    assert.equal(tallyTableFull([fullLine], suppressed).arrivals.named.get(inode), 1 + suppressed);
    const unrelated = 'eth0: link up';
    assert.equal(tallyTableFull([unrelated, fullLine], suppressed).arrivals.named.get(inode), 1);
  });

  it('tallies the unnamed form apart', () => {
    const { arrivals } = tallyTableFull([unnamedLine, unnamedLine, fullLine], 0);
    assert.equal(arrivals.unnamed, 2);
    assert.equal(arrivals.named.get(inode), 1);
  });
});

describe('table-full messages: attribution', () => {
  const initialInode = 4026531840;
  const other = inode + 1;

  it('gives unnamed messages to the initial namespace once the kernel is known to name the others', () => {
    const counts = attributeTableFull(
      { named: new Map([[inode, 3]]), unnamed: 2 },
      { initialInode, kernelNamesNamespaces: true, dropping: [inode, other] },
    );
    assert.deepEqual(
      [...counts].sort(),
      [
        [inode, 3],
        [initialInode, 2],
      ].sort(),
    );
  });

  it('on a kernel not known to name them, gives each namespace whose drop rose all the unnamed ones', () => {
    const counts = attributeTableFull(
      { named: new Map(), unnamed: 4 },
      { initialInode, kernelNamesNamespaces: false, dropping: [inode, other] },
    );
    assert.deepEqual(
      [...counts].sort(),
      [
        [inode, 4],
        [other, 4],
      ].sort(),
    );
  });

  it('with no namespace dropping, gives them to the initial one, or to none when the sample has no initial namespace', () => {
    const arrivals = { named: new Map<number, number>(), unnamed: 1 };
    const context = { kernelNamesNamespaces: false, dropping: [] };
    assert.deepEqual([...attributeTableFull(arrivals, { ...context, initialInode })], [[initialInode, 1]]);
    assert.deepEqual([...attributeTableFull(arrivals, { ...context, initialInode: undefined })], []);
  });
});
