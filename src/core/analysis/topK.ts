import { mix32 } from './hash.js';
import { largestIndexes } from './largestIndexes.js';

/**
 * Heavy hitters in bounded memory: Space-Saving (Metwally, Agrawal, El Abbadi 2005) with batched
 * eviction. Up to 2 × capacity keys are counted exactly; when that fills, the `capacity` largest
 * are kept and the largest evicted count becomes the floor. A key first seen after that starts at
 * the floor, so every reported count is an upper bound and `count − error` a lower bound, with
 * error ≤ floor ≤ N / capacity for N additions. While nothing was evicted, every count is exact.
 */
export interface TopItem<K> {
  key: K;
  count: number;
  /** Maximum overestimate; 0 means exact. */
  error: number;
}

export interface TopKState<K> {
  capacity: number;
  floor: number;
  /** In slot order; typed arrays pass between threads and out of the WebAssembly engine without copies. */
  keys: ArrayLike<K>;
  counts: ArrayLike<number>;
  errors: ArrayLike<number>;
}

const LOOKUPS_BEFORE_INDEX = 16;

export class TopK<K extends number | string> {
  // One lookup per add gives a slot; counts live in typed arrays. Integer keys (IPv4 addresses,
  // ports, marks) use an open-addressing table of slot+1 values, several times faster than a Map;
  // other keys use a Map. Both are rebuilt on prune, so neither ever needs tombstones.
  private slotOf = new Map<K, number>();
  /** Allocated when the first integer key is indexed: a summary taken over in bulk may never be. */
  private intTable: Int32Array | null = null;
  /** The integer key of each slot, so probes compare typed-array values, not boxed JS array items. */
  private intKeys: Int32Array;
  private readonly intTableSize: number;
  /**
   * In slot order. Keys taken over from a typed array stay one (a native copy) until a key is
   * inserted: converting an engine's 65k-key lists cost ~8 ms of a run.
   */
  private keys: readonly K[] = [];
  /** A summary's counts taken over in bulk stay its arrays (`borrowed`) until a count changes. */
  private counts: Float64Array | Uint32Array = new Float64Array(64);
  private errors: Float64Array | Uint32Array = new Float64Array(64);
  private borrowed = false;
  /** Largest count ever evicted; 0 while exact. */
  floor = 0;
  private lastKey: K | undefined = undefined;
  private lastSlot = 0;
  /** Keys taken over by adopt() and not yet in the lookup tables; `scans` counts lookups since. */
  private unindexed = false;
  private scans = 0;
  /** Called with each key evicted, so callers can drop data they attached to it. */
  onEvict: ((key: K) => void) | null = null;

  constructor(readonly capacity: number) {
    let size = 16;
    while (size < 4 * capacity) size *= 2;
    this.intTableSize = size;
    this.intKeys = new Int32Array(64);
  }

  get exact(): boolean {
    return this.floor === 0;
  }

  get size(): number {
    return this.keys.length;
  }

  private slotOfKey(key: K): number | undefined {
    if (this.unindexed) {
      // A summary taken over in bulk is mostly only ranked; a few lookups are cheaper as scans.
      if (this.scans++ < LOOKUPS_BEFORE_INDEX) {
        const slot = this.keys.indexOf(key);
        return slot < 0 ? undefined : slot;
      }
      this.unindexed = false;
      if (this.intKeys.length < this.keys.length) this.intKeys = new Int32Array(this.counts.length);
      for (let slot = 0; slot < this.keys.length; slot++) this.index(this.keys[slot]!, slot);
    }
    if (typeof key !== 'number' || (key | 0) !== key) return this.slotOf.get(key);
    const table = this.intTable;
    if (!table) return undefined;
    const mask = this.intTableSize - 1;
    for (let h = mix32(key) & mask; ; h = (h + 1) & mask) {
      const entry = table[h]!;
      if (entry === 0) return undefined;
      if (this.intKeys[entry - 1] === key) return entry - 1;
    }
  }

  add(key: K, weight = 1): void {
    if (this.borrowed) this.ownCounts();
    // Runs of one key (a single zone, mark or client) skip the lookup entirely.
    if (key === this.lastKey) {
      this.counts[this.lastSlot]! += weight;
      return;
    }
    const slot = this.slotOfKey(key);
    if (slot !== undefined) {
      this.counts[slot]! += weight;
      this.lastKey = key;
      this.lastSlot = slot;
      return;
    }
    if (this.keys.length >= 2 * this.capacity) this.prune();
    this.insert(key, this.floor + weight, this.floor);
  }

  has(key: K): boolean {
    return this.slotOfKey(key) !== undefined;
  }

  countOf(key: K): number {
    const slot = this.slotOfKey(key);
    return slot === undefined ? 0 : this.counts[slot]!;
  }

  /** count − error: what the key certainly had (0 if not tracked). */
  guaranteedCountOf(key: K): number {
    const slot = this.slotOfKey(key);
    return slot === undefined ? 0 : this.counts[slot]! - this.errors[slot]!;
  }

  private insert(key: K, count: number, error: number): void {
    const slot = this.keys.length;
    if (slot >= this.counts.length) {
      const grown = Math.min(this.counts.length * 2, 2 * this.capacity + 1);
      this.counts = growTo(this.counts, grown);
      this.errors = growTo(this.errors, grown);
      const intKeys = new Int32Array(grown);
      intKeys.set(this.intKeys);
      this.intKeys = intKeys;
    }
    this.counts[slot] = count;
    this.errors[slot] = error;
    if (!Array.isArray(this.keys)) this.keys = Array.from(this.keys);
    (this.keys as K[]).push(key);
    if (!this.unindexed) this.index(key, slot);
  }

