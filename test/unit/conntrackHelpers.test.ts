import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HelperStatus, planHelpers } from '../../src/core/plan/conntrackHelpers.js';

const status = (presence: HelperStatus['presence'], usageUnknown: string | null): HelperStatus => ({
  name: 'ftp',
  presence,
  entries: 0,
  rules: [],
  inUse: false,
  usageUnknown,
});

describe('helper plans when the users of a helper could not be read', () => {
  it('a loaded module is never planned for unloading on a guess', () => {
    const [item] = planHelpers([status('module-loaded', 'needs root')]);
    assert.equal(item!.action, 'unknown');
    assert.deepEqual(item!.commands, []);
    assert.equal(planHelpers([status('module-loaded', null)])[0]!.action, 'unload');
  });

  it('a built-in helper is not said to be assigned by no rule', () => {
    assert.match(
      planHelpers([status('built-in', 'needs root')])[0]!.reason,
      /whether one does is unknown \(needs root\)/,
    );
    assert.match(planHelpers([status('built-in', null)])[0]!.reason, /none does$/);
  });
});
