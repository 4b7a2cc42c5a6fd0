import { KNOWN_HELPERS } from './conntrackHelpers.js';

/**
 * Helpers the kernel's build configuration (/proc/config.gz, CONFIG_IKCONFIG_PROC) says are built
 * in (`CONFIG_NF_CONNTRACK_PPTP=y`). /sys/module lists a built-in module only when it has
 * parameters, so pptp, built in without any, is seen nowhere else (kernel 6.18: ftp, tftp, sip,
 * irc, h323, amanda, sane, snmp and netbios_ns have /sys/module entries; pptp and broadcast do not).
 */
export function builtInHelpersOf(configText: string): Set<string> {
  const builtIn = new Set<string>();
  for (const name of KNOWN_HELPERS)
    if (new RegExp(`^CONFIG_NF_CONNTRACK_${name.toUpperCase()}=y$`, 'm').test(configText)) builtIn.add(name);
  return builtIn;
}
