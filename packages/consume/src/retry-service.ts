import {
  deadLetterTopicOf,
  type Message,
  messageFieldsOf,
  retryTopicOf,
  type StoredMessage,
  SystemProperty,
  validateGroupName,
  validateTopicName,
} from '@eddy/message';
import { checkOffset, checkQueueId, type MessageStore } from '@eddy/store';
import {
  DEAD_LETTER_QUEUE_ID,
  originMessageIdOf,
  originTopicOf,
  RETRY_QUEUE_ID,
  toDeadLetter,
  toResent,
} from './dead-letter.js';
import type { DelayLevelScheduler } from './delay-scheduler.js';
import { RetryPolicy } from './retry-policy.js';

/** What {@link RetryService} is built from. */
export interface RetryServiceOptions {
  /** Holds the retry and dead-letter topics (and the origin topics re-sends go to). */
  readonly store: MessageStore;
  /** Delays retries; share the broker's one, and start it. */
  readonly scheduler: DelayLevelScheduler;
  /** Default: RocketMQ's (16 retries, levels 3 … 18). */
  readonly policy?: RetryPolicy;
  /** Called after each append to a dead-letter or origin queue: wake long polls here. */
  readonly onAppended?: (topic: string, queueId: number) => void;
}

/** What {@link RetryService.sendBack} did with a failed message. */
export type SendBackResult =
  | {
      /** Scheduled into `%RETRY%<group>`, queue 0, to arrive at or after `dueAt`. */
      readonly action: 'retry';
      readonly topic: string;
      readonly queueId: number;
      /** The delay level used. */
      readonly level: number;
      readonly dueAt: number;
      /** The retried message's reconsume count: the failed one's plus one. */
      readonly reconsumeTimes: number;
    }
  | {
      /** Out of retries: appended to `%DLQ%<group>`, queue 0, at `offset`. */
      readonly action: 'dead-lettered';
      readonly topic: string;
      readonly queueId: number;
      readonly offset: number;
      readonly reconsumeTimes: number;
    };

/** What {@link RetryService.deadLetter} appended. */
export interface DeadLetterResult {
  readonly topic: string;
  readonly queueId: number;
  readonly offset: number;
}

/** Options of {@link RetryService.resendFromDeadLetter}. */
export interface ResendOptions {
  /**
   * The queue of the origin topic to send to. Default 0. The dead letter does not record its first
   * queue (retries all share queue 0 of the retry topic), so an admin endpoint that cares about the
   * spread picks one with the topic's routing.
   */
  readonly queueId?: number;
}

/** The outcome of {@link RetryService.resendFromDeadLetter}: expected outcomes are statuses. */
export type ResendResult =
  | { readonly status: 'resent'; readonly topic: string; readonly queueId: number; readonly offset: number }
  /** Nothing readable at that offset of the dead-letter queue. */
  | { readonly status: 'not-found' }
  /** The message there records no origin topic (it was not written by this service). */
  | { readonly status: 'no-origin' };

/**
 * Retry and dead letters for failed messages, RocketMQ's way (`consumerSendMsgBack`).
 *
 * {@link RetryService.sendBack} takes a message a member of `group` failed to consume. While the
 * group's retry limit is not used up, a copy goes to `%RETRY%<group>` (one queue) through the delay
 * scheduler at level `3 + reconsumeTimes` (10s 30s 1m … 2h), with `reconsumeTimes + 1`; the group
 * consumes its retry topic like any other. Once used up, a copy goes to `%DLQ%<group>` (one queue)
 * with its history in properties; from there it can be read (a plain pull of the topic) and re-sent.
 *
 * **Identity.** Retried and dead-lettered copies keep the message's id. RocketMQ gives each copy a new
 * physical (offset) id but keeps the id clients see (`UNIQ_KEY`), and Eddy's `messageId` is that id:
 * consumers deduplicating by message id keep working across retries, and `findById` finds the newest
 * copy. The first id and topic are also kept in `ORIGIN_MESSAGE_ID` and `RETRY_TOPIC`, as RocketMQ does.
 * A consumer facade should present a message read from the retry topic under its `RETRY_TOPIC`.
 *
 * **Guarantees.** A retry is durable once `sendBack` resolves (in the schedule topic); its delivery is
 * exactly once, also across a crash (see {@link DelayLevelScheduler}). The caller advances its own offset or acks only
 * after `sendBack` resolves, so a crash in between redelivers the failed message rather than losing it.
 */
export class RetryService {
  readonly #store: MessageStore;
  readonly #scheduler: DelayLevelScheduler;
  readonly #policy: RetryPolicy;
  readonly #onAppended: ((topic: string, queueId: number) => void) | undefined;

  constructor(options: RetryServiceOptions) {
    this.#store = options.store;
    this.#scheduler = options.scheduler;
    this.#policy = options.policy ?? new RetryPolicy();
    this.#onAppended = options.onAppended;
  }

