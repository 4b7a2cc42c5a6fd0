import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCtdoctorError } from '../../src/core/errors.js';
import { readBuiltAsset } from '../../src/host/builtAssets.js';

describe('built assets', () => {
  it('reads what the build copied beside the dashboard (uPlot)', async () => {
    const uplot = await readBuiltAsset('uPlot.iife.min.js', 'the lab report asset');
    assert.match(uplot.toString('utf8'), /var uPlot=/);
  });

  it('a missing one is a one-line not-found naming the file and the build', async () => {
    await assert.rejects(readBuiltAsset('no-such-asset.js', 'the lab report asset'), (error) => {
      assert.ok(isCtdoctorError(error) && error.kind === 'not-found');
      assert.match(
        error.message,
        /^the lab report asset \/\S+\/dist\/src\/daemon\/dashboard\/no-such-asset\.js is missing: rebuild ctdoctor \(npm run build\)$/,
      );
      return true;
    });
  });
});
