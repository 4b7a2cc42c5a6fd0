import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_HELPERS, type HelperStatus, planHelpers } from '../../../src/core/plan/conntrackHelpers.js';
import type { HelpersResult } from '../../../src/core/plan/helpersResult.js';
import { helpersJson, renderHelpersText } from '../../../src/render/helpersText.js';

const UNDO = 'ctdoctor rollback --state-dir /tmp/ctd-state';

/**
 * The helpers as `ctdoctor helpers` reads them on a 6.x kernel built with helpers in (pptp absent),
 * `changed` replacing some: a distribution kernel loads them as modules instead.
 */
function helpers(changed: Record<string, Partial<HelperStatus>> = {}): HelperStatus[] {
  return KNOWN_HELPERS.map((name) => ({
    name,
    presence: name === 'pptp' ? 'absent' : 'built-in',
    entries: 0,
    rules: [],
    inUse: false,
    usageUnknown: null,
    ...changed[name],
  }));
}

function result(statuses: HelperStatus[], journalId: string | null = null): HelpersResult {
  const plan = planHelpers(statuses);
  return { helpers: statuses, plan, applied: journalId !== null, journalId };
}

const lineOf = (text: string, name: string) =>
  text.split('\n').find((line) => line.slice(9).startsWith(`${name} `));

describe('helpers text', () => {
  it('one line per helper with what is done with it, and nothing to unload when all are built in', () => {
    const text = renderHelpersText(result(helpers()), UNDO);
    assert.equal(text.split('\n').length, KNOWN_HELPERS.length + 1);
    assert.match(
      lineOf(text, 'ftp')!,
      /^built-in ftp {9}built-in {6}built into the kernel: it cannot be unloaded/,
    );
    assert.equal(lineOf(text, 'pptp'), 'absent   pptp        absent        not loaded and not built in');
    assert.match(text, /\nnothing to unload$/);
  });

  it('an unused loaded module is to unload, with the commands that do it; a used one is kept', () => {
    const statuses = helpers({
      ftp: { presence: 'module-loaded' },
      sip: { presence: 'module-loaded', entries: 4, rules: ['ct helper set "sip-5060"'], inUse: true },
    });
    const text = renderHelpersText(result(statuses), UNDO);
    const lines = text.split('\n');
    const ftp = lines.indexOf(lineOf(text, 'ftp')!);
    assert.match(lines[ftp]!, /^unload {3}ftp {9}module-loaded loaded but unused/);
    assert.deepEqual(lines.slice(ftp + 1, ftp + 3), [
      '          $ modprobe -r nf_conntrack_ftp',
      "          $ echo 'install nf_conntrack_ftp /bin/false' >> /etc/modprobe.d/ctdoctor-helpers.conf",
    ]);
    assert.match(
      lineOf(text, 'sip')!,
      /^in use {3}sip .* in use: 4 entries\/expectations, assigned by 1 rule\(s\)$/,
    );
    assert.match(text, /\nplan only: add --apply$/);
  });

  it('after --apply: the journal entry and the command that undoes it, no "plan only"', () => {
    const text = renderHelpersText(
      result(helpers({ ftp: { presence: 'module-loaded' } }), '20261201T214715Z-1a2b'),
      UNDO,
    );
    assert.match(
      text,
      /\njournal 20261201T214715Z-1a2b: undo with {2}ctdoctor rollback --state-dir \/tmp\/ctd-state$/,
    );
    assert.doesNotMatch(text, /plan only|nothing to unload/);
  });
});

describe('helpers --json', () => {
  it('the statuses and the plan side by side, whether it was applied, and the journal id', () => {
    const json = helpersJson(
      result(helpers({ ftp: { presence: 'module-loaded' } }), '20261201T214715Z-1a2b'),
    );
    assert.deepEqual(Object.keys(json), ['schema', 'helpers', 'plan', 'applied', 'journalId']);
    assert.equal(json.schema, 'ctdoctor.helpers/v1');
    assert.equal(json.plan[0]!.action, 'unload');
    assert.deepEqual([json.applied, json.journalId], [true, '20261201T214715Z-1a2b']);
  });
});
