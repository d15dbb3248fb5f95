import { DEFAULT_MESSAGE_LIMITS, EddyError, type Message } from '@eddy/message';

/** The largest queue id an engine must accept. */
export const MAX_QUEUE_ID = 65535;

/**
 * The checks every engine makes before an append, so that all engines reject the same input the same
 * way: a valid queue id, a non-empty batch, every message of this topic, within `maxBodySize` and
 * storable ({@link checkStorable}).
 *
 * @throws `EMPTY_BATCH`, `INVALID_ARGUMENT`, `MESSAGE_TOO_LARGE` or `INVALID_MESSAGE`.
 */
export function checkAppend(
  topic: string,
  queueId: number,
  messages: readonly Message[],
  maxBodySize: number = DEFAULT_MESSAGE_LIMITS.maxBodySize,
): void {
  checkQueueId(queueId);
  if (typeof topic !== 'string' || topic.length === 0) throw new EddyError('INVALID_ARGUMENT', 'topic is empty');
  if (messages.length === 0) throw new EddyError('EMPTY_BATCH', `append to ${topic}/${queueId} has no messages`);
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Message;
    if (message.topic !== topic) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `message ${i} of the batch is for topic '${message.topic}', not '${topic}'`,
      );
    }
    if (message.body.byteLength > maxBodySize) {
      throw new EddyError(
        'MESSAGE_TOO_LARGE',
        `message body is ${message.body.byteLength} bytes; the limit is ${maxBodySize} (maxBodySize)`,
        { details: { limit: 'maxBodySize', value: message.body.byteLength, max: maxBodySize, index: i } },
      );
    }
    checkStorable(message, i);
  }
}

const MAX_STRING_BYTES = 0xffff;

function checkString(value: string | undefined, field: string, index: number): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so only long strings need measuring.
  if (value === undefined || value.length * 3 <= MAX_STRING_BYTES) return;
  const size = Buffer.byteLength(value);
  if (size > MAX_STRING_BYTES) {
    throw new EddyError(
      'INVALID_MESSAGE',
      `message ${index}: ${field} is ${size} bytes; a stored field holds at most 65535`,
      {
        details: { field, value: size, max: MAX_STRING_BYTES, index },
      },
    );
  }
}

function checkInteger(value: number | undefined, field: string, index: number, max: number): void {
  if (value === undefined || (Number.isInteger(value) && value >= 0 && value <= max)) return;
  throw new EddyError('INVALID_MESSAGE', `message ${index}: ${field} must be an integer in 0…${max}, got ${value}`, {
    details: { field, value, max, index },
  });
}

/**
 * Checks that a message fits the stored-record format every disk engine uses (strings up to 64 KiB,
 * non-negative integer times), so that the memory engine rejects exactly what the disk engines would.
 * Business limits (`validateMessage` in `@eddy/message`) are the caller's job.
 *
 * @throws `INVALID_MESSAGE` naming the field.
 */
export function checkStorable(message: Message, index = 0): void {
  checkString(message.topic, 'topic', index);
  checkString(message.messageId, 'messageId', index);
  checkString(message.tag, 'tag', index);
  checkString(message.bornHost, 'bornHost', index);
  checkString(message.producerGroup, 'producerGroup', index);
  checkString(message.messageGroup, 'messageGroup', index);
  if (message.keys.length > MAX_STRING_BYTES) checkInteger(message.keys.length, 'keys.length', index, MAX_STRING_BYTES);
  for (const key of message.keys) checkString(key, 'key', index);
  let count = 0;
  for (const name in message.properties) {
    checkString(name, 'property name', index);
    count++;
  }
  checkInteger(count, 'property count', index, MAX_STRING_BYTES);
  checkInteger(message.bornTimestamp, 'bornTimestamp', index, Number.MAX_SAFE_INTEGER);
  checkInteger(message.deliveryTimestamp, 'deliveryTimestamp', index, Number.MAX_SAFE_INTEGER);
  checkInteger(message.reconsumeTimes, 'reconsumeTimes', index, 0xffffffff);
}

/** @throws `INVALID_ARGUMENT` unless `queueId` is an integer in 0 … {@link MAX_QUEUE_ID}. */
export function checkQueueId(queueId: number): void {
  if (!Number.isInteger(queueId) || queueId < 0 || queueId > MAX_QUEUE_ID) {
    throw new EddyError('INVALID_ARGUMENT', `queue id must be an integer in 0…${MAX_QUEUE_ID}, got ${queueId}`);
  }
}

/** @throws `INVALID_ARGUMENT` unless `offset` is a non-negative safe integer. */
export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new EddyError('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${offset}`);
  }
}

/** The error a store throws once it is closed. */
export function storeClosedError(engine: string): EddyError {
  return new EddyError('STORE_CLOSED', `the ${engine} store is closed`);
}
