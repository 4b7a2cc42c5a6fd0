import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

describe('top refuses what it cannot do, in one line', () => {
  for (const [args, message] of [
    [
      ['--proc-root', fixture('proc-6.18-full')],
      /^ctdoctor: top watches the running kernel's events, not the tree in --proc-root .*: drop --proc-root\n$/,
    ],
    [['--top', '0'], /--top 0: must be a whole number from 1/],
    [['--interval', '0'], /--interval/],
    [['--seconds', 'soon'], /--seconds/],
    // Events come from netlink and the size from nf_conntrack_count: no --source to choose.
    [['--source', 'procfs'], /unknown option '--source'/],
  ] as const) {
    it(`top ${args.join(' ')}`, async () => {
      const result = await runCli(['top', ...args]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.equal(result.stdout, '');
    });
  }
});
