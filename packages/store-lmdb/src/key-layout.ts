import { createHash } from 'node:crypto';

/**
 * Binary keys of the LMDB databases. LMDB orders keys by `memcmp` (shorter first on a tie), so every
 * integer is big-endian and fixed-width: a queue's messages are then one contiguous key range in offset
 * order, a topic's queues one range in queue-id order, and a reverse walk gives newest first.
 *
 * | database | key | value |
 * |---|---|---|
 * | `topics` | topic name (UTF-8) | topic id u32 |
 * | `queues` | topic id u32 · queue id u16 | {@link QueueState} (24 bytes) |
 * | `messages` | topic id u32 · queue id u16 · offset u64 | sequence u64 · stored record |
 * | `ids` | token(message id) · sequence u64 | message key (14 bytes) |
 * | `keys` | topic id u32 · token(key) · sequence u64 | message key (14 bytes) |
 * | `metadata` | metadata key (UTF-8) | value |
 * | `state` | name (ASCII) | counters |
 */
export const TOPIC_ID_SIZE = 4;
/** Topic id and queue id: the prefix of every message key of one queue. */
export const QUEUE_KEY_SIZE = 6;
export const MESSAGE_KEY_SIZE = 14;
/** The global append sequence that prefixes every stored record, for newest-first index walks. */
export const SEQUENCE_SIZE = 8;
/** LMDB's largest key with the default page size is 1978 bytes; tokens stay well below it. */
const MAX_RAW_TOKEN_BYTES = 1024;
/** A length no raw token has: it marks a hashed token. */
const HASHED_TOKEN_MARK = 0xffff;
const TWO_32 = 2 ** 32;

export function writeUint64(target: Buffer, position: number, value: number): void {
  target.writeUInt32BE(Math.floor(value / TWO_32), position);
  target.writeUInt32BE(value >>> 0, position + 4);
}

export function readUint64(source: Uint8Array, position: number): number {
  const view = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  return view.readUInt32BE(position) * TWO_32 + view.readUInt32BE(position + 4);
}

export function topicIdValue(topicId: number): Buffer {
  const value = Buffer.allocUnsafe(TOPIC_ID_SIZE);
  value.writeUInt32BE(topicId, 0);
  return value;
}

export function topicPrefix(topicId: number): Buffer {
  return topicIdValue(topicId);
}

export function queueKey(topicId: number, queueId: number): Buffer {
  const key = Buffer.allocUnsafe(QUEUE_KEY_SIZE);
  key.writeUInt32BE(topicId, 0);
  key.writeUInt16BE(queueId, 4);
  return key;
}

export function messageKey(topicId: number, queueId: number, offset: number): Buffer {
  const key = Buffer.allocUnsafe(MESSAGE_KEY_SIZE);
  key.writeUInt32BE(topicId, 0);
  key.writeUInt16BE(queueId, 4);
  writeUint64(key, 6, offset);
  return key;
}

/** The parts of a `messages` key. */
export interface MessageLocation {
  readonly topicId: number;
  readonly queueId: number;
  readonly offset: number;
}

export function parseMessageKey(key: Uint8Array): MessageLocation {
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return { topicId: view.readUInt32BE(0), queueId: view.readUInt16BE(4), offset: readUint64(view, 6) };
}

/**
 * A string as an index key part that no other string's token is a prefix of: a u16 byte length and the
 * UTF-8 bytes, or, above 1 KiB, a mark and a SHA-256 digest (look-ups confirm on the record itself).
 */
export function token(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.byteLength <= MAX_RAW_TOKEN_BYTES) {
    const result = Buffer.allocUnsafe(2 + bytes.byteLength);
    result.writeUInt16BE(bytes.byteLength, 0);
    bytes.copy(result, 2);
    return result;
  }
  const result = Buffer.allocUnsafe(2 + 32);
  result.writeUInt16BE(HASHED_TOKEN_MARK, 0);
  createHash('sha256').update(bytes).digest().copy(result, 2);
  return result;
}

/** `prefix` followed by a u64 sequence. */
export function withSequence(prefix: Buffer, sequence: number): Buffer {
  const key = Buffer.allocUnsafe(prefix.byteLength + SEQUENCE_SIZE);
  prefix.copy(key, 0);
  writeUint64(key, prefix.byteLength, sequence);
  return key;
}

export function idIndexPrefix(messageId: string): Buffer {
  return token(messageId);
}

export function keyIndexPrefix(topicId: number, key: string): Buffer {
  return Buffer.concat([topicIdValue(topicId), token(key)]);
}

/** The first key after every key that starts with `prefix`, or `undefined` when there is none (all 0xFF). */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let index = end.byteLength - 1; index >= 0; index--) {
    if ((end[index] as number) < 0xff) {
      end[index] = (end[index] as number) + 1;
      return end.subarray(0, index + 1);
    }
  }
  return undefined;
}

/** A queue's durable state: the `queues` value. */
export interface QueueState {
  readonly minOffset: number;
  readonly maxOffset: number;
  /** The store timestamp of the queue's last batch, so that a clock stepping back is absorbed across reopens. */
  readonly lastStoreTimestamp: number;
}

export const QUEUE_STATE_SIZE = 24;

export function encodeQueueState(state: QueueState): Buffer {
  const value = Buffer.allocUnsafe(QUEUE_STATE_SIZE);
  writeUint64(value, 0, state.minOffset);
  writeUint64(value, 8, state.maxOffset);
  writeUint64(value, 16, state.lastStoreTimestamp);
  return value;
}

export function decodeQueueState(value: Uint8Array): QueueState | undefined {
  if (value.byteLength !== QUEUE_STATE_SIZE) return undefined;
  return {
    minOffset: readUint64(value, 0),
    maxOffset: readUint64(value, 8),
    lastStoreTimestamp: readUint64(value, 16),
  };
}
