import { CtdoctorError } from '../core/errors.js';
import type { SysctlPlace } from '../core/journal/sysctlPlace.js';
import type { NetnsFiles } from './netnsFiles.js';
import { DEFAULT_ROOTS, type HostRoots } from './roots.js';
import { readSysctl, sysctlRelativePath, writeHashsizeParam, writeSysctl } from './sysctlWrite.js';

/** Reads and writes sysctls as seen from one network namespace. */
export interface SysctlAccess {
  /** Path of the namespace for the journal; undefined for ctdoctor's own namespace. */
  readonly netns: string | undefined;
  /** The procfs tree and (own namespace) inode it writes, journaled so rollback writes the same place. */
  readonly place?: SysctlPlace;
  read(key: string): Promise<string | undefined>;
  write(key: string, value: string): Promise<void>;
}

const BUCKETS_KEY = 'net.netfilter.nf_conntrack_buckets';

function placeOf(files: NetnsFiles, roots: HostRoots): SysctlPlace {
  const inode = files.target.isSelf ? files.target.inode : 0;
  return {
    ...(roots.procRoot !== DEFAULT_ROOTS.procRoot ? { procRoot: roots.procRoot } : {}),
    ...(inode > 0 ? { netnsInode: inode } : {}),
  };
}

export function sysctlAccess(files: NetnsFiles, roots: HostRoots): SysctlAccess {
  const place = placeOf(files, roots);
  if (files.target.isSelf) {
    return {
      netns: undefined,
      place,
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
    place,
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
