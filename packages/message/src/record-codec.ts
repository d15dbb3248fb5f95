import { crc32c, crc32cOfRange } from './crc32c.js';
import { EddyError } from './errors.js';
import type { Message, StoredMessage, TransactionPhase } from './message.js';
import { type RecordFieldCache, utf8Length, writeUtf8 } from './utf8-fields.js';

/**
 * The stored-record codec: one message as the disk engines keep it. Layout, version 1, big-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | total size of the record, header included |
 * | 4 | 2 | magic `0xEDD1` |
 * | 6 | 1 | version (1) |
 * | 7 | 1 | flags: bits 0–1 transaction phase, bit 2 tag, bit 3 delivery time, bit 4 producer group, bit 5 message group |
 * | 8 | 4 | CRC32C over bytes [0, 8) followed by [12, total size) |
 * | 12 | 4 | queue id |
 * | 16 | 8 | queue offset |
 * | 24 | 8 | store timestamp (ms) |
 * | 32 | 8 | born timestamp (ms) |
 * | 40 | 8 | delivery timestamp (ms, 0 when absent) |
 * | 48 | 4 | reconsume times |
 * | 52 | 4 | body size |
 * | 56 | … | topic, message id, [tag], born host, [producer group], [message group]: each a u16 length + UTF-8 |
 * | … | … | key count (u16), then each key as u16 length + UTF-8 |
 * | … | … | property count (u16), then each name as u16 length + UTF-8 and value as u32 length + UTF-8 |
 * | … | … | body |
 *
 * The CRC covers everything but itself, so a flipped bit anywhere, a torn write or a wrong length is
 * caught. Fields a reader needs for filtering (queue offset, timestamps, tag) sit before the body.
 */
export const RECORD_MAGIC = 0xedd1;
/** The version this codec writes. */
export const RECORD_VERSION = 1;
/** Bytes at the start of every record that say its size and identify it: size, magic, version, flags, CRC. */
export const RECORD_HEADER_SIZE = 12;
const FIXED_SIZE = 56;
/**
 * The smallest possible record: the three strings always present (topic, message id, born host) empty,
 * no keys, no properties, empty body.
 */
export const MIN_RECORD_SIZE = FIXED_SIZE + 2 * 3 + 2 * 2;

const FLAG_TAG = 1 << 2;
const FLAG_DELIVERY = 1 << 3;
const FLAG_PRODUCER_GROUP = 1 << 4;
const FLAG_MESSAGE_GROUP = 1 << 5;
const PHASES: readonly TransactionPhase[] = ['none', 'prepared', 'commit', 'rollback'];
const TWO_32 = 2 ** 32;

/** What a stored record holds: a message plus its queue position and store time. */
export type RecordFields = Message & Pick<StoredMessage, 'queueId' | 'queueOffset' | 'storeTimestamp'>;

function stringSize(value: string | undefined): number {
  return value === undefined ? 0 : 2 + utf8Length(value);
}

/** The exact number of bytes {@link encodeRecordInto} writes for this message. */
export function encodedRecordSize(message: Message): number {
  let size =
    FIXED_SIZE +
    stringSize(message.topic) +
    stringSize(message.messageId) +
    stringSize(message.tag) +
    stringSize(message.bornHost) +
    stringSize(message.producerGroup) +
    stringSize(message.messageGroup) +
    4 +
    message.body.byteLength;
  const keys = message.keys;
  for (let i = 0; i < keys.length; i++) size += 2 + utf8Length(keys[i] as string);
  const properties = message.properties;
  for (const name in properties) size += 6 + utf8Length(name) + utf8Length(properties[name] as string);
  return size;
}

// Direct byte stores: Buffer's writers re-check their arguments on every call, and these run per field.
function putUint32(target: Buffer, position: number, value: number): void {
  target[position] = value >>> 24;
  target[position + 1] = value >>> 16;
  target[position + 2] = value >>> 8;
  target[position + 3] = value;
}

function putUint16(target: Buffer, position: number, value: number): void {
  target[position] = value >>> 8;
  target[position + 1] = value;
}

