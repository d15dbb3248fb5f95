import { EddyError } from '@eddy/message';
import { checkOffset, type MessageStore } from '@eddy/store';
import { z } from 'zod';
import type { ConsumerOffsetStore, OffsetScope } from './consumer-offset-store.js';

/**
 * Where a group with no committed offset on a queue starts (RocketMQ's `ConsumeFromWhere`):
 * `'LAST_OFFSET'` (the default: only messages appended from now on), `'FIRST_OFFSET'` (everything still
 * readable) or `{ timestamp }` (the first message stored at or after that time, ms since the epoch).
 */
export type ConsumeFromWhere = 'LAST_OFFSET' | 'FIRST_OFFSET' | { readonly timestamp: number };

/** {@link ConsumeFromWhere}, for heartbeats and admin requests. */
export const ConsumeFromWhereSchema = z.union([
  z.literal('LAST_OFFSET'),
  z.literal('FIRST_OFFSET'),
  z.object({ timestamp: z.number().int().nonnegative() }).strict(),
]);

/** The start position when none is given. */
export const DEFAULT_CONSUME_FROM_WHERE: ConsumeFromWhere = 'LAST_OFFSET';

/**
 * The offset a new group starts from on a queue: the queue's `maxOffset` for `LAST_OFFSET`, its
 * `minOffset` for `FIRST_OFFSET`, and for a timestamp the first offset stored at or after it (or
 * `maxOffset` when every message is older). An unknown queue starts at 0, where its first message will be.
 */
export async function resolveStartOffset(
  store: MessageStore,
  topic: string,
  queueId: number,
  where: ConsumeFromWhere = DEFAULT_CONSUME_FROM_WHERE,
): Promise<number> {
  const range = await store.queueRange(topic, queueId);
  if (range === undefined) return 0;
  if (where === 'LAST_OFFSET') return range.maxOffset;
  if (where === 'FIRST_OFFSET') return range.minOffset;
  return (await store.offsetForTimestamp(topic, queueId, where.timestamp)) ?? range.maxOffset;
}

/** One queue's lag, as {@link OffsetAdmin.lag} reports it. */
export interface QueueLag {
  readonly queueId: number;
  /** The committed offset, or `undefined` when the group never committed on this queue. */
  readonly committed: number | undefined;
  readonly maxOffset: number;
  /**
   * `maxOffset − committed`: messages still to consume. With no committed offset it is counted from
   * where the group would start ({@link resolveStartOffset}); never negative.
   */
  readonly lag: number;
}

/** One queue's new offset after a reset. */
export interface OffsetReset {
  readonly queueId: number;
  readonly offset: number;
}

/** What {@link OffsetAdmin} works on. */
export interface OffsetAdminOptions {
  readonly store: MessageStore;
  readonly offsets: ConsumerOffsetStore;
}

/**
 * The admin side of offsets: resets and lag. Resets are forced commits (they may move an offset
 * backwards) clamped to what the queue holds, so a group never points below `minOffset` or beyond
 * `maxOffset`. Every method takes an optional {@link OffsetScope} for a broadcasting member's offsets.
 */
export class OffsetAdmin {
  readonly #store: MessageStore;
  readonly #offsets: ConsumerOffsetStore;

  constructor(options: OffsetAdminOptions) {
    this.#store = options.store;
    this.#offsets = options.offsets;
  }

  /**
   * Sets the group's offset on one queue to `offset`, clamped to the queue's `minOffset…maxOffset`
   * (an unknown queue to 0).
   *
   * @returns the offset stored.
   * @throws `INVALID_ARGUMENT` for a negative or fractional offset.
   */
  async resetToOffset(
    group: string,
    topic: string,
    queueId: number,
    offset: number,
    scope: OffsetScope = {},
  ): Promise<number> {
    checkOffset(offset);
    const range = await this.#store.queueRange(topic, queueId);
    const clamped = range === undefined ? 0 : Math.min(Math.max(offset, range.minOffset), range.maxOffset);
    await this.#offsets.commit(group, topic, queueId, clamped, { ...scope, force: true });
    return clamped;
  }

  /**
   * Sets the group's offset on every queue of the topic to the first message stored at or after
   * `timestamp` (the queue's `maxOffset` when all are older), in one atomic batch.
   *
   * @returns the new offset of each queue, by queue id; empty for a topic with no queues.
   */
  async resetToTimestamp(
    group: string,
    topic: string,
    timestamp: number,
    scope: OffsetScope = {},
  ): Promise<OffsetReset[]> {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new EddyError('INVALID_ARGUMENT', `timestamp must be a non-negative integer, got ${timestamp}`);
    }
    const resets: OffsetReset[] = [];
    for (const { queueId } of await this.#store.listQueues(topic)) {
      resets.push({ queueId, offset: await resolveStartOffset(this.#store, topic, queueId, { timestamp }) });
    }
    await this.#offsets.commitMany(
      group,
      resets.map(({ queueId, offset }) => ({ topic, queueId, offset })),
      { ...scope, force: true },
    );
    return resets;
  }

  /**
   * The group's lag on every queue of the topic, by queue id. A committed offset beyond `maxOffset`
   * (the queue was deleted and made again) counts as no lag.
   *
   * @param where where the group starts on a queue it never committed on (its heartbeat's setting).
   */
  async lag(
    group: string,
    topic: string,
    where: ConsumeFromWhere = DEFAULT_CONSUME_FROM_WHERE,
    scope: OffsetScope = {},
  ): Promise<QueueLag[]> {
    const lags: QueueLag[] = [];
    for (const { queueId, maxOffset } of await this.#store.listQueues(topic)) {
      const committed = await this.#offsets.committed(group, topic, queueId, scope);
      const from = committed ?? (await resolveStartOffset(this.#store, topic, queueId, where));
      lags.push({ queueId, committed, maxOffset, lag: Math.max(0, maxOffset - from) });
    }
    return lags;
  }
}
