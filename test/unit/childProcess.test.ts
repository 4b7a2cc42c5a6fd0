import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTool } from '../../src/host/childProcess.js';

describe('runTool', () => {
  it('#11.9 a tool that does not exist rejects at once and lets the process exit', {
    timeout: 10_000,
  }, async () => {
    const started = Date.now();
    await assert.rejects(runTool('ctdoctor-no-such-tool', [], { timeoutMs: 30_000 }), {
      kind: 'missing-tool',
      message: 'ctdoctor-no-such-tool is not installed',
    });
    // No timer left behind: the old spawn timeout kept the event loop alive for all of timeoutMs.
    assert.deepEqual(
      process.getActiveResourcesInfo().filter((name) => name === 'Timeout'),
      [],
      `still armed ${Date.now() - started} ms after the failure`,
    );
  });

  it('#11.9 a wrapper (nsenter, ip netns exec) that cannot find the tool names the tool', async () => {
    // The stderr lines nsenter (util-linux 2.38) and `ip netns exec` (iproute2 6.1) print.
    for (const [line, code] of [
      ['nsenter: failed to execute conntrack: No such file or directory', 127],
      ['exec of "conntrack" failed: No such file or directory', 1],
    ] as const) {
      await assert.rejects(runTool('sh', ['-c', `echo '${line}' >&2; exit ${code}`]), {
        kind: 'missing-tool',
        message:
          "conntrack is not installed: apt-get install conntrack (or your distribution's conntrack package)",
      });
    }
  });

  it('#11.9 a tool past its deadline is killed and named', async () => {
    await assert.rejects(runTool('sleep', ['5'], { timeoutMs: 100 }), {
      kind: 'kernel',
      message: 'sleep 5 did not finish within 0.1 s: killed',
    });
  });
});
