import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { measureShare } from '../../../src/analysisRuntime/portShare.js';
import { reviewNftRuleset } from '../../../src/core/firewall/rulesetReview.js';
import type { NotrackResult } from '../../../src/core/plan/notrackResult.js';
import { openTableFile } from '../../../src/host/tableSource.js';
import { notrackJson, renderNotrackText } from '../../../src/render/notrackText.js';
import { fixture } from '../../support/paths.js';

const UNDO = 'ctdoctor rollback';
const captured = (name: string) => JSON.parse(readFileSync(fixture('firewall', name), 'utf8'));

/** The result a captured `notrack --json` was printed from. */
function resultOf(json: ReturnType<typeof captured>, extra: Partial<NotrackResult> = {}): NotrackResult {
  return {
    spec: json.spec,
    backend: json.backend,
    netnsPath: '/run/netns/lab',
    mode: 'add',
    steps: json.steps,
    concerns: json.concerns,
    effect: json.effect,
    refused: json.refused,
    change: json.applied ? { journalId: json.journalId, changed: json.changed } : null,
    ...extra,
  };
}

describe('notrack text and JSON', () => {
  it('a ruleset that drops untracked replies: REFUSED, the rule to add first, nothing changed', () => {
    const json = captured('notrack-refused.json');
    const ruleset = readFileSync(fixture('firewall', 'nft-ct-state-drop.ruleset'), 'utf8');
    assert.deepEqual(
      reviewNftRuleset(ruleset, 8080, ['input']),
      json.concerns,
      'the fixture is what core finds',
    );
    const lines = renderNotrackText(resultOf(json), UNDO).split('\n');
    assert.equal(lines[0], 'ctdoctor notrack tcp/8080 in on nft in /run/netns/lab');
    assert.ok(lines.includes(`  REFUSED: ${json.concerns[0].problem}`), lines.join('\n'));
    assert.ok(lines.includes('    add first: nft insert rule inet site input ct state untracked accept'));
    assert.equal(lines.at(-1), '  nothing changed: fix the ruleset first, or --force');
    assert.deepEqual(notrackJson(resultOf(json)), json, '--json is byte for byte what the CLI printed');
  });

  it('applied: each rule added, the count and the undo command; the port share it frees', async () => {
    const json = captured('notrack-udp53-applied.json');
    const effect = await measureShare(
      await openTableFile(fixture('tables', 'healthy.procfs.txt')),
      'proto=udp dport=53',
    );
    const lines = renderNotrackText(resultOf(json, { effect, netnsPath: null }), UNDO).split('\n');
    assert.equal(lines[0], 'ctdoctor notrack udp/53 both on nft', "no namespace named for ctdoctor's own");
    assert.equal(lines[1], '  now: 150 of 410 entries (37%) are udp/53: what exempting it frees');
    assert.equal(lines.filter((line) => line.startsWith('  add     nft: inet ctdoctor_notrack')).length, 4);
    assert.equal(lines.at(-1), `  added 4 rule(s); journal ${json.journalId}: undo with  ${UNDO}`);
    assert.deepEqual(notrackJson(resultOf(json)), json);
  });

  it('a second apply says it is in place; --remove labels present rules and counts what it removed', () => {
    const json = captured('notrack-udp53-applied.json');
    const present = json.steps.map((step: { description: string }) => ({ ...step, present: true }));
    const again = renderNotrackText(
      resultOf(json, { steps: present, change: { journalId: null, changed: [] } }),
      UNDO,
    ).split('\n');
    assert.ok(again.slice(2, 6).every((line) => line.startsWith('  present nft:')));
    assert.equal(again.at(-1), '  nothing to change: already in place');
    const removed = renderNotrackText(
      resultOf(json, { steps: present, mode: 'remove', change: { journalId: 'J', changed: json.changed } }),
      UNDO,
    );
    assert.match(removed, /\n {2}removed 4 rule\(s\); journal J: undo with {2}ctdoctor rollback$/);
    const plan = renderNotrackText(resultOf(json, { mode: 'remove', change: null }), UNDO).split('\n');
    assert.ok(
      plan.includes(`          ${json.steps[0].description}`),
      'an absent rule is not "add" when removing',
    );
    assert.equal(plan.at(-1), '  plan only: add --apply');
  });
});
