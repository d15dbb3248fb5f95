import type { DelayLevelScheduler, ScheduleTarget, TimerScheduler, TransactionService } from '@eddy/consume';
import {
  type Clock,
  DEFAULT_MESSAGE_LIMITS,
  EddyError,
  type Message,
  type MessageLimits,
  Permission,
  validateMessage,
} from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import type { DelayBacklog } from './delay-backlog.js';
import type { QueueSelector } from './queue-selector.js';
import type { TrafficMeter } from './traffic-meter.js';
import type { SendKind, SendOptions, SendResult, TopicManager } from './types.js';

/** What {@link MessageSender} is built from. */
export interface MessageSenderParts {
  readonly store: MessageStore;
  readonly clock: Clock;
  readonly topics: TopicManager;
  readonly selector: QueueSelector;
  readonly delays: DelayLevelScheduler;
  readonly backlog: DelayBacklog;
  readonly timers: TimerScheduler;
  readonly transactions: TransactionService;
  readonly meter: TrafficMeter;
  /** Wakes the long polls of a queue after an append to it. */
  readonly notifyAppended: (topic: string, queueId: number) => void;
  /** Config `maxMessageSize`. */
  readonly maxMessageSize: number;
  /** Config `timerMaxDelayMs`. */
  readonly timerMaxDelayMs: number;
}

/**
 * The producer path of the broker: validates a message, resolves its topic (auto-creating it when
 * allowed) and checks write permission, picks the queue ({@link QueueSelector}), then stores it the way
 * its kind asks — appended at once (normal, FIFO), through the delay-level scheduler, the timer
 * service, or as a half message of a transaction — and counts it in for its topic.
 */
export class MessageSender {
  readonly #parts: MessageSenderParts;
  readonly #limits: MessageLimits;

  constructor(parts: MessageSenderParts) {
    this.#parts = parts;
    this.#limits = { ...DEFAULT_MESSAGE_LIMITS, maxBodySize: parts.maxMessageSize };
  }

  /** See `Broker.send`. */
  async send(message: Message, options: SendOptions = {}): Promise<SendResult> {
    const invalid = validateMessage(message, this.#limits);
    if (invalid !== undefined) throw renameBodyLimit(invalid);
    const kind = this.#kindOf(message, options);
    const { topics, selector } = this.#parts;
    const topic = await topics.resolve(message.topic);
    if ((topic.perm & Permission.WRITE) === 0) {
      throw new EddyError('PERMISSION_DENIED', `topic '${topic.name}' does not accept writes (perm ${topic.perm})`, {
        details: { topic: topic.name, perm: topic.perm },
      });
    }
    const queueId = selector.select(topic, message, options.queueId);
    const result = await this.#store(kind, message, { topic: topic.name, queueId }, options);
    this.#parts.meter.countIn(topic.name, message);
    return result;
  }

  // Decides the kind and refuses combinations no protocol can express.
  #kindOf(message: Message, options: SendOptions): SendKind {
    const { delayLevel } = options;
    if (delayLevel !== undefined && (!Number.isInteger(delayLevel) || delayLevel < 0)) {
      throw new EddyError('INVALID_ARGUMENT', `delayLevel must be an integer ≥ 0, got ${String(delayLevel)}`);
    }
    // RocketMQ reads level 0 as "no delay".
    const delayed = delayLevel !== undefined && delayLevel > 0;
    const due = message.deliveryTimestamp;
    if (due !== undefined && (!Number.isSafeInteger(due) || due < 0)) {
      throw new EddyError('INVALID_MESSAGE', `deliveryTimestamp must be ms since the epoch, got ${String(due)}`);
    }
    const ahead = due === undefined ? 0 : due - this.#parts.clock.now();
    const timed = ahead > 0;
    if (message.transaction === 'commit' || message.transaction === 'rollback') {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `a message cannot be sent with transaction '${message.transaction}'; end a transaction with endTransaction`,
      );
    }
    if (message.transaction === 'prepared') {
      if (delayed || timed) {
        throw new EddyError('INVALID_ARGUMENT', 'a transactional message cannot also be delayed or timed');
      }
      return 'transaction';
    }
    if (delayed && timed) {
      throw new EddyError('INVALID_ARGUMENT', 'give a delay level or a future deliveryTimestamp, not both');
    }
    if (delayed) return 'delay';
    if (timed) {
      if (ahead > this.#parts.timerMaxDelayMs) {
        throw new EddyError(
          'ILLEGAL_DELIVERY_TIME',
          `deliveryTimestamp is ${ahead} ms ahead; the limit is ${this.#parts.timerMaxDelayMs} (timerMaxDelayMs)`,
          { details: { limit: 'timerMaxDelayMs', value: ahead, max: this.#parts.timerMaxDelayMs } },
        );
      }
      return 'timer';
    }
    return message.messageGroup === undefined ? 'normal' : 'fifo';
  }

  async #store(kind: SendKind, message: Message, target: ScheduleTarget, options: SendOptions): Promise<SendResult> {
    const { store, delays, backlog, timers, transactions, notifyAppended } = this.#parts;
    const base = { kind, messageId: message.messageId, topic: target.topic, queueId: target.queueId };
    switch (kind) {
      case 'delay': {
        const scheduled = await delays.schedule(message, options.delayLevel as number, target);
        backlog.scheduled(scheduled.level, scheduled.scheduleOffset);
        return { ...base, queueOffset: scheduled.scheduleOffset, deliverAt: scheduled.dueAt };
      }
      case 'timer': {
        const { dueAt, timerOffset } = await timers.schedule(message, target);
        return { ...base, queueOffset: timerOffset, deliverAt: dueAt };
      }
      case 'transaction': {
        const { transactionId, halfOffset } = await transactions.prepare(message, target);
        return { ...base, queueOffset: halfOffset, transactionId };
      }
      default: {
        const { baseOffset } = await store.append(target.topic, target.queueId, [message]);
        notifyAppended(target.topic, target.queueId);
        return { ...base, queueOffset: baseOffset };
      }
    }
  }
}

// validateMessage names its own limit (maxBodySize); the operator sets the broker's `maxMessageSize`.
function renameBodyLimit(error: EddyError): EddyError {
  if (error.code !== 'MESSAGE_TOO_LARGE' || error.details?.limit !== 'maxBodySize') return error;
  return new EddyError('MESSAGE_TOO_LARGE', error.message.replace('(maxBodySize)', '(maxMessageSize)'), {
    details: { ...error.details, limit: 'maxMessageSize' },
  });
}
