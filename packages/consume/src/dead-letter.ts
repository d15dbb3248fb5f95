import { deadLetterTopicOf, type Message, messageFieldsOf, SystemProperty } from '@eddy/message';

/** The queue of a group's retry topic `%RETRY%<group>`: it has one (RocketMQ's `retryQueueNums = 1`). */
export const RETRY_QUEUE_ID = 0;
/** The queue of a group's dead-letter topic `%DLQ%<group>`: it has one (RocketMQ's `DLQ_NUMS_PER_GROUP`). */
export const DEAD_LETTER_QUEUE_ID = 0;
/** Longest failure reason kept on a dead letter, in characters; longer ones are cut. */
export const MAX_FAILURE_REASON_LENGTH = 1024;

/** Why and from where a message was dead-lettered, as its properties record it. */
export interface DeadLetterHistory {
  /** The topic the message was first sent to (not the retry topic). */
  readonly originTopic: string;
  /** The id of the message as first sent. */
  readonly originMessageId: string;
  /** Failed deliveries, the last included (with the default limit of 16 retries: 17). */
  readonly reconsumeTimes: number;
  /** The retry limit the message ran out of; `undefined` when it was dead-lettered directly. */
  readonly maxReconsumeTimes: number | undefined;
  /** The failure reason given with the last failure, if any. */
  readonly reason: string | undefined;
}

// Retry and dead-letter bookkeeping: what a re-sent message sheds to look as first sent.
const HISTORY_PROPERTIES: readonly string[] = [
  SystemProperty.RETRY_TOPIC,
  SystemProperty.ORIGIN_MESSAGE_ID,
  SystemProperty.RECONSUME_TIME,
  SystemProperty.MAX_RECONSUME_TIMES,
  SystemProperty.DLQ_ORIGIN_TOPIC,
  SystemProperty.DLQ_ORIGIN_MESSAGE_ID,
  SystemProperty.DLQ_FAILURE_REASON,
  SystemProperty.DELAY_TIME_LEVEL,
  SystemProperty.REAL_TOPIC,
  SystemProperty.REAL_QUEUE_ID,
];

/**
 * The topic a consumed message was first sent to: its `RETRY_TOPIC` property once it has been through
 * the retry topic (RocketMQ's name for it: the property holds the topic retried *from*), else its topic.
 */
export function originTopicOf(message: Message): string {
  return message.properties[SystemProperty.RETRY_TOPIC] ?? message.topic;
}

/** The id the message had when first sent: its `ORIGIN_MESSAGE_ID` property, else its id. */
export function originMessageIdOf(message: Message): string {
  return message.properties[SystemProperty.ORIGIN_MESSAGE_ID] ?? message.messageId;
}

/**
 * The copy of a failed message for `%DLQ%<group>`: same id, body, keys, tag and user properties, the
 * reconsume count raised by one for this last failure, and its history in properties: `DLQ_ORIGIN_TOPIC`
 * and `RETRY_TOPIC` (origin topic), `DLQ_ORIGIN_MESSAGE_ID` and `ORIGIN_MESSAGE_ID` (origin id),
 * `RECONSUME_TIME` (failed deliveries), `MAX_RECONSUME_TIMES` (the limit, when it ran out of retries)
 * and `DLQ_FAILURE_REASON` (the reason, cut to {@link MAX_FAILURE_REASON_LENGTH} characters).
 */
export function toDeadLetter(
  group: string,
  failed: Message,
  options: { readonly reason?: string | undefined; readonly maxReconsumeTimes?: number | undefined } = {},
): Message {
  const originTopic = originTopicOf(failed);
  const originMessageId = originMessageIdOf(failed);
  const reconsumeTimes = failed.reconsumeTimes + 1;
  const properties: Record<string, string> = {
    ...failed.properties,
    [SystemProperty.RETRY_TOPIC]: originTopic,
    [SystemProperty.ORIGIN_MESSAGE_ID]: originMessageId,
    [SystemProperty.DLQ_ORIGIN_TOPIC]: originTopic,
    [SystemProperty.DLQ_ORIGIN_MESSAGE_ID]: originMessageId,
    [SystemProperty.RECONSUME_TIME]: String(reconsumeTimes),
  };
  delete properties[SystemProperty.MAX_RECONSUME_TIMES];
  delete properties[SystemProperty.DLQ_FAILURE_REASON];
  // The id of the relay that brought the failed copy; it means nothing for the dead letter.
  delete properties[SystemProperty.DELIVERY_ID];
  if (options.maxReconsumeTimes !== undefined) {
    properties[SystemProperty.MAX_RECONSUME_TIMES] = String(options.maxReconsumeTimes);
  }
  if (options.reason !== undefined) {
    properties[SystemProperty.DLQ_FAILURE_REASON] = options.reason.slice(0, MAX_FAILURE_REASON_LENGTH);
  }
  return {
    ...messageFieldsOf(failed),
    topic: deadLetterTopicOf(group),
    properties,
    deliveryTimestamp: undefined,
    reconsumeTimes,
  };
}

/** The history a dead letter carries (see {@link toDeadLetter}), or `undefined` for a message without one. */
export function deadLetterHistory(message: Message): DeadLetterHistory | undefined {
  const properties = message.properties;
  const originTopic = properties[SystemProperty.DLQ_ORIGIN_TOPIC];
  if (originTopic === undefined) return undefined;
  const maxText = properties[SystemProperty.MAX_RECONSUME_TIMES];
  return {
    originTopic,
    originMessageId: properties[SystemProperty.DLQ_ORIGIN_MESSAGE_ID] ?? message.messageId,
    reconsumeTimes: message.reconsumeTimes,
    maxReconsumeTimes: maxText === undefined || !/^\d+$/.test(maxText) ? undefined : Number(maxText),
    reason: properties[SystemProperty.DLQ_FAILURE_REASON],
  };
}

/**
 * A dead letter made ready to send again to its origin topic: the same id, body, keys, tag and user
 * properties, the retry and dead-letter bookkeeping removed, and the reconsume count back to 0, so it
 * gets the whole retry budget again. `undefined` when the message records no origin topic.
 */
export function toResent(deadLetter: Message): Message | undefined {
  const topic =
    deadLetter.properties[SystemProperty.DLQ_ORIGIN_TOPIC] ?? deadLetter.properties[SystemProperty.RETRY_TOPIC];
  if (topic === undefined) return undefined;
  const properties: Record<string, string> = { ...deadLetter.properties };
  for (const name of HISTORY_PROPERTIES) delete properties[name];
  delete properties[SystemProperty.DELIVERY_ID];
  return { ...messageFieldsOf(deadLetter), topic, properties, deliveryTimestamp: undefined, reconsumeTimes: 0 };
}
