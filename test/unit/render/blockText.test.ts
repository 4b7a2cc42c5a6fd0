import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { BlockReport } from '../../../src/core/plan/blockResult.js';
import { blockJson, renderBlockText } from '../../../src/render/blockText.js';
import { fixture } from '../../support/paths.js';

const UNDO = 'ctdoctor rollback --state-dir /tmp/s';
const captured = (name: string) => JSON.parse(readFileSync(fixture('firewall', name), 'utf8'));

describe('block text and JSON', () => {
  it('applied: each source with its expiry and flushed entries, then how to undo', () => {
    const json = captured('block-applied.json');
    const { journalId, blocked, flushed } = json;
    const report: BlockReport = {
      kind: 'block',
      backend: 'nft',
      targets: blocked,
      ttlSeconds: 3600,
      fromFindings: null,
      result: { journalId, blocked, flushed },
    };
    assert.deepEqual(renderBlockText(report, UNDO).split('\n'), [
      'blocked 192.0.2.7 for 3600 s: 0 entries flushed',
      'blocked 2001:db8::1 for 3600 s: 0 entries flushed',
      `journal ${journalId}: undo with  ${UNDO}  (or block --remove --ip …)`,
    ]);
    assert.deepEqual(blockJson(report), json, '--json is byte for byte what the CLI printed');
  });

  it('the plan names the backend and the expiry, and that nothing changed yet', () => {
    const report: BlockReport = {
      kind: 'block',
      backend: 'iptables-nft',
      targets: ['192.0.2.7', '2001:db8::1'],
      ttlSeconds: null,
      fromFindings: null,
      result: null,
    };
    assert.equal(
      renderBlockText(report, UNDO),
      'plan: block 192.0.2.7, 2001:db8::1 on iptables-nft, then flush their conntrack entries (add --apply)',
    );
    assert.deepEqual(blockJson(report), {
      schema: 'ctdoctor.block/v1',
      backend: 'iptables-nft',
      targets: ['192.0.2.7', '2001:db8::1'],
      ttlSeconds: null,
      applied: false,
    });
  });

  it('--list: a block without --ttl shows no expiry; an empty set says so', () => {
    const json = captured('block-list.json');
    const report: BlockReport = { kind: 'list', backend: json.backend, entries: json.entries };
    assert.deepEqual(renderBlockText(report, UNDO).split('\n'), [
      '192.0.2.7  expires in 3598 s',
      '198.51.100.0/24',
      '2001:db8::1  expires in 3598 s',
    ]);
    assert.deepEqual(blockJson(report), json);
    assert.equal(renderBlockText({ ...report, entries: [] }, UNDO), 'nothing blocked by ctdoctor');
  });

  it('--remove: the plan, what was unblocked, or that none was blocked', () => {
    const targets = ['192.0.2.7', '203.0.113.9'];
    assert.equal(
      renderBlockText({ kind: 'unblock', targets, result: null }, UNDO),
      'plan: unblock 192.0.2.7, 203.0.113.9 (add --apply)',
    );
    const done: BlockReport = {
      kind: 'unblock',
      targets,
      result: { journalId: 'J', removed: ['192.0.2.7'] },
    };
    assert.equal(renderBlockText(done, UNDO), 'unblocked: 192.0.2.7');
    assert.deepEqual(blockJson(done), {
      schema: 'ctdoctor.block/v1',
      remove: targets,
      applied: true,
      journalId: 'J',
      removed: ['192.0.2.7'],
    });
    const none: BlockReport = { kind: 'unblock', targets, result: { journalId: null, removed: [] } };
    assert.equal(renderBlockText(none, UNDO), 'unblocked: nothing (not blocked)');
  });
});
