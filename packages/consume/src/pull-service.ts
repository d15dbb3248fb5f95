import { type Clock, EddyError, type Message, type StoredMessage } from '@eddy/message';
import {
  type AppendResult,
  type EncodedBatch,
  type MessageStore,
  type ReadResult,
  supportsEncodedBatches,
} from '@eddy/store';
import type { LongPollRegistry } from './long-poll.js';

/**
 * How a pull ended (RocketMQ's `PullStatus`): `'found'` with messages; `'no-new-message'` when the
 * queue had nothing past `offset`; `'no-matched-message'` when it had messages but none passed the
 * filter (`nextOffset` then skips them); `'offset-out-of-range'` when `offset` is outside the queue
 * (`nextOffset` is the nearest valid offset); `'unknown-queue'` when the store has no such queue.
 */
export type PullStatus = 'found' | 'no-new-message' | 'no-matched-message' | 'offset-out-of-range' | 'unknown-queue';

/** Which messages a pull wants: a tag pre-filter, confirmed by an exact predicate. */
export interface PullFilter {
  /** Tags to read (the store skips others by tag code); `undefined` or `['*']` for all. */
  readonly tags?: readonly string[];
  /** The exact check each message read must pass too (an SQL92 expression, say). */
  matches?(message: StoredMessage): boolean;
}

/** A pull request. */
export interface PullRequest {
  /** The pulling group. Offsets are explicit, so it does not steer the read; it names the request. */
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  /** Where to read from. */
  readonly offset: number;
  /** Most messages to return. */
  readonly maxMessages: number;
  /** Most bytes to return (the store's default when left out). */
  readonly maxBytes?: number;
  readonly filter?: PullFilter;
  /**
   * How long to hold the request when there is nothing to return, in ms of the clock: it is answered as
   * soon as a matching message is appended (and {@link PullService.notifyAppended} called), or empty at
   * the end. 0 answers at once.
   */
  readonly pollTimeoutMs: number;
}

/** The answer to a pull. */
export interface PullResult {
  readonly status: PullStatus;
  /** In offset order; empty unless `status` is `'found'`. */
  readonly messages: StoredMessage[];
  /** Where the next pull should start. */
  readonly nextOffset: number;
  /** The queue's range when it was read; 0 and 0 for an unknown queue. */
  readonly minOffset: number;
  readonly maxOffset: number;
}

/** What {@link PullService} is built from. */
export interface PullServiceOptions {
  readonly store: MessageStore;
  /** Where held requests wait; share one with everything that appends. */
  readonly longPoll: LongPollRegistry;
  readonly clock: Clock;
}

// One read's outcome, before the hold decides whether to answer with it.
interface ReadRound {
  readonly result: PullResult;
  /** True when the read reached the end of the queue: only new messages can change the answer. */
  readonly caughtUp: boolean;
}

/**
 * Pull delivery with long polling (RocketMQ's `PullMessageProcessor` + `PullRequestHoldService`).
 *
 * A pull reads from the store with the tag pre-filter and keeps the messages `filter.matches` accepts.
 * When that finds nothing and the read reached the end of the queue, a request with `pollTimeoutMs > 0`
 * is held on the {@link LongPollRegistry} and read again each time its queue is notified, until a
 * matching message arrives or the time is up. A held request costs no timer and no CPU of its own.
 *
 * An unknown queue is held like an empty one, since a queue comes into being with its first append;
 * check that the topic exists before pulling.
 */
export class PullService {
  readonly #store: MessageStore;
  readonly #longPoll: LongPollRegistry;
  readonly #clock: Clock;

  constructor(options: PullServiceOptions) {
    this.#store = options.store;
    this.#longPoll = options.longPoll;
    this.#clock = options.clock;
  }

