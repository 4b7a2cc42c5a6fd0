import { Option } from 'commander';
import type { Command } from 'commander';

export function addBackendOption(command: Command): Command {
  return command.addOption(
    new Option('--backend <backend>', 'firewall to write rules with (default: the one this host uses)')
      .choices(['auto', 'nft', 'iptables', 'iptables-nft', 'iptables-legacy'])
      .default('auto'),
  );
}
