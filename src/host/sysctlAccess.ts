import { CtdoctorError } from '../core/errors.js';
import type { NetnsFiles } from './netnsFiles.js';
import type { HostRoots } from './roots.js';
import { readSysctl, sysctlRelativePath, writeHashsizeParam, writeSysctl } from './sysctlWrite.js';

/** Reads and writes sysctls as seen from one network namespace. */
export interface SysctlAccess {
  /** Path of the namespace for the journal; undefined for ctdoctor's own namespace. */
  readonly netns: string | undefined;
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
}

const BUCKETS_KEY = 'net.netfilter.nf_conntrack_buckets';

export function sysctlAccess(files: NetnsFiles, roots: HostRoots): SysctlAccess {
  if (files.target.isSelf) {
    return {
      netns: undefined,
      read: (key) => readSysctl(roots, key),
      async write(key, value) {
        try {
          await writeSysctl(roots, key, value);
        } catch (error) {
          // Kernels that cannot resize through the sysctl still can through the module parameter.
          if (key !== BUCKETS_KEY || !(error instanceof CtdoctorError) || error.kind === 'permission')
            throw error;
          await writeHashsizeParam(roots, Number(value));
        }
      },
    };
  }
  return {
    netns: files.target.path,
    read: async (key) => (await files.readProcText(sysctlRelativePath(key)))?.trim(),
    async write(key, value) {
      const result = await files.run('sysctl', ['-q', '-w', `${key}=${value}`]);
      if (result.exitCode === 0) return;
      const message = result.stderr.trim().split('\n')[0] ?? '';
      if (/permission denied|read-only/i.test(message)) {
        throw new CtdoctorError(
          'read-only',
          `${key} is read-only in ${files.target.path}: it is global, set it from the host's initial network namespace`,
        );
      }
      throw new CtdoctorError('kernel', `sysctl -w ${key}=${value} in ${files.target.path}: ${message}`);
    },
  };
}
