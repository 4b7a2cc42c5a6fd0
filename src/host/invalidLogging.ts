import type { InvalidLogging } from '../core/conntrackSettings.js';
import { parseKernelUnsigned } from '../core/kernelNumber.js';
import { SYSCTL_DIR } from './conntrackSample.js';
import type { NetnsFiles } from './netnsFiles.js';

async function readSetting(files: NetnsFiles, name: string): Promise<number | null> {
  const relative = `${SYSCTL_DIR}/${name}`;
  const text = await files.readProcText(relative);
  return text === undefined ? null : parseKernelUnsigned(files.pathOf(relative), text.trim(), 'a number');
}

/** The namespace's own nf_conntrack_log_invalid and _tcp_be_liberal (both per netns; null: absent). */
export async function readInvalidLogging(files: NetnsFiles): Promise<InvalidLogging> {
  const [logInvalid, tcpBeLiberal] = await Promise.all([
    readSetting(files, 'nf_conntrack_log_invalid'),
    readSetting(files, 'nf_conntrack_tcp_be_liberal'),
  ]);
  return { logInvalid, tcpBeLiberal };
}