  /**
   * Pulls messages, holding the request up to `pollTimeoutMs` when there are none.
   *
   * @throws `INVALID_ARGUMENT` for a bad offset, limit, queue id or poll timeout (as a rejected promise).
   */
  async pull(request: PullRequest): Promise<PullResult> {
    const { topic, queueId, pollTimeoutMs } = request;
    if (!Number.isFinite(pollTimeoutMs) || pollTimeoutMs < 0) {
      throw new EddyError('INVALID_ARGUMENT', `pollTimeoutMs must be a finite number ≥ 0, got ${pollTimeoutMs}`);
    }
    const deadline = this.#clock.now() + pollTimeoutMs;
    let offset = request.offset;
    for (;;) {
      const round = await this.#read(request, offset);
      const { result } = round;
      if (result.status === 'found' || result.status === 'offset-out-of-range' || !round.caughtUp) {
        return this.#answer(request, result);
      }
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) return this.#answer(request, result);
      // Wait first, then look: an append that landed after the read is seen either way.
      const wait = this.#longPoll.register([{ topic, queueId }], remaining);
      const range = await this.#store.queueRange(topic, queueId);
      if (range !== undefined && range.maxOffset > result.nextOffset) {
        wait.cancel();
      } else if ((await wait.result) === 'timeout') {
        // One last look, for appends made without a notify.
        return this.#answer(request, (await this.#read(request, result.nextOffset)).result);
      }
      offset = result.nextOffset;
    }
  }

  /** Wakes the requests held on this queue; call after every append to it. */
  notifyAppended(topic: string, queueId: number): number {
    return this.#longPoll.notify(topic, queueId);
  }

  /** Appends to the store, then wakes the requests held on the queue. */
  async appendAndNotify(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult> {
    const result = await this.#store.append(topic, queueId, messages);
    this.#longPoll.notify(topic, queueId);
    return result;
  }

  /**
   * Appends an encoded batch as one entry (see `EncodedBatchStore`), then wakes the requests held on the queue.
   *
   * @throws `UNSUPPORTED` when the store cannot keep encoded batches.
   */
  async appendEncodedAndNotify(topic: string, queueId: number, batch: EncodedBatch): Promise<AppendResult> {
    const store = this.#store;
    if (!supportsEncodedBatches(store)) {
      throw new EddyError('UNSUPPORTED', `the ${store.engine} store does not keep encoded batches`);
    }
    const result = await store.appendEncoded(topic, queueId, batch);
    this.#longPoll.notify(topic, queueId);
    return result;
  }

  async #read(request: PullRequest, offset: number): Promise<ReadRound> {
    const { topic, queueId, maxMessages, maxBytes, filter } = request;
    const read: ReadResult = await this.#store.read(topic, queueId, offset, {
      maxMessages,
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(filter?.tags === undefined ? {} : { tags: filter.tags }),
    });
    switch (read.status) {
      case 'unknown-queue':
        return {
          result: { status: 'unknown-queue', messages: [], nextOffset: offset, minOffset: 0, maxOffset: 0 },
          caughtUp: true,
        };
      case 'offset-out-of-range': {
        const { minOffset, maxOffset } = read;
        const nextOffset = offset < minOffset ? minOffset : maxOffset;
        return {
          result: { status: 'offset-out-of-range', messages: [], nextOffset, minOffset, maxOffset },
          caughtUp: true,
        };
      }
      case 'ok': {
        const matches = filter?.matches;
        const messages = matches === undefined ? read.messages : read.messages.filter((message) => matches(message));
        const { nextOffset, minOffset, maxOffset } = read;
        const status: PullStatus = messages.length > 0 ? 'found' : 'no-new-message';
        return { result: { status, messages, nextOffset, minOffset, maxOffset }, caughtUp: nextOffset >= maxOffset };
      }
    }
  }

  // Empty answers say whether the pull moved past messages the filter refused.
  #answer(request: PullRequest, result: PullResult): PullResult {
    if (result.status !== 'no-new-message') return result;
    return result.nextOffset > request.offset ? { ...result, status: 'no-matched-message' } : result;
  }
}
