import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_THRESHOLDS } from '../../../src/core/status.js';
import { namespaceVerdicts } from '../../../src/daemon/namespaceVerdicts.js';
import { Sampler, samplerSourceOf } from '../../../src/daemon/sampler.js';
import type { ServeSample } from '../../../src/daemon/serveSample.js';
import { fixture } from '../../support/paths.js';

/** The captured namespace under four inodes, at these shares of its max (no entry typed). */
async function samples(): Promise<{ before: ServeSample; after: ServeSample }> {
  const sample = await new Sampler(
    samplerSourceOf({ procRoot: fixture('proc-6.18-full'), sysRoot: fixture('sys-empty') }),
  ).take();
  const base = sample.namespaces[0]!;
  const at = (inode: number, share: number, dropBy = 0) => ({
    ...base,
    inode,
    initial: inode === 1,
    entries: Math.floor(base.max * share),
    counters: { ...base.counters, drop: (base.counters.drop ?? 0) + dropBy },
  });
  const before = { ...sample, namespaces: [at(1, 0.1), at(2, 0.85), at(3, 0.97), at(4, 0.1)] };
  const after = {
    ...sample,
    takenAtMs: sample.takenAtMs + 5000,
    namespaces: [at(1, 0.1), at(2, 0.85), at(3, 0.97), at(4, 0.1, 7), at(5, 0.1)],
  };
  return { before, after };
}

describe("serve's verdict per namespace (status's rules)", () => {
  it('is warn at the warn usage, crit at the crit usage or when drop rose since the previous sample', async () => {
    const { before, after } = await samples();
    assert.ok(0.85 >= DEFAULT_THRESHOLDS.warnUsage && 0.85 < DEFAULT_THRESHOLDS.critUsage);
    const verdicts = namespaceVerdicts(before, after);
    assert.deepEqual(
      [...verdicts],
      [
        [1, 'ok'],
        [2, 'warn'],
        [3, 'crit'],
        [4, 'crit'],
        [5, 'ok'],
      ],
    );
  });

  it('judges the first sample on usage alone', async () => {
    const { after } = await samples();
    assert.equal(namespaceVerdicts(undefined, after).get(4), 'ok');
  });
});
