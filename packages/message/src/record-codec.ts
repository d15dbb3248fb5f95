import { crc32c } from './crc32c.js';
import { EddyError } from './errors.js';
import type { Message, StoredMessage, TransactionPhase } from './message.js';

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
  return value === undefined ? 0 : 2 + Buffer.byteLength(value);
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
  for (const key of message.keys) size += 2 + Buffer.byteLength(key);
  const properties = message.properties;
  for (const name in properties) size += 6 + Buffer.byteLength(name) + Buffer.byteLength(properties[name] as string);
  return size;
}

function writeUint64(target: Buffer, position: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EddyError('INVALID_ARGUMENT', `cannot store ${value}: record integers are non-negative safe integers`);
  }
  target.writeUInt32BE(Math.floor(value / TWO_32), position);
  target.writeUInt32BE(value >>> 0, position + 4);
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
  const length = target.write(value, position + 2, 'utf8');
  if (length > 0xffff)
    throw new EddyError('INVALID_ARGUMENT', `a record string is ${length} bytes; the limit is 65535`);
  target.writeUInt16BE(length, position);
  return position + 2 + length;
}

/**
 * Writes one record at `position` of `target` and returns the position after it. `target` must have
 * {@link encodedRecordSize} bytes free there. Several records can be written back to back into one
 * buffer, so that a batch is one write.
 */
export function encodeRecordInto(target: Buffer, position: number, record: RecordFields): number {
  let flags = PHASES.indexOf(record.transaction);
  if (flags < 0) throw new EddyError('INVALID_ARGUMENT', `unknown transaction phase '${record.transaction}'`);
  if (record.tag !== undefined) flags |= FLAG_TAG;
  if (record.deliveryTimestamp !== undefined) flags |= FLAG_DELIVERY;
  if (record.producerGroup !== undefined) flags |= FLAG_PRODUCER_GROUP;
  if (record.messageGroup !== undefined) flags |= FLAG_MESSAGE_GROUP;
  target.writeUInt16BE(RECORD_MAGIC, position + 4);
  target.writeUInt8(RECORD_VERSION, position + 6);
  target.writeUInt8(flags, position + 7);
  target.writeUInt32BE(checkUint(record.queueId, 0xffffffff, 'queue id'), position + 12);
  writeUint64(target, position + 16, record.queueOffset);
  writeUint64(target, position + 24, record.storeTimestamp);
  writeUint64(target, position + 32, record.bornTimestamp);
  writeUint64(target, position + 40, record.deliveryTimestamp ?? 0);
  target.writeUInt32BE(checkUint(record.reconsumeTimes, 0xffffffff, 'reconsumeTimes'), position + 48);
  target.writeUInt32BE(record.body.byteLength, position + 52);
  let cursor = writeString16(target, position + FIXED_SIZE, record.topic);
  cursor = writeString16(target, cursor, record.messageId);
  if (record.tag !== undefined) cursor = writeString16(target, cursor, record.tag);
  cursor = writeString16(target, cursor, record.bornHost);
  if (record.producerGroup !== undefined) cursor = writeString16(target, cursor, record.producerGroup);
  if (record.messageGroup !== undefined) cursor = writeString16(target, cursor, record.messageGroup);
  target.writeUInt16BE(checkUint(record.keys.length, 0xffff, 'the key count'), cursor);
  cursor += 2;
  for (const key of record.keys) cursor = writeString16(target, cursor, key);
  const countPosition = cursor;
  cursor += 2;
  let count = 0;
  const properties = record.properties;
  for (const name in properties) {
    cursor = writeString16(target, cursor, name);
    const length = target.write(properties[name] as string, cursor + 4, 'utf8');
    target.writeUInt32BE(length, cursor);
    cursor += 4 + length;
    count++;
  }
  target.writeUInt16BE(checkUint(count, 0xffff, 'the property count'), countPosition);
  target.set(record.body, cursor);
  cursor += record.body.byteLength;
  const size = cursor - position;
  target.writeUInt32BE(size, position);
  target.writeUInt32BE(checksum(target, position, size), position + 8);
  return cursor;
}

/** Encodes one record into a new buffer. */
export function encodeRecord(record: RecordFields): Buffer {
  const target = Buffer.allocUnsafe(encodedRecordSize(record));
  encodeRecordInto(target, 0, record);
  return target;
}

