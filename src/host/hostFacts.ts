import { parseKernelRelease, parseMemTotalBytes, parseSlabEntrySize } from '../core/kernelInfo.js';
import { type EntrySize, FALLBACK_ENTRY_BYTES } from '../core/memory.js';
import { CtdoctorError } from '../core/errors.js';
import { parseKernelUnsigned } from '../core/kernelNumber.js';
import { readOptionalText } from './fileRead.js';
import { type HostRoots, procPath, sysPath } from './roots.js';
import type { HostFacts } from '../core/hostFacts.js';

async function readQuietly(path: string): Promise<string | undefined> {
  try {
    return await readOptionalText(path);
  } catch (error) {
    if (error instanceof CtdoctorError && error.kind === 'permission') return undefined;
    throw error;
  }
}

const HASHSIZE_PARAM = 'module/nf_conntrack/parameters/hashsize';

export async function readHostFacts(roots: HostRoots): Promise<HostFacts> {
  const [release, meminfo, slabinfo, hashsize, moduleDir, initstate] = await Promise.all([
    readQuietly(procPath(roots, 'sys/kernel/osrelease')),
    readQuietly(procPath(roots, 'meminfo')),
    readQuietly(procPath(roots, 'slabinfo')),
    readQuietly(sysPath(roots, HASHSIZE_PARAM)),
    readQuietly(sysPath(roots, 'module/nf_conntrack/parameters/expect_hashsize')),
    readQuietly(sysPath(roots, 'module/nf_conntrack/initstate')),
  ]);
  const slab = slabinfo ? parseSlabEntrySize(slabinfo) : undefined;
  const entrySize: EntrySize = slab
    ? { bytes: slab.objectBytes, source: 'slabinfo' }
    : { bytes: FALLBACK_ENTRY_BYTES, source: 'estimate' };
  return {
    kernel: release?.trim() ?? 'unknown',
    kernelVersion: parseKernelRelease(release ?? ''),
    memTotalBytes: meminfo ? parseMemTotalBytes(meminfo) : undefined,
    entrySize,
    slabObjects: slab?.activeObjects,
    hashsizeParam:
      hashsize === undefined ? undefined : parseKernelUnsigned(sysPath(roots, HASHSIZE_PARAM), hashsize),
    // A loadable module has /sys/module/<name>/initstate; a built-in one does not.
    conntrackBuiltIn: moduleDir === undefined ? undefined : initstate === undefined,
  };
}
