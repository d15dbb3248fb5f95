import {
  DEAD_LETTER_QUEUE_ID,
  decodeReceiptHandle,
  type PopService,
  RETRY_QUEUE_ID,
  type RetryService,
  toDeadLetter,
  toResent,
} from '@eddy/consume';
import {
  deadLetterTopicOf,
  EddyError,
  type Message,
  messageFieldsOf,
  Permission,
  retryTopicOf,
  type StoredMessage,
  SystemProperty,
  validateGroupName,
} from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import type { QueueSelector } from './queue-selector.js';
import type { TrafficMeter } from './traffic-meter.js';
import type {
  ForwardToDeadLetterOptions,
  ForwardToDeadLetterResult,
  ResendDeadLetterOptions,
  TopicManager,
} from './types.js';

/** What {@link DeadLetters} is built from. */
export interface DeadLettersParts {
  readonly store: MessageStore;
  readonly pops: PopService;
  readonly retries: RetryService;
  readonly topics: TopicManager;
  readonly selector: QueueSelector;
  readonly meter: TrafficMeter;
  readonly notifyAppended: (topic: string, queueId: number) => void;
}

// How long forwarding holds a delivery for itself while it writes the dead letter: long enough for
// one append; if the broker dies meanwhile the message is simply delivered again afterwards.
const HOLD_MS = 60_000;
// Dead letters read per step when looking for one by id.
const SCAN_BATCH = 256;

/** Moves popped messages to `%DLQ%<group>` and sends dead letters back. */
export class DeadLetters {
  readonly #parts: DeadLettersParts;

  constructor(parts: DeadLettersParts) {
    this.#parts = parts;
  }

  /**
   * See `Broker.forwardToDeadLetter`. The delivery is first taken over with a new handle only this call
   * knows (a change of invisible time), so a stale, expired or repeated handle writes no dead letter;
   * then the dead letter is appended, and only then is the delivery marked done (at least once: a
   * crash in between redelivers rather than loses).
   */
  async forward(
    group: string,
    topic: string,
    receiptHandle: string,
    options: ForwardToDeadLetterOptions = {},
  ): Promise<ForwardToDeadLetterResult> {
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle === undefined || handle.group !== group || handle.topic !== topic) return { status: 'invalid-handle' };
    const { pops, store, notifyAppended } = this.#parts;
    const held = await pops.changeInvisibleDuration(group, receiptHandle, HOLD_MS);
    if (held.status !== 'ok') return { status: held.status };
    const read = await store.read(topic, handle.queueId, handle.offset, { maxMessages: 1 });
    const message = read.status === 'ok' ? read.messages[0] : undefined;
    let deadLetterTopic: string | undefined;
    // A message gone by retention has nothing to keep; the delivery is still ended.
    if (message !== undefined && message.queueOffset === handle.offset) {
      const attempt = options.deliveryAttempt;
      const failed: Message =
        attempt !== undefined && Number.isSafeInteger(attempt) && attempt >= 1
          ? { ...message, reconsumeTimes: attempt - 1 }
          : message;
      const deadLetter = toDeadLetter(group, failed, {
        reason: options.reason,
        maxReconsumeTimes: options.maxDeliveryAttempts,
      });
      await store.append(deadLetter.topic, DEAD_LETTER_QUEUE_ID, [deadLetter]);
      notifyAppended(deadLetter.topic, DEAD_LETTER_QUEUE_ID);
      deadLetterTopic = deadLetter.topic;
    }
    const marked = await pops.markDeadLettered(group, held.receiptHandle);
    if (marked.status !== 'ok') return { status: marked.status };
    return deadLetterTopic === undefined ? { status: 'ok' } : { status: 'ok', deadLetterTopic };
  }

  /**
   * See `Broker.resendDeadLetter`. The dead letter stays in the DLQ; the copy sent has its retry and
   * dead-letter bookkeeping removed and its reconsume count back to 0.
   *
   * @throws `INVALID_NAME` for a bad group; with target `'origin'`, `UNKNOWN_TOPIC` when the origin
   * topic is gone and `PERMISSION_DENIED` when it takes no writes.
   */
  async resend(group: string, messageId: string, options: ResendDeadLetterOptions = {}): Promise<boolean> {
    const groupError = validateGroupName(group, { system: true });
    if (groupError !== undefined) throw groupError;
    const deadLetter = await this.#find(deadLetterTopicOf(group), messageId);
    if (deadLetter === undefined) return false;
    const { store, meter, notifyAppended, retries, topics, selector } = this.#parts;
    const resent = toResent(deadLetter);
    if ((options.target ?? 'retry') === 'origin') {
      if (resent === undefined) return false;
      const topic = await topics.resolve(resent.topic, { autoCreate: false });
      if ((topic.perm & Permission.WRITE) === 0) {
        throw new EddyError('PERMISSION_DENIED', `topic '${topic.name}' does not accept writes (perm ${topic.perm})`);
      }
      const queueId = selector.select(topic, resent);
      const result = await retries.resendFromDeadLetter(group, deadLetter.queueOffset, { queueId });
      if (result.status !== 'resent') return false;
      meter.countIn(result.topic, resent);
      return true;
    }
    const topic = retryTopicOf(group);
    const origin = resent?.topic;
    const base = resent ?? { ...messageFieldsOf(deadLetter), reconsumeTimes: 0 };
    const retry: Message = {
      ...base,
      topic,
      // Consumers present a retry-topic message under the topic it came from (RocketMQ's RETRY_TOPIC).
      properties: origin === undefined ? base.properties : { ...base.properties, [SystemProperty.RETRY_TOPIC]: origin },
    };
    await store.append(topic, RETRY_QUEUE_ID, [retry]);
    notifyAppended(topic, RETRY_QUEUE_ID);
    meter.countIn(topic, retry);
    return true;
  }

  // The newest copy of an id is usually the dead letter itself; after a re-send it is not, so the DLQ
  // (one queue, normally small) is then read through for the latest copy with that id.
  async #find(topic: string, messageId: string): Promise<StoredMessage | undefined> {
    const { store } = this.#parts;
    const newest = await store.findById(messageId);
    if (newest?.topic === topic) return newest;
    let found: StoredMessage | undefined;
    const range = await store.queueRange(topic, DEAD_LETTER_QUEUE_ID);
    let offset = range?.minOffset ?? 0;
    while (range !== undefined && offset < range.maxOffset) {
      const read = await store.read(topic, DEAD_LETTER_QUEUE_ID, offset, { maxMessages: SCAN_BATCH });
      if (read.status !== 'ok') break;
      for (const message of read.messages) if (message.messageId === messageId) found = message;
      if (read.nextOffset <= offset) break;
      offset = read.nextOffset;
    }
    return found;
  }
}
