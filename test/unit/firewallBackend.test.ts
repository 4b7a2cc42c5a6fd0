import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingToolError } from '../../src/host/childProcess.js';
import { detectBackend } from '../../src/host/firewall.js';
import type { NetnsFiles } from '../../src/host/netnsFiles.js';

/** `--version` lines as iptables 1.8.9 and nftables 1.0.6 (Debian 12) print them. */
const VERSION: Record<string, string> = {
  'iptables-legacy': 'iptables v1.8.9 (legacy)\n',
  'iptables-nft': 'iptables v1.8.9 (nf_tables)\n',
  nft: 'nftables v1.0.6 (Lester Gooch #5)\n',
};

/** A host with `installed` tools (`iptables` is the flavour the alternatives point at); records every call. */
function host(installed: { iptables?: 'iptables-legacy' | 'iptables-nft'; nft?: boolean }) {
  const calls: string[] = [];
  const files = {
    async run(command: string, args: readonly string[]) {
      calls.push([command, ...args].join(' '));
      const tool =
        command === 'iptables' ? installed.iptables : command === 'nft' && installed.nft ? 'nft' : undefined;
      if (!tool) throw missingToolError(command);
      // A listing would answer as it does for a user without CAP_NET_ADMIN.
      if (args[0] !== '--version') return { stdout: '', stderr: 'Operation not permitted', exitCode: 1 };
      return { stdout: VERSION[tool]!, stderr: '', exitCode: 0 };
    },
  } as unknown as NetnsFiles;
  return { files, calls };
}

describe('#11.22 detectBackend', () => {
  for (const [installed, expected] of [
    [{ iptables: 'iptables-nft', nft: true }, 'nft'],
    [{ iptables: 'iptables-legacy', nft: true }, 'iptables-legacy'],
    [{ iptables: 'iptables-nft' }, 'iptables-nft'],
    [{ nft: true }, 'nft'],
  ] as const) {
    it(`#11.22 ${JSON.stringify(installed)} → ${expected}, from --version alone`, async () => {
      const { files, calls } = host(installed);
      assert.equal(await detectBackend(files, 'auto'), expected);
      assert.deepEqual(
        calls.filter((call) => !call.endsWith(' --version')),
        [],
      );
    });
  }
});
