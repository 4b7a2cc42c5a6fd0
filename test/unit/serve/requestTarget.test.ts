import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestTarget } from '../../../src/daemon/httpServer.js';

describe('serve: request targets', () => {
  for (const raw of [
    '/',
    '/metrics',
    '/api/history?netns=1&seconds=60',
    '/assets/uPlot.min.css',
    '/api/status/',
  ]) {
    it(`takes ${raw}`, () => {
      const target = requestTarget(raw);
      assert.ok(target);
      assert.equal(target.path, raw.split('?')[0]);
    });
  }

  it('keeps the query apart from the path', () => {
    assert.equal(requestTarget('/api/history?netns=1&seconds=60')!.query.get('seconds'), '60');
  });

  for (const raw of [
    '/assets/../metrics',
    '/..',
    '/assets/./dashboard.js',
    '/assets/%2e%2e/metrics',
    '/assets/%2E%2E%2Fmetrics',
    '/assets/.%2e/metrics',
    '//etc/passwd',
    '/assets//dashboard.js',
    '/assets\\..\\metrics',
    'http://127.0.0.1:9466/metrics',
    '*',
    '',
    '/etc/passwd%00',
  ]) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      assert.equal(requestTarget(raw), undefined);
    });
  }
});
