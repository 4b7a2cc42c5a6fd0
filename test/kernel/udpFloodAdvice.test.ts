import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { detectTableFindings } from '../../src/core/analysis/tableDetectors.js';
import { withLabNamespace } from '../../src/lab/labNamespace.js';
import { summarize, tableEntries } from '../support/findings.js';
import { requireKernelLab } from '../support/kernelLab.js';

/**
 * The rate-limit rules the udp-flood finding prints are the operator's shell lines: run here as an
 * operator would (sh -c), inside a throwaway namespace, against the installed nft and iptables.
 */
const flood = detectTableFindings(summarize(tableEntries('udp-flood'))).find((f) => f.kind === 'udp-flood')!;
const nftRule = flood.commands.find((command) => command.startsWith('nft '))!;
const iptablesRule = flood.commands.find((command) => command.includes('hashlimit'))!;

/** One source opening `flows` new UDP flows (one socket each) to 127.0.0.1:53. */
const FLOWS_FROM_ONE_SOURCE = `
const { createSocket } = require('node:dgram');
(async () => {
  for (let i = 0; i < 200; i++) {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.77', resolve));
    await new Promise((resolve) => socket.send('q', 53, '127.0.0.1', resolve));
    socket.close();
  }
})();`;

describe('#13.3 the udp-flood finding limits new flows per source with rules the kernel takes', () => {
  before(requireKernelLab);

  it('its nft meter rule loads, and its meter keys on the flooding source', async () => {
    assert.ok(
      nftRule && !flood.commands.some((command) => command.includes('block')),
      flood.commands.join('\n'),
    );
    await withLabNamespace(async (lab) => {
      await lab.execChecked('sh', ['-c', nftRule]);
      const listed = await lab.execChecked('nft', ['list', 'table', 'inet', 'ctdoctor_ratelimit']);
      assert.match(
        listed,
        /ip daddr 127\.0\.0\.1 udp dport 53 ct state new meter udp53_new size \d+ \{ ip saddr timeout 1m limit rate over 20\/second burst 40 packets \} drop/,
      );
      await lab.execChecked(process.execPath, ['-e', FLOWS_FROM_ONE_SOURCE]);
      const meter = await lab.execChecked('nft', [
        'list',
        'meter',
        'inet',
        'ctdoctor_ratelimit',
        'udp53_new',
      ]);
      assert.match(meter, /127\.0\.0\.77/, 'the meter counts new flows by source');
    });
  });

  it('its iptables hashlimit rule loads as written', async () => {
    await withLabNamespace(async (lab) => {
      await lab.execChecked('sh', ['-c', iptablesRule]);
      const listed = await lab.execChecked('iptables', ['-S', 'INPUT']);
      assert.match(
        listed,
        /-A INPUT -d 127\.0\.0\.1\/32 -p udp -m udp --dport 53 -m conntrack --ctstate NEW -m hashlimit --hashlimit-above 20\/sec --hashlimit-burst 40 --hashlimit-mode srcip --hashlimit-name udp53_new -j DROP/,
      );
    });
  });
});
