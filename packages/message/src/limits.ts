import { EddyError } from './errors.js';
import type { Message } from './message.js';
import { validateTopicName } from './names.js';
import { RESERVED_PROPERTY_NAMES } from './system-property.js';

/** Size limits on a message. Defaults are RocketMQ's where it has one. */
export interface MessageLimits {
  /** Largest body, in bytes. Default 4 MiB (RocketMQ's and the gRPC client's `maxMessageSize`). */
  readonly maxBodySize: number;
  /** Largest total of user property names and values, in UTF-8 bytes. Default 16 KiB (RocketMQ's proxy). */
  readonly maxPropertiesSize: number;
  /** Most keys on one message. Default 64. */
  readonly maxKeys: number;
  /** Longest key, tag or message id, in UTF-8 bytes. Default 1024. */
  readonly maxFieldLength: number;
  /** Longest message group, in UTF-8 bytes. Default 64 (RocketMQ's `maxMessageGroupSize`). */
  readonly maxMessageGroupLength: number;
}

/** The default {@link MessageLimits}. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxBodySize: 4 * 1024 * 1024,
  maxPropertiesSize: 16 * 1024,
  maxKeys: 64,
  maxFieldLength: 1024,
  maxMessageGroupLength: 64,
});

function tooLong(what: string, value: number, limit: keyof MessageLimits, max: number): EddyError {
  return new EddyError('INVALID_MESSAGE', `${what} is ${value} bytes; the limit is ${max} (${limit})`, {
    details: { limit, value, max },
  });
}

/**
 * Checks a message against the limits and the model's rules: topic name (system names allowed, since
 * the broker writes its own topics), body size, keys, tag, properties (no reserved names), message
 * group and id. A producer-facing gateway also checks that a user's topic is not a system one.
 *
 * @returns `undefined` when the message is acceptable, otherwise the first violation found, with a code
 * (`MESSAGE_TOO_LARGE`, `PROPERTIES_TOO_LARGE`, `TOO_MANY_KEYS`, `RESERVED_PROPERTY`, `INVALID_MESSAGE`,
 * `INVALID_NAME`) and a message naming the limit.
 */
export function validateMessage(
  message: Message,
  limits: MessageLimits = DEFAULT_MESSAGE_LIMITS,
): EddyError | undefined {
  const topicError = validateTopicName(message.topic, { system: true });
  if (topicError) return topicError;
  if (message.body.byteLength > limits.maxBodySize) {
    return new EddyError(
      'MESSAGE_TOO_LARGE',
      `message body is ${message.body.byteLength} bytes; the limit is ${limits.maxBodySize} (maxBodySize)`,
      { details: { limit: 'maxBodySize', value: message.body.byteLength, max: limits.maxBodySize } },
    );
  }
  if (message.keys.length > limits.maxKeys) {
    return new EddyError(
      'TOO_MANY_KEYS',
      `message has ${message.keys.length} keys; the limit is ${limits.maxKeys} (maxKeys)`,
      { details: { limit: 'maxKeys', value: message.keys.length, max: limits.maxKeys } },
    );
  }
  for (const key of message.keys) {
    const length = Buffer.byteLength(key);
    if (length === 0) return new EddyError('INVALID_MESSAGE', 'message key is empty');
    if (length > limits.maxFieldLength) return tooLong('message key', length, 'maxFieldLength', limits.maxFieldLength);
  }
  if (message.tag !== undefined) {
    const length = Buffer.byteLength(message.tag);
    if (length === 0 || message.tag.trim() === '') return new EddyError('INVALID_MESSAGE', 'message tag is blank');
    if (message.tag.includes('||') || message.tag === '*') {
      return new EddyError('INVALID_MESSAGE', `message tag '${message.tag}' contains a filter operator ('||' or '*')`);
    }
    if (length > limits.maxFieldLength) return tooLong('message tag', length, 'maxFieldLength', limits.maxFieldLength);
  }
  const idLength = Buffer.byteLength(message.messageId);
  if (idLength === 0) return new EddyError('INVALID_MESSAGE', 'message id is empty');
  if (idLength > limits.maxFieldLength) return tooLong('message id', idLength, 'maxFieldLength', limits.maxFieldLength);
  if (message.messageGroup !== undefined) {
    const length = Buffer.byteLength(message.messageGroup);
    if (length === 0) return new EddyError('INVALID_MESSAGE', 'message group is empty');
    if (length > limits.maxMessageGroupLength) {
      return tooLong('message group', length, 'maxMessageGroupLength', limits.maxMessageGroupLength);
    }
  }
  let propertiesSize = 0;
  for (const name in message.properties) {
    if (name.length === 0) return new EddyError('INVALID_MESSAGE', 'property name is empty');
    if (RESERVED_PROPERTY_NAMES.has(name)) {
      return new EddyError('RESERVED_PROPERTY', `property name '${name}' is reserved for the system`);
    }
    propertiesSize += Buffer.byteLength(name) + Buffer.byteLength(message.properties[name] as string);
  }
  if (propertiesSize > limits.maxPropertiesSize) {
    return new EddyError(
      'PROPERTIES_TOO_LARGE',
      `message properties are ${propertiesSize} bytes; the limit is ${limits.maxPropertiesSize} (maxPropertiesSize)`,
      { details: { limit: 'maxPropertiesSize', value: propertiesSize, max: limits.maxPropertiesSize } },
    );
  }
  if (!Number.isSafeInteger(message.reconsumeTimes) || message.reconsumeTimes < 0) {
    return new EddyError(
      'INVALID_MESSAGE',
      `reconsumeTimes must be a non-negative integer, got ${message.reconsumeTimes}`,
    );
  }
  return undefined;
}
