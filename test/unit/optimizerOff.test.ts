import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/paths.js';

const MODULE = join(REPO_ROOT, 'dist', 'src', 'cli', 'optimizerOff.js');

/** Whether V8 optimizes a function it is told to, in a fresh node, after `before` ran. */
function optimizes(before: string): boolean {
  const script = `const { resumeOptimizing, stopOptimizingForExit } = await import(${JSON.stringify(MODULE)});
${before}
function hot(x) { return x * 2 + 1; }
%PrepareFunctionForOptimization(hot); hot(1); hot(2); %OptimizeFunctionOnNextCall(hot); hot(3);
process.stdout.write(String((%GetOptimizationStatus(hot) & 16) !== 0));`;
  const out = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  return out === 'true';
}

describe('stopOptimizingForExit and resumeOptimizing', () => {
  it('leaves V8 no optimization to start (and so none for the exit to wait for)', () => {
    assert.equal(optimizes(''), true, 'the control: V8 optimizes when asked');
    assert.equal(optimizes('stopOptimizingForExit();'), false);
  });

  it('resumeOptimizing undoes it (the build warms the code cache up under the flags of a run)', () => {
    assert.equal(optimizes('stopOptimizingForExit(); resumeOptimizing();'), true);
  });
});
