import { type Clock, systemClock } from './clock.js';
import { defaultMessageIdGenerator, type MessageIdGenerator } from './message-id.js';

/**
 * Where a message stands in the transaction protocol. `'none'` for an ordinary message; `'prepared'`
 * for a half message waiting for its producer's decision; `'commit'` / `'rollback'` for the decision.
 */
export type TransactionPhase = 'none' | 'prepared' | 'commit' | 'rollback';

/**
 * A message as a producer sends it, complete: every field has a value (see {@link createMessage} for
 * defaults). RocketMQ's model: one topic, one optional tag, any number of keys and user properties.
 */
export interface Message {
  /** The topic the message is sent to. */
  readonly topic: string;
  /** The payload, opaque to the broker. */
  readonly body: Uint8Array;
  /** Business keys for look-up (RocketMQ `KEYS`; a Kafka record key is the first key). */
  readonly keys: readonly string[];
  /** The one tag used for server-side filtering, if any. */
  readonly tag: string | undefined;
  /** User properties (Kafka headers map here). System fields have their own members, not properties. */
  readonly properties: Readonly<Record<string, string>>;
  /** Unique id; a client-supplied id is kept as it came, otherwise one from {@link MessageIdGenerator}. */
  readonly messageId: string;
  /** When the producer made the message, in ms since the epoch. */
  readonly bornTimestamp: number;
  /** The producer's address, `host:port` or a host name; empty when unknown. */
  readonly bornHost: string;
  /** The producer group, used to check back transactions. */
  readonly producerGroup: string | undefined;
  /** FIFO message group: messages of one group are delivered in order, one at a time. */
  readonly messageGroup: string | undefined;
  /** Earliest delivery time in ms since the epoch, for delayed and timer messages. */
  readonly deliveryTimestamp: number | undefined;
  /** Transaction state of this message. */
  readonly transaction: TransactionPhase;
  /** How many times this message has been consumed and failed (0 on first delivery). */
  readonly reconsumeTimes: number;
}

/** A message as the store returns it: the broker-assigned queue position and store time are set. */
export interface StoredMessage extends Message {
  /** The queue (Kafka partition) within the topic. */
  readonly queueId: number;
  /** Position within the queue: 0, 1, 2, … contiguous and never reused. Safe integers only. */
  readonly queueOffset: number;
  /** When the store appended the message, ms since the epoch; never decreases within a queue. */
  readonly storeTimestamp: number;
}

/** What a caller must give to make a {@link Message}; everything else has a default. */
export interface MessageInit {
  topic: string;
  body: Uint8Array | string;
  keys?: readonly string[] | undefined;
  tag?: string | undefined;
  properties?: Readonly<Record<string, string>> | undefined;
  messageId?: string | undefined;
  bornTimestamp?: number | undefined;
  bornHost?: string | undefined;
  producerGroup?: string | undefined;
  messageGroup?: string | undefined;
  deliveryTimestamp?: number | undefined;
  transaction?: TransactionPhase | undefined;
  reconsumeTimes?: number | undefined;
}

const encoder = new TextEncoder();

/**
 * Fills in the defaults of a message: a new id (unless one is given), the born time from the clock,
 * no keys, no properties, no transaction. It does not validate; see {@link validateMessage}.
 */
export function createMessage(init: MessageInit, context: { clock?: Clock; ids?: MessageIdGenerator } = {}): Message {
  const clock = context.clock ?? systemClock;
  return {
    topic: init.topic,
    body: typeof init.body === 'string' ? encoder.encode(init.body) : init.body,
    keys: init.keys ?? [],
    tag: init.tag,
    properties: init.properties ?? {},
    messageId: init.messageId ?? (context.ids ?? defaultMessageIdGenerator()).next(),
    bornTimestamp: init.bornTimestamp ?? clock.now(),
    bornHost: init.bornHost ?? '',
    producerGroup: init.producerGroup,
    messageGroup: init.messageGroup,
    deliveryTimestamp: init.deliveryTimestamp,
    transaction: init.transaction ?? 'none',
    reconsumeTimes: init.reconsumeTimes ?? 0,
  };
}

/**
 * The {@link Message} fields of a message alone. A {@link StoredMessage}'s queue position and store time
 * must not leak into a copy that is appended elsewhere (a relay, a retry, a dead letter).
 */
export function messageFieldsOf(message: Message): Message {
  return {
    topic: message.topic,
    body: message.body,
    keys: message.keys,
    tag: message.tag,
    properties: message.properties,
    messageId: message.messageId,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    producerGroup: message.producerGroup,
    messageGroup: message.messageGroup,
    deliveryTimestamp: message.deliveryTimestamp,
    transaction: message.transaction,
    reconsumeTimes: message.reconsumeTimes,
  };
}
