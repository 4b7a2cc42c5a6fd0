import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { KNOWN_HELPERS } from '../../src/core/plan/conntrackHelpers.js';
import { builtInHelpersOf } from '../../src/core/plan/kernelConfigHelpers.js';
import { fixture } from '../support/paths.js';

const config = gunzipSync(readFileSync(fixture('kernel-config', 'config-6.18.gz'))).toString('latin1');

describe('helpers built in, by the kernel build configuration', () => {
  it('the captured 6.18 configuration builds every helper in, pptp included', () => {
    assert.deepEqual([...builtInHelpersOf(config)].sort(), [...KNOWN_HELPERS].sort());
  });

  it('a helper built as a module (=m) or not set is not built in', () => {
    const modular = config
      .replace('CONFIG_NF_CONNTRACK_PPTP=y', 'CONFIG_NF_CONNTRACK_PPTP=m')
      .replace('CONFIG_NF_CONNTRACK_SIP=y', '# CONFIG_NF_CONNTRACK_SIP is not set');
    const builtIn = builtInHelpersOf(modular);
    assert.equal(builtIn.has('pptp'), false);
    assert.equal(builtIn.has('sip'), false);
    assert.equal(builtIn.has('ftp'), true);
    assert.equal(builtIn.has('netbios_ns'), true);
    assert.deepEqual(builtInHelpersOf(''), new Set());
  });
});
