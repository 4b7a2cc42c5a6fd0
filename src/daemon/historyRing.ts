/**
 * The last `capacity` items, oldest first, in fixed memory: the daemon keeps an hour of samples for
 * the JSON API and the dashboard, and must stay flat over days (an array that only grows would not).
 */
export class HistoryRing<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity ${capacity} is not a positive integer`);
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  get length(): number {
    return this.size;
  }

  latest(): T | undefined {
    return this.size === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const start = (this.next - this.size + this.capacity) % this.capacity;
    return Array.from({ length: this.size }, (_, i) => this.items[(start + i) % this.capacity] as T);
  }
}

/** Samples in `windowSeconds` at one per `intervalSeconds` (the default history: an hour at full resolution). */
export function historyCapacity(windowSeconds: number, intervalSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds / intervalSeconds));
}
