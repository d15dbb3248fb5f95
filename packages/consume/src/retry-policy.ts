import { EddyError, parseWithSchema } from '@eddy/message';
import { z } from 'zod';

/** How many times a message is retried before it is dead-lettered (RocketMQ's `retryMaxTimes`). */
export const DEFAULT_MAX_RECONSUME_TIMES = 16;
/** The delay level of a first retry (RocketMQ: `3 + reconsumeTimes`, level 3 = 10 s). */
export const DEFAULT_FIRST_RETRY_LEVEL = 3;
/** The delay level retries stop climbing at (level 18 = 2 h). */
export const DEFAULT_LAST_RETRY_LEVEL = 18;

// RocketMQ stores reconsume counts in 32 bits; more retries than this make no sense anyway.
const MAX_RECONSUME_LIMIT = 10_000;

const MaxReconsumeTimesSchema = z.number().int().min(0).max(MAX_RECONSUME_LIMIT);

/** The configurable options of {@link RetryPolicy}, for config files and admin requests. */
export const RetryPolicyConfigSchema = z
  .object({
    /** Retries before a message goes to the group's dead-letter topic; 0 dead-letters on the first failure. */
    maxReconsumeTimes: MaxReconsumeTimesSchema.default(DEFAULT_MAX_RECONSUME_TIMES),
    /** Delay level of the first retry; each retry after it goes one level up. */
    firstRetryLevel: z.number().int().min(1).default(DEFAULT_FIRST_RETRY_LEVEL),
    /** Highest delay level a retry uses: later retries stay at it. */
    lastRetryLevel: z.number().int().min(1).default(DEFAULT_LAST_RETRY_LEVEL),
    /** Per-group settings (RocketMQ's subscription group config), by group name. */
    groups: z.record(z.string().min(1), z.object({ maxReconsumeTimes: MaxReconsumeTimesSchema }).strict()).default({}),
  })
  .strict()
  .refine((config) => config.lastRetryLevel >= config.firstRetryLevel, {
    message: 'lastRetryLevel must be at least firstRetryLevel',
    path: ['lastRetryLevel'],
  });

/** Options of {@link RetryPolicy}. */
export type RetryPolicyOptions = z.input<typeof RetryPolicyConfigSchema>;

/**
 * When a failed message is retried and when it gives up (RocketMQ's consumer send-back rules): retry
 * number `n` (a message whose `reconsumeTimes` is `n - 1` failed again) waits delay level
 * `firstRetryLevel + reconsumeTimes`, capped at `lastRetryLevel`. With the default delay levels that is
 * 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h, about 4 h 46 min over 16 retries. A message
 * that failed after `maxReconsumeTimes` retries (its `reconsumeTimes` has reached the limit) goes to the
 * dead-letter topic instead: with the default of 16, the 17th failed delivery dead-letters.
 *
 * The limit can be set per group ({@link RetryPolicy.setMaxReconsumeTimes}); the delays are the same for
 * every group, as in RocketMQ 4.x.
 */
export class RetryPolicy {
  readonly #maxReconsumeTimes: number;
  readonly #firstRetryLevel: number;
  readonly #lastRetryLevel: number;
  readonly #groups = new Map<string, number>();

  constructor(options: RetryPolicyOptions = {}) {
    const parsed = parseWithSchema(RetryPolicyConfigSchema, options, 'retry policy options');
    this.#maxReconsumeTimes = parsed.maxReconsumeTimes;
    this.#firstRetryLevel = parsed.firstRetryLevel;
    this.#lastRetryLevel = parsed.lastRetryLevel;
    for (const [group, settings] of Object.entries(parsed.groups)) this.#groups.set(group, settings.maxReconsumeTimes);
  }

  /** The highest delay level a retry uses. */
  get lastRetryLevel(): number {
    return this.#lastRetryLevel;
  }

  /** The group's retry limit: its own setting, else the default. */
  maxReconsumeTimes(group: string): number {
    return this.#groups.get(group) ?? this.#maxReconsumeTimes;
  }

  /**
   * Sets the group's retry limit; `undefined` returns the group to the default.
   *
   * @throws `INVALID_ARGUMENT` unless `maxReconsumeTimes` is an integer in 0 … 10,000.
   */
  setMaxReconsumeTimes(group: string, maxReconsumeTimes: number | undefined): void {
    if (maxReconsumeTimes === undefined) {
      this.#groups.delete(group);
      return;
    }
    if (!MaxReconsumeTimesSchema.safeParse(maxReconsumeTimes).success) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `maxReconsumeTimes must be an integer in 0…${MAX_RECONSUME_LIMIT}, got ${maxReconsumeTimes}`,
      );
    }
    this.#groups.set(group, maxReconsumeTimes);
  }

  /** True when a message that failed with this `reconsumeTimes` has used up its retries in `group`. */
  exhausted(group: string, reconsumeTimes: number): boolean {
    return reconsumeTimes + 1 > this.maxReconsumeTimes(group);
  }

  /** The delay level of the retry after a failure with this `reconsumeTimes`: `firstRetryLevel + reconsumeTimes`, capped. */
  delayLevelFor(reconsumeTimes: number): number {
    return Math.min(this.#firstRetryLevel + Math.max(0, reconsumeTimes), this.#lastRetryLevel);
  }
}