function checksum(bytes: Buffer, position: number, size: number): number {
  const head = crc32c(bytes.subarray(position, position + 8));
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

/**
 * Decodes the record at `position`. Never throws on bad bytes: truncated or corrupt input gives
 * `{ ok: false, fault, error }` with a `CORRUPT_DATA` error naming the position. The body is a view
 * into `bytes` (no copy); copy it if `bytes` will be reused.
 *
 * @param options.verifyChecksum check the CRC32C (default true).
 */
export function decodeRecord(
  bytes: Uint8Array,
  position = 0,
  options: { verifyChecksum?: boolean } = {},
): RecordDecodeResult {
  const header = readRecordHeader(bytes, position);
  if (!header.ok) return header;
  const size = header.size;
  const buffer = asBuffer(bytes);
  if (options.verifyChecksum ?? true) {
    const stored = buffer.readUInt32BE(position + 8);
    const actual = checksum(buffer, position, size);
    if (stored !== actual) {
      return fail('checksum', position, `CRC32C is 0x${actual.toString(16)}, the record says 0x${stored.toString(16)}`);
    }
  }
  const end = position + size;
  const flags = buffer.readUInt8(position + 7);
  let cursor = position + FIXED_SIZE;
  // Every length below is checked against the record's end before it is used.
  const readString16 = (): string | undefined => {
    if (cursor + 2 > end) return undefined;
    const length = buffer.readUInt16BE(cursor);
    if (cursor + 2 + length > end) return undefined;
    const value = buffer.toString('utf8', cursor + 2, cursor + 2 + length);
    cursor += 2 + length;
    return value;
  };
  const topic = readString16();
  const messageId = readString16();
  const tag = flags & FLAG_TAG ? readString16() : '';
  const bornHost = readString16();
  const producerGroup = flags & FLAG_PRODUCER_GROUP ? readString16() : '';
  const messageGroup = flags & FLAG_MESSAGE_GROUP ? readString16() : '';
  if (
    topic === undefined ||
    messageId === undefined ||
    tag === undefined ||
    bornHost === undefined ||
    producerGroup === undefined ||
    messageGroup === undefined ||
    cursor + 2 > end
  ) {
    return fail('malformed', position, 'a string field runs past the end of the record');
  }
  const keyCount = buffer.readUInt16BE(cursor);
  cursor += 2;
  const keys: string[] = new Array(keyCount);
  for (let i = 0; i < keyCount; i++) {
    const key = readString16();
    if (key === undefined) return fail('malformed', position, 'a key runs past the end of the record');
    keys[i] = key;
  }
  if (cursor + 2 > end) return fail('malformed', position, 'the property count runs past the end of the record');
  const propertyCount = buffer.readUInt16BE(cursor);
  cursor += 2;
  const entries: [string, string][] = [];
  for (let i = 0; i < propertyCount; i++) {
    const name = readString16();
    if (name === undefined || cursor + 4 > end) return fail('malformed', position, 'a property runs past the end');
    const length = buffer.readUInt32BE(cursor);
    if (cursor + 4 + length > end) return fail('malformed', position, 'a property value runs past the end');
    entries.push([name, buffer.toString('utf8', cursor + 4, cursor + 4 + length)]);
    cursor += 4 + length;
  }
  const bodySize = buffer.readUInt32BE(position + 52);
  if (cursor + bodySize !== end) {
    return fail('malformed', position, `body size ${bodySize} does not match the ${end - cursor} bytes left`);
  }
  const delivery = readUint64(buffer, position + 40);
  const record: StoredMessage = {
    topic,
    body: buffer.subarray(cursor, end),
    keys,
    tag: flags & FLAG_TAG ? tag : undefined,
    // fromEntries defines own properties, so a property named "__proto__" stays a property.
    properties: Object.fromEntries(entries),
    messageId,
    bornTimestamp: readUint64(buffer, position + 32),
    bornHost,
    producerGroup: flags & FLAG_PRODUCER_GROUP ? producerGroup : undefined,
    messageGroup: flags & FLAG_MESSAGE_GROUP ? messageGroup : undefined,
    deliveryTimestamp: flags & FLAG_DELIVERY ? delivery : undefined,
    transaction: PHASES[flags & 3] as TransactionPhase,
    reconsumeTimes: buffer.readUInt32BE(position + 48),
    queueId: buffer.readUInt32BE(position + 12),
    queueOffset: readUint64(buffer, position + 16),
    storeTimestamp: readUint64(buffer, position + 24),
  };
  return { ok: true, record, size };
}

function readUint64(buffer: Buffer, position: number): number {
  return buffer.readUInt32BE(position) * TWO_32 + buffer.readUInt32BE(position + 4);
}
