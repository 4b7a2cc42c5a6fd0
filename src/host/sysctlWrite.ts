import { writeFile } from 'node:fs/promises';
import { CtdoctorError } from '../core/errors.js';
import { readOptionalText } from './fileRead.js';
import { type HostRoots, procPath, sysPath } from './roots.js';

/** "net.netfilter.nf_conntrack_max" → "sys/net/netfilter/nf_conntrack_max" (below /proc). */
export function sysctlRelativePath(key: string): string {
  return `sys/${key.replace(/\./g, '/')}`;
}

export async function readSysctl(roots: HostRoots, key: string): Promise<string | undefined> {
  return (await readOptionalText(procPath(roots, sysctlRelativePath(key))))?.trim();
}

/** Writes a sysctl in this process's namespace, mapping the kernel's refusals to fixes. */
export async function writeSysctl(roots: HostRoots, key: string, value: string | number): Promise<void> {
  const path = procPath(roots, sysctlRelativePath(key));
  try {
    await writeFile(path, `${value}\n`);
  } catch (error) {
    throw sysctlWriteError(key, path, error as NodeJS.ErrnoException);
  }
}

/** The module parameter is how kernels without a writable nf_conntrack_buckets resize the hash. */
export async function writeHashsizeParam(roots: HostRoots, buckets: number): Promise<void> {
  const path = sysPath(roots, 'module/nf_conntrack/parameters/hashsize');
  try {
    await writeFile(path, `${buckets}\n`);
  } catch (error) {
    throw sysctlWriteError('nf_conntrack hashsize', path, error as NodeJS.ErrnoException);
  }
}

function sysctlWriteError(key: string, path: string, error: NodeJS.ErrnoException): CtdoctorError {
  switch (error.code) {
    case 'ENOENT':
      return new CtdoctorError('not-loaded', `${key} does not exist (${path}): is nf_conntrack loaded?`, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new CtdoctorError(
        'read-only',
        process.getuid?.() === 0
          ? `${key} is read-only here: it is global and writable only from the host's initial network namespace (run on the host, not in a container or child netns)`
          : `${key} needs root: run with sudo`,
        { cause: error },
      );
    case 'EOPNOTSUPP':
      return new CtdoctorError(
        'read-only',
        `the kernel refused to resize via ${path} outside the initial network namespace: run on the host`,
        { cause: error },
      );
    case 'EINVAL':
      return new CtdoctorError('kernel', `the kernel rejected the value for ${key} (EINVAL): out of range`, {
        cause: error,
      });
    case 'ENOMEM':
      return new CtdoctorError(
        'kernel',
        `the kernel could not allocate memory for ${key} (ENOMEM): choose a smaller value`,
        { cause: error },
      );
    default:
      return new CtdoctorError('kernel', `writing ${key}: ${error.message}`, { cause: error });
  }
}
