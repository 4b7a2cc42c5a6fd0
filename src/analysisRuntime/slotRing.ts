/**
 * A ring of byte slots in shared memory between one producing and one consuming thread. Each slot
 * has a few integer header fields beside its bytes; slots are filled and taken in ring order. The
 * producer may block (a worker thread); the consumer on the main thread waits asynchronously, so
 * that a failing worker's events still arrive.
 */
const FREE = 0;
const FULL = 1;
/** Ring-wide flags after the slots' headers: ABORTED stops the other side, STARTED says the producer is up. */
const ABORTED = 0;
const STARTED = 1;
const FLAGS = 2;
/** Periodic wake-up of a waiting consumer, to notice that its producer has gone. */
const POLL_MS = 100;

/**
 * Slot bytes start 64-byte aligned (slot sizes are multiples of 64): V8 copies out of shared memory
 * byte by byte, ~14× slower, unless both sides are aligned alike.
 */
function controlBytes(layout: SlotRingLayout): number {
  return Math.ceil(((layout.slots * (1 + layout.headerFields) + FLAGS) * 4) / 64) * 64;
}

export interface SlotRingLayout {
  slots: number;
  slotBytes: number;
  /** Integer fields per slot besides its state. */
  headerFields: number;
}

export class SlotRing {
  readonly layout: SlotRingLayout;
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly stride: number;

  constructor(
    readonly shared: SharedArrayBuffer,
    layout: SlotRingLayout,
  ) {
    if (layout.slotBytes % 64 !== 0) throw new Error('slot sizes must be multiples of 64 bytes');
    this.layout = layout;
    this.stride = 1 + layout.headerFields;
    const controlInts = layout.slots * this.stride + FLAGS;
    this.control = new Int32Array(shared, 0, controlInts);
    this.bytes = new Uint8Array(shared, controlBytes(layout), layout.slots * layout.slotBytes);
  }

  static create(layout: SlotRingLayout): SlotRing {
    return new SlotRing(
      new SharedArrayBuffer(controlBytes(layout) + layout.slots * layout.slotBytes),
      layout,
    );
  }

  data(slot: number): Uint8Array {
    const { slotBytes } = this.layout;
    return this.bytes.subarray(slot * slotBytes, (slot + 1) * slotBytes);
  }

  header(slot: number, field: number): number {
    return this.control[slot * this.stride + 1 + field]!;
  }

  setHeader(slot: number, field: number, value: number): void {
    this.control[slot * this.stride + 1 + field] = value;
  }

  next(slot: number): number {
    return (slot + 1) % this.layout.slots;
  }

  isFull(slot: number): boolean {
    return Atomics.load(this.control, slot * this.stride) === FULL;
  }

  /** Producer: hands a filled slot (its bytes and headers written) to the consumer. */
  publish(slot: number): void {
    Atomics.store(this.control, slot * this.stride, FULL);
    Atomics.notify(this.control, slot * this.stride);
  }

  /** Consumer: gives a slot back to the producer. */
  release(slot: number): void {
    Atomics.store(this.control, slot * this.stride, FREE);
    Atomics.notify(this.control, slot * this.stride);
  }

  /** Blocks (worker threads only) until the slot is in `state`; false if the ring was aborted. */
  waitBlocking(slot: number, state: 'free' | 'full'): boolean {
    const wanted = state === 'free' ? FREE : FULL;
    const index = slot * this.stride;
    for (;;) {
      const current = Atomics.load(this.control, index);
      if (current === wanted) return true;
      if (this.aborted) return false;
      Atomics.wait(this.control, index, current, POLL_MS);
    }
  }

  /** Waits, without blocking the event loop, until the slot is full; `gone` is polled meanwhile. */
  async waitFull(slot: number, gone: () => Error | null): Promise<void> {
    const index = slot * this.stride;
    for (;;) {
      if (Atomics.load(this.control, index) === FULL) return;
      const failure = gone();
      if (failure) throw failure;
      const waiting = Atomics.waitAsync(this.control, index, FREE, POLL_MS);
      if (waiting.async) await waiting.value;
    }
  }

  /** Either side: stops the other, which sees `aborted` at its next wait. */
  abort(): void {
    Atomics.store(this.control, this.layout.slots * this.stride + ABORTED, 1);
    for (let slot = 0; slot < this.layout.slots; slot++) Atomics.notify(this.control, slot * this.stride);
  }

  /** Producer: says it has started, so the consumer can stop doing the work itself. */
  markStarted(): void {
    Atomics.store(this.control, this.layout.slots * this.stride + STARTED, 1);
    Atomics.notify(this.control, this.layout.slots * this.stride + STARTED);
  }

  get started(): boolean {
    return Atomics.load(this.control, this.layout.slots * this.stride + STARTED) === 1;
  }

  /** Consumer: blocks at most `ms` until the producer has started; whether it has. */
  waitStarted(ms: number): boolean {
    Atomics.wait(this.control, this.layout.slots * this.stride + STARTED, 0, ms);
    return this.started;
  }

  get aborted(): boolean {
    return Atomics.load(this.control, this.layout.slots * this.stride + ABORTED) === 1;
  }
}
