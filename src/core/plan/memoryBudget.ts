import { CtdoctorError } from '../errors.js';

/**
 * "2G", "512M", "300000000" or "15%" (of MemTotal) → bytes. A budget beyond RAM guards nothing: a
 * table that size would be allocated from memory the host does not have.
 */
export function parseMemoryBudget(text: string, memTotalBytes: number, flag = '--memory-budget'): number {
  const match = /^(\d+(?:\.\d+)?)\s*(%|[KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!match)
    throw new CtdoctorError(
      'usage',
      `${flag} "${text}" is not a size (e.g. 2G, 512M) or a percentage of RAM (e.g. 15%)`,
    );
  const value = Number(match[1]);
  const unit = (match[2] ?? 'B').toUpperCase()[0]!;
  const scale: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  const bytes = unit === '%' ? (value / 100) * memTotalBytes : value * scale[unit]!;
  // A bare "0.15" is 0.15 bytes, never the 15 % it usually means; no table fits in under 1 MiB.
  if (unit !== '%' && bytes < 1024 ** 2)
    throw new CtdoctorError(
      'usage',
      `${flag} ${text} is ${bytes} bytes, smaller than any table: write a size (e.g. 2G) or a share of RAM with % (e.g. 15%)`,
    );
  if (bytes <= 0 || bytes > memTotalBytes)
    throw new CtdoctorError(
      'usage',
      `${flag} ${text} must be more than 0 and at most the ${(memTotalBytes / 1024 ** 3).toFixed(1)} GiB of RAM (100%)`,
    );
  return bytes;
}
