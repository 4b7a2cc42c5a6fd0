import type { TableProfile } from '../core/plan/liveLoad.js';
import { EntryStreamParser } from '../core/table/entryStream.js';
import type { TableSource } from '../host/tableSource.js';

/** One pass over the live table into `profile` (per class: entries, open, arrivals per second). */
export async function scanTableProfile(source: TableSource, profile: TableProfile): Promise<number> {
  const parser = new EntryStreamParser((entry) => profile.add(entry));
  for await (const chunk of source.stream) parser.push(chunk);
  return parser.end().entries;
}
