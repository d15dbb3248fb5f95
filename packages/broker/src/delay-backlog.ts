import type { DelayLevelScheduler } from '@eddy/consume';
import { SystemTopic } from '@eddy/message';
import type { MessageStore } from '@eddy/store';

/**
 * How many delay-level messages wait, for the metrics: per level, the end of its
 * `SCHEDULE_TOPIC_XXXX` queue minus the scheduler's progress. The ends are read once at start and
 * then followed through every schedule the broker makes, so reading the count is synchronous.
 */
export class DelayBacklog {
  readonly #scheduler: DelayLevelScheduler;
  // Level - 1 → the next offset of the level's queue, as far as the broker knows.
  readonly #ends: number[];

  constructor(scheduler: DelayLevelScheduler) {
    this.#scheduler = scheduler;
    this.#ends = new Array<number>(scheduler.levelCount).fill(0);
  }

  /** Reads each level's queue end; call at start (after the scheduler recovered its progress). */
  async load(store: MessageStore): Promise<void> {
    for (let index = 0; index < this.#ends.length; index++) {
      const range = await store.queueRange(SystemTopic.SCHEDULE, index);
      this.#ends[index] = Math.max(this.#ends[index] as number, range?.maxOffset ?? 0);
    }
  }

  /** Records a message scheduled at `level`, at `offset` when known. */
  scheduled(level: number, offset?: number): void {
    const index = level - 1;
    const end = this.#ends[index];
    if (end === undefined) return;
    this.#ends[index] = offset === undefined ? end + 1 : Math.max(end, offset + 1);
  }

  /** Messages scheduled and not yet delivered. */
  get pending(): number {
    const progress = this.#scheduler.progress();
    let pending = 0;
    this.#ends.forEach((end, index) => {
      pending += Math.max(0, end - (progress[index] ?? 0));
    });
    return pending;
  }
}