function writeUint64(target: Buffer, position: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EddyError('INVALID_ARGUMENT', `cannot store ${value}: record integers are non-negative safe integers`);
  }
  putUint32(target, position, Math.floor(value / TWO_32));
  putUint32(target, position + 4, value >>> 0);
}

// Buffer's own writers throw a RangeError out of range and silently truncate fractions; invalid input is
// an INVALID_ARGUMENT here, as it is for the 64-bit fields.
function checkUint(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new EddyError('INVALID_ARGUMENT', `${what} is ${value}; a record stores an integer in 0…${max}`);
  }
  return value;
}

function writeString16(target: Buffer, position: number, value: string): number {
  const length = writeUtf8(target, position + 2, value);
  if (length > 0xffff)
    throw new EddyError('INVALID_ARGUMENT', `a record string is ${length} bytes; the limit is 65535`);
  putUint16(target, position, length);
  return position + 2 + length;
}

function phaseFlags(phase: TransactionPhase): number {
  switch (phase) {
    case 'none':
      return 0;
    case 'prepared':
      return 1;
    case 'commit':
      return 2;
    case 'rollback':
      return 3;
    default:
      throw new EddyError('INVALID_ARGUMENT', `unknown transaction phase '${phase as string}'`);
  }
}

/**
 * Writes one record at `position` of `target` and returns the position after it. `target` must have
 * {@link encodedRecordSize} bytes free there. Several records can be written back to back into one
 * buffer, so that a batch is one write.
 */
export function encodeRecordInto(target: Buffer, position: number, record: RecordFields): number {
  let flags = phaseFlags(record.transaction);
  if (record.tag !== undefined) flags |= FLAG_TAG;
  if (record.deliveryTimestamp !== undefined) flags |= FLAG_DELIVERY;
  if (record.producerGroup !== undefined) flags |= FLAG_PRODUCER_GROUP;
  if (record.messageGroup !== undefined) flags |= FLAG_MESSAGE_GROUP;
  putUint16(target, position + 4, RECORD_MAGIC);
  target[position + 6] = RECORD_VERSION;
  target[position + 7] = flags;
  putUint32(target, position + 12, checkUint(record.queueId, 0xffffffff, 'queue id'));
  writeUint64(target, position + 16, record.queueOffset);
  writeUint64(target, position + 24, record.storeTimestamp);
  writeUint64(target, position + 32, record.bornTimestamp);
  writeUint64(target, position + 40, record.deliveryTimestamp ?? 0);
  putUint32(target, position + 48, checkUint(record.reconsumeTimes, 0xffffffff, 'reconsumeTimes'));
  putUint32(target, position + 52, record.body.byteLength);
  let cursor = writeString16(target, position + FIXED_SIZE, record.topic);
  cursor = writeString16(target, cursor, record.messageId);
  if (record.tag !== undefined) cursor = writeString16(target, cursor, record.tag);
  cursor = writeString16(target, cursor, record.bornHost);
  if (record.producerGroup !== undefined) cursor = writeString16(target, cursor, record.producerGroup);
  if (record.messageGroup !== undefined) cursor = writeString16(target, cursor, record.messageGroup);
  const keys = record.keys;
  putUint16(target, cursor, checkUint(keys.length, 0xffff, 'the key count'));
  cursor += 2;
  for (let i = 0; i < keys.length; i++) cursor = writeString16(target, cursor, keys[i] as string);
  const countPosition = cursor;
  cursor += 2;
  let count = 0;
  const properties = record.properties;
  for (const name in properties) {
    cursor = writeString16(target, cursor, name);
    const length = writeUtf8(target, cursor + 4, properties[name] as string);
    putUint32(target, cursor, length);
    cursor += 4 + length;
    count++;
  }
  putUint16(target, countPosition, checkUint(count, 0xffff, 'the property count'));
  target.set(record.body, cursor);
  cursor += record.body.byteLength;
  const size = cursor - position;
  putUint32(target, position, size);
  putUint32(target, position + 8, checksum(target, position, size));
  return cursor;
}

