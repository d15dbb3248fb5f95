import type { Message, TopicMessageType } from '@eddy/message';
import type { WireMessageType } from './proto/wire-types.js';

/** The message types Eddy's topics know; `LITE` and `PRIORITY` are newer RocketMQ kinds it does not offer. */
export type EddyMessageType = Exclude<TopicMessageType, 'MIXED'>;

/** The four types a `MIXED` topic accepts, in the order routes list them. */
export const ALL_MESSAGE_TYPES: readonly EddyMessageType[] = Object.freeze(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']);

/**
 * What kind a message is by its fields, by the client's rules: a transaction makes TRANSACTION, a
 * message group FIFO, a delivery time DELAY, nothing NORMAL.
 */
export function messageTypeOf(
  message: Pick<Message, 'transaction' | 'messageGroup' | 'deliveryTimestamp'>,
): EddyMessageType {
  if (message.transaction !== 'none') return 'TRANSACTION';
  if (message.messageGroup !== undefined) return 'FIFO';
  if (message.deliveryTimestamp !== undefined) return 'DELAY';
  return 'NORMAL';
}

/** The `accept_message_types` of a topic's queues. */
export function acceptedMessageTypes(topicType: TopicMessageType): WireMessageType[] {
  return topicType === 'MIXED' ? [...ALL_MESSAGE_TYPES] : [topicType];
}

/** True when a topic of `topicType` takes messages of `messageType` (RocketMQ 5's `message.type` check). */
export function topicAccepts(topicType: TopicMessageType, messageType: EddyMessageType): boolean {
  return topicType === 'MIXED' || topicType === messageType;
}