  /** Makes the key at `slot` findable. */
  private index(key: K, slot: number): void {
    if (typeof key !== 'number' || (key | 0) !== key) {
      this.slotOf.set(key, slot);
      return;
    }
    this.intKeys[slot] = key;
    this.intTable ??= new Int32Array(this.intTableSize);
    const table = this.intTable;
    const mask = this.intTableSize - 1;
    let h = mix32(key) & mask;
    while (table[h] !== 0) h = (h + 1) & mask;
    table[h] = slot + 1;
  }

  /** Keeps the `capacity` largest counts; rebuilding is cheaper than deleting half a Map. */
  private prune(): void {
    const size = this.keys.length;
    const threshold = kthLargest(this.counts.slice(0, size), this.capacity);
    let room = this.capacity;
    for (let i = 0; i < size; i++) if (this.counts[i]! > threshold) room--;
    const keys = this.keys;
    const counts = this.counts;
    const errors = this.errors;
    this.keys = [];
    this.unindexed = false;
    this.counts = new Float64Array(counts.length);
    this.errors = new Float64Array(errors.length);
    this.intKeys = new Int32Array(counts.length);
    this.slotOf = new Map();
    this.intTable?.fill(0);
    this.lastKey = undefined;
    for (let i = 0; i < size; i++) {
      const count = counts[i]!;
      if (count > threshold || (count === threshold && room-- > 0)) {
        this.insert(keys[i]!, count, errors[i]!);
        continue;
      }
      if (count > this.floor) this.floor = count;
      this.onEvict?.(keys[i]!);
    }
  }

  top(limit: number): TopItem<K>[] {
    return largestIndexes(this.counts, this.keys.length, limit).map((slot) => ({
      key: this.keys[slot]!,
      count: this.counts[slot]!,
      error: this.errors[slot]!,
    }));
  }

  toState(): TopKState<K> {
    const size = this.keys.length;
    return {
      capacity: this.capacity,
      floor: this.floor,
      keys: [...this.keys],
      counts: this.counts.slice(0, size),
      errors: this.errors.slice(0, size),
    };
  }

  /**
   * Adds another summary (Agarwal et al. 2012, mergeable summaries): a key the other side did not
   * keep may have had up to its floor there, which is added to both count and error.
   */
  mergeState(other: TopKState<K>): void {
    if (this.keys.length === 0 && this.floor === 0 && other.keys.length <= 2 * this.capacity) {
      this.adopt(other);
      return;
    }
    if (this.borrowed) this.ownCounts();
    const inOther = new Set(Array.from(other.keys));
    for (let slot = 0; slot < this.keys.length; slot++) {
      if (inOther.has(this.keys[slot]!)) continue;
      this.counts[slot]! += other.floor;
      this.errors[slot]! += other.floor;
    }
    for (let i = 0; i < other.keys.length; i++) {
      const key = other.keys[i]!;
      const slot = this.slotOfKey(key);
      if (slot !== undefined) {
        this.counts[slot]! += other.counts[i]!;
        this.errors[slot]! += other.errors[i]!;
      } else {
        if (this.keys.length >= 2 * this.capacity) this.prune();
        this.insert(key, this.floor + other.counts[i]!, this.floor + other.errors[i]!);
      }
    }
    this.floor += other.floor;
  }

  /** Counts of their own, with room to grow, for a summary taken over in bulk (and its index as long). */
  private ownCounts(): void {
    const room = Math.max(64, Math.min(2 * this.capacity + 1, this.keys.length + 1));
    this.counts = growTo(this.counts, room);
    this.errors = growTo(this.errors, room);
    const intKeys = new Int32Array(room);
    intKeys.set(this.intKeys);
    this.intKeys = intKeys;
    this.borrowed = false;
  }

  /**
   * Merging into an empty summary is taking the other one over, in bulk and without copies (fresh
   * pages for a 65k-key list cost ~1 ms of page faults each on a VM, and a summary is mostly only
   * ranked): `other` must not change afterwards, as TableAggregator.merge requires. Its arrays are
   * copied before a count changes.
   */
  private adopt(other: TopKState<K>): void {
    const typed = (values: ArrayLike<number>) =>
      values instanceof Float64Array || values instanceof Uint32Array ? values : Float64Array.from(values);
    this.counts = typed(other.counts);
    this.errors = typed(other.errors);
    this.borrowed = true;
    this.intKeys = new Int32Array(0);
    this.floor = other.floor;
    this.keys = ArrayBuffer.isView(other.keys)
      ? (other.keys as unknown as readonly K[])
      : Array.from(other.keys);
    this.unindexed = true;
    this.scans = 0;
  }
}

function growTo(array: Float64Array | Uint32Array, length: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(length);
  grown.set(array);
  return grown;
}

/** The k-th largest value (1-based) by quickselect; mutates `values`. */
export function kthLargest(values: Float64Array | Uint32Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  const target = Math.min(Math.max(k - 1, 0), high);
  while (low < high) {
    const pivot = values[(low + high) >>> 1]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (target <= j) high = j;
    else if (target >= i) low = i;
    else break;
  }
  return values[target]!;
}
