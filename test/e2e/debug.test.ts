import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../support/cli.js';

describe('#11.30 --debug shows where in src/ an error came from, and its cause', () => {
  const missing = '/nonexistent/ctdoctor-dump.txt';

  it('#11.30 with --debug: a stack in src/*.ts lines (source maps), then the cause', async () => {
    const result = await runCli(['analyze', missing, '--debug']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ctdoctor: CtdoctorError: cannot read dump \/nonexistent\/ctdoctor-dump.txt: ENOENT\n/,
    );
    assert.match(result.stderr, /\n\s+at .*\/src\/host\/tableSource\.ts:\d+:\d+\)/);
    assert.doesNotMatch(result.stderr, /main\.bundle\.js/);
    assert.match(
      result.stderr,
      /\ncaused by: Error: ENOENT: no such file or directory, stat '\/nonexistent\/ctdoctor-dump.txt'\n/,
    );
  });

  it('#11.30 without --debug: one line, no stack', async () => {
    const result = await runCli(['analyze', missing]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `ctdoctor: cannot read dump ${missing}: ENOENT\n`);
    assert.equal(hasStackTrace(result.stderr), false);
  });
});
