import { type RetryBackoff, retryDelaySeconds } from '../core/alerts/retryBackoff.js';

/** How one delivery attempt went: `retry` is worth another try (a 5xx, a timeout), `failed` is not (a 4xx). */
export type DeliveryOutcome =
  | { result: 'sent' }
  | { result: 'retry'; reason: string }
  | { result: 'failed'; reason: string };

/** How a notification ended: delivered, given up, or pushed out of a full queue unsent. */
export type QueueResult = 'sent' | 'failed' | 'dropped';

export interface NotificationQueueOptions<T> {
  deliver: (item: T) => Promise<DeliveryOutcome>;
  /** Notifications waiting beyond the one being delivered; the oldest is dropped past this. */
  capacity: number;
  backoff: RetryBackoff;
  /** Called once per notification, with why it failed or was dropped. */
  settled: (result: QueueResult, reason?: string) => void;
  random?: () => number;
}

/**
 * Delivers notifications one at a time, in order (a resolved never overtakes its firing), retrying
 * with back-off. push() returns at once: the sampler hands a notification over and never waits for
 * a slow or dead receiver, and a queue that cannot drain stays bounded by dropping its oldest.
 */
export class NotificationQueue<T> {
  private readonly waiting: T[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: NotificationQueueOptions<T>) {}

  push(item: T): void {
    if (this.closed) return;
    this.waiting.push(item);
    if (this.waiting.length > this.options.capacity) {
      this.waiting.shift();
      this.options.settled('dropped', `more than ${this.options.capacity} notifications waiting`);
    }
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves once everything pushed so far is settled (or the queue is closed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops delivering: a retry waiting for its turn is abandoned, nothing more is sent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.wakeUp?.();
  }

  private async drain(): Promise<void> {
    for (let item = this.waiting.shift(); item !== undefined && !this.closed; item = this.waiting.shift())
      await this.deliverWithRetries(item);
  }

  private async deliverWithRetries(item: T): Promise<void> {
    const { deliver, backoff, settled, random = Math.random } = this.options;
    for (let attempt = 1; ; attempt++) {
      const outcome = await deliver(item).catch(
        (error: unknown): DeliveryOutcome => ({
          result: 'retry',
          reason: error instanceof Error ? error.message : String(error),
        }),
      );
      if (outcome.result === 'sent') return settled('sent');
      if (outcome.result === 'failed') return settled('failed', outcome.reason);
      const delay = retryDelaySeconds(attempt, backoff, random());
      if (delay === undefined)
        return settled('failed', `gave up after ${attempt} attempts: ${outcome.reason}`);
      await this.sleep(delay);
      if (this.closed) return;
    }
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(resolve, seconds * 1000);
    });
  }
}
