import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CtdoctorError } from '../core/errors.js';
import { fileOperation } from './fileFailures.js';

/**
 * Filesystems the kernel synthesises: files there are kernel interfaces, not storage, and creating
 * directories in them fails in odd ways (Node's recursive mkdir under /proc loops forever at full CPU).
 * f_type values from include/uapi/linux/magic.h.
 */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'], // PROC_SUPER_MAGIC
  [0x62656572, 'sysfs'], // SYSFS_MAGIC
  [0x27e0eb, 'cgroup'], // CGROUP_SUPER_MAGIC
  [0x63677270, 'cgroup2'], // CGROUP2_SUPER_MAGIC
  [0x64626720, 'debugfs'], // DEBUGFS_MAGIC
  [0x74726163, 'tracefs'], // TRACEFS_MAGIC
  [0x73636673, 'securityfs'], // SECURITYFS_MAGIC
  [0xf97cff8c, 'selinuxfs'], // SELINUX_MAGIC
  [0x43415d53, 'smackfs'], // SMACK_MAGIC
  [0xcafe4a11, 'bpf'], // BPF_FS_MAGIC
  [0x6165676c, 'pstore'], // PSTOREFS_MAGIC
  [0xde5e81e4, 'efivarfs'], // EFIVARFS_MAGIC
  [0x1cd1, 'devpts'], // DEVPTS_SUPER_MAGIC
  [0x19800202, 'mqueue'], // MQUEUE_MAGIC
  [0x6e736673, 'nsfs'], // NSFS_MAGIC
  [0x6c6f6f70, 'binderfs'], // BINDERFS_SUPER_MAGIC
]);

/**
 * Refuses a directory ctdoctor would create files in (its state dir, a --root target) when it is on a
 * kernel pseudo filesystem. The path need not exist yet: its nearest existing ancestor decides.
 */
export async function refusePseudoFilesystem(path: string, role: string): Promise<void> {
  let candidate = resolve(path);
  for (;;) {
    const type = await fileOperation(candidate, 'inspect', () => statfs(candidate)).then(
      (info) => info.type,
      (error: CtdoctorError) => {
        // Not there (yet), or a parent is a file: look further up; the mkdir names the problem.
        if (error.kind === 'not-found' || error.kind === 'refused') return null;
        throw error;
      },
    );
    if (type !== null) {
      const name = PSEUDO_FILESYSTEMS.get(type);
      if (name === undefined) return;
      throw new CtdoctorError(
        'refused',
        `${role} ${path} is on ${name} (${candidate}), a kernel pseudo filesystem that stores no files: choose a directory on a real filesystem`,
      );
    }
    const parent = dirname(candidate);
    if (parent === candidate) return;
    candidate = parent;
  }
}
