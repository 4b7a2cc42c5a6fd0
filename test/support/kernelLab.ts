import { accessSync, constants } from 'node:fs';

const REQUIRED_TOOLS = ['ip', 'nft', 'conntrack', 'nsenter'];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => {
    try {
      accessSync(`${dir}/${tool}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Kernel tests fail (never skip) when the lab cannot run: CI must not go green without them.
 * scripts/test.sh installs the Debian packages first.
 */
export function requireKernelLab(): void {
  if (process.getuid?.() !== 0) throw new Error('kernel tests need root (network namespaces, sysctls)');
  const missing = REQUIRED_TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) {
    throw new Error(
      `kernel tests need ${missing.join(', ')}: apt-get install iproute2 nftables conntrack util-linux`,
    );
  }
}
