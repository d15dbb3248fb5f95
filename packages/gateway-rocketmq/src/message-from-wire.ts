import { createMessage, type Message, RESERVED_PROPERTY_NAMES, validateTopicName } from '@eddy/message';
import type { EddyMessageType } from './message-type.js';
import type { WireMessage, WireStatus } from './proto/wire-types.js';
import { statusOf } from './status.js';
import { timestampToMs } from './time.js';

/** What a sent message became: an Eddy message and its declared type, or the status that refuses it. */
export type InboundMessage =
  | { readonly ok: true; readonly message: Message; readonly type: EddyMessageType }
  | { readonly ok: false; readonly status: WireStatus };

/** Facts about the call a message came in on. */
export interface InboundContext {
  /** Now, ms since the epoch: the born time of a message that has none. */
  readonly now: number;
  /** The client's address, the born host of a message that names none. */
  readonly peerHost: string;
}

/**
 * Turns a `SendMessageRequest` message into an Eddy {@link Message}, checking what the protocol asks
 * of a gateway before the broker sees it: a user (non-system) topic name, a non-empty body, system
 * properties present, no reserved user property names, a plain (IDENTITY) body, and a message type
 * that agrees with the fields (FIFO ⇔ message group, DELAY ⇔ delivery time, TRANSACTION with
 * neither). Size limits, keys and tags are left to the broker, which checks them for every protocol.
 *
 * RocketMQ 5 has no producer groups: the topic stands in for one (transaction check-backs go to a
 * producer publishing to the topic), as in RocketMQ's proxy.
 */
export function messageFromWire(wire: WireMessage, context: InboundContext): InboundMessage {
  const topic = wire.topic?.name ?? '';
  const topicError = validateTopicName(topic);
  if (topicError) return refuse('ILLEGAL_TOPIC', topicError.message);
  const body = wire.body ?? new Uint8Array(0);
  if (body.byteLength === 0) return refuse('MESSAGE_BODY_EMPTY', `message to topic '${topic}' has an empty body`);
  const system = wire.systemProperties;
  if (system === undefined) return refuse('BAD_REQUEST', 'message has no system_properties');
  if (system.bodyEncoding === 'GZIP') {
    return refuse('UNSUPPORTED', 'GZIP message bodies are not accepted; send the body uncompressed (IDENTITY)');
  }
  const properties = wire.userProperties ?? {};
  for (const name of Object.keys(properties)) {
    if (RESERVED_PROPERTY_NAMES.has(name)) {
      return refuse('ILLEGAL_MESSAGE_PROPERTY_KEY', `user property '${name}' is a reserved system property name`);
    }
  }
  const messageGroup =
    system.messageGroup === undefined || system.messageGroup === '' ? undefined : system.messageGroup;
  const deliveryTimestamp = timestampToMs(system.deliveryTimestamp);
  const declared = system.messageType ?? 'MESSAGE_TYPE_UNSPECIFIED';
  if (declared === 'LITE' || declared === 'PRIORITY' || system.liteTopic !== undefined) {
    return refuse('UNSUPPORTED', `${declared === 'PRIORITY' ? 'priority' : 'lite topic'} messages are not supported`);
  }
  const type: EddyMessageType =
    declared === 'MESSAGE_TYPE_UNSPECIFIED'
      ? messageGroup !== undefined
        ? 'FIFO'
        : deliveryTimestamp !== undefined
          ? 'DELAY'
          : 'NORMAL'
      : declared;
  const conflict = typeConflict(type, messageGroup !== undefined, deliveryTimestamp !== undefined);
  if (conflict !== undefined) return refuse('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', conflict);
  const message = createMessage({
    topic,
    body,
    keys: system.keys ?? [],
    tag: system.tag,
    properties,
    messageId: system.messageId === '' ? undefined : system.messageId,
    bornTimestamp: timestampToMs(system.bornTimestamp) ?? context.now,
    bornHost: system.bornHost === undefined || system.bornHost === '' ? context.peerHost : system.bornHost,
    producerGroup: topic,
    messageGroup,
    deliveryTimestamp,
    transaction: type === 'TRANSACTION' ? 'prepared' : 'none',
  });
  return { ok: true, message, type };
}

function typeConflict(type: EddyMessageType, hasGroup: boolean, hasDeliveryTime: boolean): string | undefined {
  switch (type) {
    case 'NORMAL':
      if (hasGroup) return 'a NORMAL message cannot have a message group (that makes it FIFO)';
      if (hasDeliveryTime) return 'a NORMAL message cannot have a delivery timestamp (that makes it DELAY)';
      return undefined;
    case 'FIFO':
      if (!hasGroup) return 'a FIFO message needs a message group';
      if (hasDeliveryTime) return 'a FIFO message cannot have a delivery timestamp';
      return undefined;
    case 'DELAY':
      if (!hasDeliveryTime) return 'a DELAY message needs a delivery timestamp';
      if (hasGroup) return 'a DELAY message cannot have a message group';
      return undefined;
    case 'TRANSACTION':
      if (hasGroup || hasDeliveryTime)
        return 'a TRANSACTION message cannot have a message group or a delivery timestamp';
      return undefined;
  }
}

function refuse(code: WireStatus['code'], message: string): InboundMessage {
  return { ok: false, status: statusOf(code, message) };
}