/** Encodes one record into a new buffer. */
export function encodeRecord(record: RecordFields): Buffer {
  const target = Buffer.allocUnsafe(encodedRecordSize(record));
  encodeRecordInto(target, 0, record);
  return target;
}

function checksum(bytes: Buffer, position: number, size: number): number {
  // The 8 head bytes in JavaScript and the rest in one native call: one crossing per record, not two.
  const head = crc32cOfRange(bytes, position, position + 8);
  return crc32c(bytes.subarray(position + RECORD_HEADER_SIZE, position + size), head);
}

/** Why bytes are not a valid record. `truncated` means the bytes end before the record does. */
export type RecordFault = 'truncated' | 'bad-magic' | 'bad-version' | 'bad-size' | 'checksum' | 'malformed';

/** The outcome of reading a record header. */
export type RecordHeaderResult =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly fault: RecordFault; readonly error: EddyError };

/** The outcome of decoding a record. */
export type RecordDecodeResult =
  | { readonly ok: true; readonly record: StoredMessage; readonly size: number }
  | { readonly ok: false; readonly fault: RecordFault; readonly error: EddyError };

function fail(
  fault: RecordFault,
  position: number,
  detail: string,
): { ok: false; fault: RecordFault; error: EddyError } {
  return {
    ok: false,
    fault,
    error: new EddyError('CORRUPT_DATA', `record at byte ${position}: ${detail}`, { details: { fault, position } }),
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads the size of the record at `position` after checking its magic and version, without decoding
 * or checking the CRC: enough to walk a log. A size that runs past the end of `bytes` is `truncated`.
 */
export function readRecordHeader(bytes: Uint8Array, position = 0): RecordHeaderResult {
  const available = bytes.byteLength - position;
  if (available < RECORD_HEADER_SIZE) {
    return fail('truncated', position, `${available} bytes left; a record header needs ${RECORD_HEADER_SIZE}`);
  }
  const buffer = asBuffer(bytes);
  const magic = buffer.readUInt16BE(position + 4);
  if (magic !== RECORD_MAGIC) return fail('bad-magic', position, `magic is 0x${magic.toString(16)}, not 0xedd1`);
  const version = buffer.readUInt8(position + 6);
  if (version !== RECORD_VERSION) return fail('bad-version', position, `version ${version} is not supported`);
  const size = buffer.readUInt32BE(position);
  if (size < MIN_RECORD_SIZE) return fail('bad-size', position, `size ${size} is below the minimum ${MIN_RECORD_SIZE}`);
  if (size > available) return fail('truncated', position, `size is ${size} but only ${available} bytes are left`);
  return { ok: true, size };
}

const EMPTY_KEYS: readonly string[] = Object.freeze([]);
const EMPTY_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

// Cache slots of RecordFieldCache.
const SLOT_TOPIC = 0;
const SLOT_TAG = 1;
const SLOT_HOST = 2;
const SLOT_PRODUCER_GROUP = 3;

function uint32At(buffer: Buffer, position: number): number {
  return (
    (buffer[position] as number) * 0x1000000 +
    (((buffer[position + 1] as number) << 16) |
      ((buffer[position + 2] as number) << 8) |
      (buffer[position + 3] as number))
  );
}

function uint16At(buffer: Buffer, position: number): number {
  return ((buffer[position] as number) << 8) | (buffer[position + 1] as number);
}

/**
 * Decodes the record at `position`. Never throws on bad bytes: truncated or corrupt input gives
 * `{ ok: false, fault, error }` with a `CORRUPT_DATA` error naming the position. The body is a view
 * into `bytes` (no copy); copy it if `bytes` will be reused. A record without keys or properties shares
 * one frozen empty array or object.
 *
 * @param options.verifyChecksum check the CRC32C (default true).
 * @param options.cache a {@link RecordFieldCache} the caller keeps across records, to reuse repeated strings.
 */
export function decodeRecord(
  bytes: Uint8Array,
  position = 0,
  options: { verifyChecksum?: boolean; cache?: RecordFieldCache } = {},
): RecordDecodeResult {
  const header = readRecordHeader(bytes, position);
  if (!header.ok) return header;
  const size = header.size;
  const buffer = asBuffer(bytes);
  if (options.verifyChecksum ?? true) {
    const stored = uint32At(buffer, position + 8);
    const actual = checksum(buffer, position, size);
    if (stored !== actual) {
      return fail('checksum', position, `CRC32C is 0x${actual.toString(16)}, the record says 0x${stored.toString(16)}`);
    }
  }
  const cache = options.cache;
  const end = position + size;
  const flags = buffer[position + 7] as number;
  let cursor = position + FIXED_SIZE;
  let malformed = false;
  // Every length is checked against the record's end before it is used; `malformed` records the first overrun.
  const readString = (slot: number): string => {
    if (malformed || cursor + 2 > end) {
      malformed = true;
      return '';
    }
    const length = uint16At(buffer, cursor);
    const start = cursor + 2;
    if (start + length > end) {
      malformed = true;
      return '';
    }
    cursor = start + length;
    if (length === 0) return '';
    return cache !== undefined && slot >= 0
      ? cache.decode(slot, buffer, start, start + length)
      : buffer.toString('utf8', start, start + length);
  };
  const topic = readString(SLOT_TOPIC);
  const messageId = readString(-1);
  const tag = flags & FLAG_TAG ? readString(SLOT_TAG) : undefined;
  const bornHost = readString(SLOT_HOST);
  const producerGroup = flags & FLAG_PRODUCER_GROUP ? readString(SLOT_PRODUCER_GROUP) : undefined;
  const messageGroup = flags & FLAG_MESSAGE_GROUP ? readString(-1) : undefined;
  if (malformed || cursor + 2 > end) {
    return fail('malformed', position, 'a string field runs past the end of the record');
  }
  const keyCount = uint16At(buffer, cursor);
  cursor += 2;
  let keys = EMPTY_KEYS;
  if (keyCount > 0) {
    const read: string[] = new Array(keyCount);
    for (let i = 0; i < keyCount; i++) read[i] = readString(-1);
    if (malformed) return fail('malformed', position, 'a key runs past the end of the record');
    keys = read;
  }
  if (cursor + 2 > end) return fail('malformed', position, 'the property count runs past the end of the record');
  const propertyCount = uint16At(buffer, cursor);
  cursor += 2;
  let properties = EMPTY_PROPERTIES;
  if (propertyCount > 0) {
    const entries: [string, string][] = new Array(propertyCount);
    for (let i = 0; i < propertyCount; i++) {
      const name = readString(-1);
      if (malformed || cursor + 4 > end) return fail('malformed', position, 'a property runs past the end');
      const length = uint32At(buffer, cursor);
      if (cursor + 4 + length > end) return fail('malformed', position, 'a property value runs past the end');
      entries[i] = [name, buffer.toString('utf8', cursor + 4, cursor + 4 + length)];
      cursor += 4 + length;
    }
    // fromEntries defines own properties, so a property named "__proto__" stays a property.
    properties = Object.fromEntries(entries);
  }
  const bodySize = uint32At(buffer, position + 52);
  if (cursor + bodySize !== end) {
    return fail('malformed', position, `body size ${bodySize} does not match the ${end - cursor} bytes left`);
  }
  const record: StoredMessage = {
    topic,
    body: buffer.subarray(cursor, end),
    keys,
    tag,
    properties,
    messageId,
    bornTimestamp: readUint64(buffer, position + 32),
    bornHost,
    producerGroup,
    messageGroup,
    deliveryTimestamp: flags & FLAG_DELIVERY ? readUint64(buffer, position + 40) : undefined,
    transaction: PHASES[flags & 3] as TransactionPhase,
    reconsumeTimes: uint32At(buffer, position + 48),
    queueId: uint32At(buffer, position + 12),
    queueOffset: readUint64(buffer, position + 16),
    storeTimestamp: readUint64(buffer, position + 24),
  };
  return { ok: true, record, size };
}

function readUint64(buffer: Buffer, position: number): number {
  return uint32At(buffer, position) * TWO_32 + uint32At(buffer, position + 4);
}