  /** The policy in force (set per-group limits on it). */
  get policy(): RetryPolicy {
    return this.#policy;
  }

  /**
   * Sends back a message `group` failed to consume: to the retry topic while retries remain
   * (`reconsumeTimes + 1 ≤ maxReconsumeTimes` of the group), else to the dead-letter topic.
   *
   * @param message the message as delivered: from its origin topic or from the retry topic.
   * @param reason why it failed; kept on the dead letter.
   * @throws `INVALID_NAME` when the group makes no valid retry topic name; the store's errors.
   */
  async sendBack(group: string, message: StoredMessage | Message, reason?: string): Promise<SendBackResult> {
    const topic = checkedTopic(retryTopicOf(group), group);
    checkedTopic(deadLetterTopicOf(group), group);
    if (this.#policy.exhausted(group, message.reconsumeTimes)) {
      const maxReconsumeTimes = this.#policy.maxReconsumeTimes(group);
      const {
        topic: deadTopic,
        queueId,
        offset,
      } = await this.#append(toDeadLetter(group, message, { reason, maxReconsumeTimes }));
      return { action: 'dead-lettered', topic: deadTopic, queueId, offset, reconsumeTimes: message.reconsumeTimes + 1 };
    }
    const reconsumeTimes = message.reconsumeTimes + 1;
    const retry: Message = {
      ...messageFieldsOf(message),
      topic,
      properties: {
        ...message.properties,
        [SystemProperty.RETRY_TOPIC]: originTopicOf(message),
        [SystemProperty.ORIGIN_MESSAGE_ID]: originMessageIdOf(message),
        [SystemProperty.RECONSUME_TIME]: String(reconsumeTimes),
      },
      reconsumeTimes,
    };
    const level = Math.min(this.#policy.delayLevelFor(message.reconsumeTimes), this.#scheduler.levelCount);
    const scheduled = await this.#scheduler.schedule(retry, level, { topic, queueId: RETRY_QUEUE_ID });
    return {
      action: 'retry',
      topic,
      queueId: RETRY_QUEUE_ID,
      level: scheduled.level,
      dueAt: scheduled.dueAt,
      reconsumeTimes,
    };
  }

  /**
   * Dead-letters a message at once, whatever its retries (RocketMQ 5's `ForwardMessageToDeadLetterQueue`,
   * used by clients that retry on their own, and by FIFO delivery giving up on a message).
   */
  async deadLetter(group: string, message: StoredMessage | Message, reason?: string): Promise<DeadLetterResult> {
    checkedTopic(deadLetterTopicOf(group), group);
    return this.#append(toDeadLetter(group, message, { reason }));
  }

  /**
   * Sends the dead letter at `offset` of `%DLQ%<group>` again to its origin topic, with its reconsume
   * count back to 0 and its retry bookkeeping removed (the group gets the full retry budget again). The
   * dead letter stays where it is; the group's DLQ offset is the caller's to move.
   *
   * @throws `INVALID_ARGUMENT` for a bad offset or queue id; the store's errors.
   */
  async resendFromDeadLetter(group: string, offset: number, options: ResendOptions = {}): Promise<ResendResult> {
    checkOffset(offset);
    const queueId = options.queueId ?? 0;
    checkQueueId(queueId);
    const read = await this.#store.read(checkedTopic(deadLetterTopicOf(group), group), DEAD_LETTER_QUEUE_ID, offset, {
      maxMessages: 1,
    });
    const deadLetter = read.status === 'ok' ? read.messages[0] : undefined;
    if (deadLetter === undefined || deadLetter.queueOffset !== offset) return { status: 'not-found' };
    const resent = toResent(deadLetter);
    if (resent === undefined || validateTopicName(resent.topic, { system: true }) !== undefined) {
      return { status: 'no-origin' };
    }
    const result = await this.#store.append(resent.topic, queueId, [resent]);
    this.#onAppended?.(resent.topic, queueId);
    return { status: 'resent', topic: resent.topic, queueId, offset: result.baseOffset };
  }

  async #append(deadLetter: Message): Promise<DeadLetterResult> {
    const result = await this.#store.append(deadLetter.topic, DEAD_LETTER_QUEUE_ID, [deadLetter]);
    this.#onAppended?.(deadLetter.topic, DEAD_LETTER_QUEUE_ID);
    return { topic: deadLetter.topic, queueId: DEAD_LETTER_QUEUE_ID, offset: result.baseOffset };
  }
}

// System topics are the broker's to write: `%` is allowed, the long length limit applies. The group is
// checked on its own too, or an empty one would pass as the topic `%DLQ%`.
function checkedTopic(topic: string, group?: string): string {
  const error =
    (group === undefined ? undefined : validateGroupName(group, { system: true })) ??
    validateTopicName(topic, { system: true });
  if (error !== undefined) throw error;
  return topic;
}
