import { DEFAULT_MESSAGE_LIMITS, EddyError, type Message } from '@eddy/message';
import type { EncodedBatch } from './encoded-batch.js';

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

function checkString(value: string | undefined, field: string, index: number, max = MAX_STRING_BYTES): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so only long strings need measuring.
  if (value === undefined || value.length * 3 <= max) return;
  const size = Buffer.byteLength(value);
  if (size > max) {
    throw new EddyError(
      'INVALID_MESSAGE',
      `message ${index}: ${field} is ${size} bytes; a stored field holds at most ${max}`,
      {
        details: { field, value: size, max, index },
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

/** Most records one encoded batch may hold. */
export const MAX_ENCODED_BATCH_RECORDS = 1_000_000;

/**
 * The checks every engine makes on an `appendEncoded` (see `EncodedBatchStore`), in this order.
 *
 * @throws `INVALID_ARGUMENT` for a bad queue id or topic, a format name that is empty or over 255
 * characters, or tags / keys arrays of another length than `count`; `EMPTY_BATCH` for a count below 1;
 * `MESSAGE_TOO_LARGE` for bytes over `maxBodySize` or more than {@link MAX_ENCODED_BATCH_RECORDS} records;
 * `INVALID_MESSAGE` for a tag or key over 65,534 UTF-8 bytes.
 */
export function checkEncodedBatch(
  topic: string,
  queueId: number,
  batch: EncodedBatch,
  maxBodySize: number = DEFAULT_MESSAGE_LIMITS.maxBodySize,
): void {
  checkQueueId(queueId);
  if (typeof topic !== 'string' || topic.length === 0) throw new EddyError('INVALID_ARGUMENT', 'topic is empty');
  checkString(topic, 'topic', 0);
  const { format, bytes, count, tags, keys } = batch;
  if (typeof format !== 'string' || format.length === 0 || format.length > 255) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `an encoded batch's format must be a name of 1…255 characters, got '${String(format)}'`,
    );
  }
  if (!(bytes instanceof Uint8Array)) throw new EddyError('INVALID_ARGUMENT', 'an encoded batch needs its bytes');
  if (!Number.isInteger(count) || count < 1) {
    throw new EddyError('EMPTY_BATCH', `append to ${topic}/${queueId} has an encoded batch of ${count} records`);
  }
  if (count > MAX_ENCODED_BATCH_RECORDS) {
    throw new EddyError(
      'MESSAGE_TOO_LARGE',
      `an encoded batch holds ${count} records; the limit is ${MAX_ENCODED_BATCH_RECORDS}`,
    );
  }
  if (bytes.byteLength > maxBodySize) {
    throw new EddyError(
      'MESSAGE_TOO_LARGE',
      `encoded batch is ${bytes.byteLength} bytes; the limit is ${maxBodySize} (maxBodySize)`,
      { details: { limit: 'maxBodySize', value: bytes.byteLength, max: maxBodySize } },
    );
  }
  for (const [name, list] of [
    ['tags', tags],
    ['keys', keys],
  ] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.length !== count)) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `an encoded batch of ${count} records has ${name} for ${Array.isArray(list) ? list.length : 'no'} records`,
      );
    }
  }
  if (tags !== undefined) for (let i = 0; i < count; i++) checkString(tags[i], 'tag', i, MAX_STRING_BYTES - 1);
  if (keys !== undefined) {
    for (let i = 0; i < count; i++) {
      const list = keys[i];
      if (list === undefined) continue;
      checkInteger(list.length, 'keys.length', i, MAX_STRING_BYTES);
      for (const key of list) checkString(key, 'key', i, MAX_STRING_BYTES - 1);
    }
  }
}
