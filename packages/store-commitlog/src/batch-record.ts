import { crc32c, crc32cCombine, crc32cOfRange, EddyError, type RecordFault, tagCode } from '@eddy/message';

/**
 * The batch record: a front's encoded batch (`EncodedBatch` of `@eddy/store`) as one CommitLog entry
 * that takes `count` consecutive queue offsets. Its first 32 bytes are laid out as a message record's
 * (size, magic, version, flags, CRC, queue id, queue offset, store timestamp), so the log's walkers read
 * sizes and store times of both kinds alike. Version 1, big-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | total size, header included |
 * | 4 | 2 | magic `0xEDD2` |
 * | 6 | 1 | version (1) |
 * | 7 | 1 | flags: bit 0 tags present, bit 1 keys present |
 * | 8 | 4 | CRC32C over bytes [0, 8) followed by [12, total size) |
 * | 12 | 4 | queue id |
 * | 16 | 8 | base queue offset (of the first record) |
 * | 24 | 8 | store timestamp (ms) |
 * | 32 | 4 | record count |
 * | 36 | 4 | payload size |
 * | 40 | … | topic, format, first message id: each a u16 length + UTF-8 |
 * | … | … | with tags: per record a u16 length + UTF-8, `0xFFFF` for none |
 * | … | … | with keys: per record a u16 key count, then each key as u16 length + UTF-8 |
 * | … | … | payload: the encoded batch as it came |
 *
 * Tags and keys are kept beside the payload so that recovery rebuilds ConsumeQueue tag codes and the
 * key index without knowing the encoding. Record `i`'s message id is `messageIdPlus(firstId, i)`.
 */
export const BATCH_MAGIC = 0xedd2;
const BATCH_VERSION = 1;
const FIXED_SIZE = 40;
const FLAG_TAGS = 1;
const FLAG_KEYS = 2;
const NO_TAG = 0xffff;
const TWO_32 = 2 ** 32;

/** What a batch record holds. */
export interface BatchRecordFields {
  readonly topic: string;
  readonly queueId: number;
  readonly baseOffset: number;
  readonly storeTimestamp: number;
  readonly count: number;
  readonly format: string;
  readonly firstMessageId: string;
  readonly tags: readonly (string | undefined)[] | undefined;
  readonly keys: readonly (readonly string[] | undefined)[] | undefined;
  readonly payload: Uint8Array;
  /** CRC32C of `payload` when known: the record's CRC is then combined from it, not computed over the payload. */
  readonly payloadChecksum?: number | undefined;
}

const stringBytes = (value: string): number => 2 + Buffer.byteLength(value, 'utf8');

/** The exact size {@link encodeBatchRecordInto} writes. */
export function batchRecordSize(fields: Omit<BatchRecordFields, 'queueId' | 'baseOffset' | 'storeTimestamp'>): number {
  let size = FIXED_SIZE + stringBytes(fields.topic) + stringBytes(fields.format) + stringBytes(fields.firstMessageId);
  const { tags, keys } = fields;
  if (tags !== undefined) for (const tag of tags) size += tag === undefined ? 2 : stringBytes(tag);
  if (keys !== undefined) {
    for (const list of keys) {
      size += 2;
      if (list !== undefined) for (const key of list) size += stringBytes(key);
    }
  }
  return size + fields.payload.byteLength;
}

function writeString(target: Buffer, at: number, value: string): number {
  const length = target.write(value, at + 2, 'utf8');
  if (length > 0xfffe)
    throw new EddyError('INVALID_ARGUMENT', `a batch record string is ${length} bytes; the limit is 65534`);
  target.writeUInt16BE(length, at);
  return at + 2 + length;
}

function writeUint64(target: Buffer, at: number, value: number): void {
  target.writeUInt32BE(Math.floor(value / TWO_32), at);
  target.writeUInt32BE(value >>> 0, at + 4);
}

/** Writes the batch record at `position`; returns the position after it. */
export function encodeBatchRecordInto(target: Buffer, position: number, fields: BatchRecordFields): number {
  const { tags, keys } = fields;
  target.writeUInt16BE(BATCH_MAGIC, position + 4);
  target[position + 6] = BATCH_VERSION;
  target[position + 7] = (tags === undefined ? 0 : FLAG_TAGS) | (keys === undefined ? 0 : FLAG_KEYS);
  target.writeUInt32BE(fields.queueId, position + 12);
  writeUint64(target, position + 16, fields.baseOffset);
  writeUint64(target, position + 24, fields.storeTimestamp);
  target.writeUInt32BE(fields.count, position + 32);
  target.writeUInt32BE(fields.payload.byteLength, position + 36);
  let cursor = writeString(target, position + FIXED_SIZE, fields.topic);
  cursor = writeString(target, cursor, fields.format);
  cursor = writeString(target, cursor, fields.firstMessageId);
  if (tags !== undefined) {
    for (const tag of tags) {
      if (tag === undefined) {
        target.writeUInt16BE(NO_TAG, cursor);
        cursor += 2;
      } else {
        cursor = writeString(target, cursor, tag);
      }
    }
  }
  if (keys !== undefined) {
    for (const list of keys) {
      const n = list?.length ?? 0;
      if (n > 0xffff) throw new EddyError('INVALID_ARGUMENT', `a record has ${n} keys; the limit is 65535`);
      target.writeUInt16BE(n, cursor);
      cursor += 2;
      if (list !== undefined) for (const key of list) cursor = writeString(target, cursor, key);
    }
  }
  const payloadStart = cursor;
  target.set(fields.payload, cursor);
  cursor += fields.payload.byteLength;
  const size = cursor - position;
  target.writeUInt32BE(size, position);
  const known = fields.payloadChecksum;
  const crc =
    known === undefined
      ? checksum(target, position, size)
      : crc32cCombine(
          crc32c(target.subarray(position + 12, payloadStart), crc32cOfRange(target, position, position + 8)),
          known,
          fields.payload.byteLength,
        );
  target.writeUInt32BE(crc, position + 8);
  return cursor;
}

function checksum(bytes: Buffer, position: number, size: number): number {
  return crc32c(bytes.subarray(position + 12, position + size), crc32cOfRange(bytes, position, position + 8));
}

/** A decoded batch record; `payload` is a view into the bytes decoded. */
export interface BatchRecord extends BatchRecordFields {
  readonly size: number;
  /** `tagCode` of each record's tag, in order. */
  readonly tagCodes: readonly number[];
}

/** The outcome of {@link decodeBatchRecord}. */
export type BatchDecodeResult =
  | { readonly ok: true; readonly batch: BatchRecord }
  | { readonly ok: false; readonly fault: RecordFault; readonly error: EddyError };

function fail(fault: RecordFault, position: number, detail: string): BatchDecodeResult {
  return {
    ok: false,
    fault,
    error: new EddyError('CORRUPT_DATA', `batch record at byte ${position}: ${detail}`, {
      details: { fault, position },
    }),
  };
}

/** True when a record with this magic is a batch record. */
export const isBatchMagic = (magic: number): boolean => magic === BATCH_MAGIC;

/**
 * Decodes the batch record at `position` of `bytes`. Never throws on bad bytes: a bad magic, size, CRC
 * or a field running past the record gives `{ ok: false }` with a `CORRUPT_DATA` error.
 */
export function decodeBatchRecord(bytes: Buffer, position: number, verifyChecksum = true): BatchDecodeResult {
  const available = bytes.byteLength - position;
  if (available < FIXED_SIZE)
    return fail('truncated', position, `${available} bytes left; the header needs ${FIXED_SIZE}`);
  const magic = bytes.readUInt16BE(position + 4);
  if (magic !== BATCH_MAGIC) return fail('bad-magic', position, `magic is 0x${magic.toString(16)}, not 0xedd2`);
  const version = bytes[position + 6] as number;
  if (version !== BATCH_VERSION) return fail('bad-version', position, `version ${version} is not supported`);
  const size = bytes.readUInt32BE(position);
  if (size < FIXED_SIZE) return fail('bad-size', position, `size ${size} is below the minimum ${FIXED_SIZE}`);
  if (size > available) return fail('truncated', position, `size is ${size} but only ${available} bytes are left`);
  if (verifyChecksum) {
    const stored = bytes.readUInt32BE(position + 8);
    const actual = checksum(bytes, position, size);
    if (stored !== actual) {
      return fail('checksum', position, `CRC32C is 0x${actual.toString(16)}, the record says 0x${stored.toString(16)}`);
    }
  }
  const end = position + size;
  const flags = bytes[position + 7] as number;
  const count = bytes.readUInt32BE(position + 32);
  const payloadSize = bytes.readUInt32BE(position + 36);
  let cursor = position + FIXED_SIZE;
  let malformed = count < 1;
  const readString = (): string | undefined => {
    if (malformed || cursor + 2 > end) {
      malformed = true;
      return '';
    }
    const length = bytes.readUInt16BE(cursor);
    cursor += 2;
    if (length === NO_TAG) return undefined;
    if (cursor + length > end) {
      malformed = true;
      return '';
    }
    const value = bytes.toString('utf8', cursor, cursor + length);
    cursor += length;
    return value;
  };
  const topic = readString() ?? '';
  const format = readString() ?? '';
  const firstMessageId = readString() ?? '';
  let tags: (string | undefined)[] | undefined;
  const tagCodes: number[] = new Array(malformed ? 0 : count).fill(0);
  if ((flags & FLAG_TAGS) !== 0 && !malformed) {
    tags = new Array(count);
    let lastTag: string | undefined;
    let lastCode = 0;
    for (let i = 0; i < count && !malformed; i++) {
      const tag = readString();
      tags[i] = tag;
      if (tag !== lastTag) {
        lastTag = tag;
        lastCode = tagCode(tag);
      }
      tagCodes[i] = lastCode;
    }
  }
  let keys: (string[] | undefined)[] | undefined;
  if ((flags & FLAG_KEYS) !== 0 && !malformed) {
    keys = new Array(count);
    for (let i = 0; i < count && !malformed; i++) {
      if (cursor + 2 > end) {
        malformed = true;
        break;
      }
      const n = bytes.readUInt16BE(cursor);
      cursor += 2;
      if (n === 0) continue;
      const list: string[] = [];
      for (let k = 0; k < n && !malformed; k++) list.push(readString() ?? '');
      keys[i] = list;
    }
  }
  if (malformed || cursor + payloadSize !== end) {
    return fail(
      'malformed',
      position,
      'a field runs past the record, or the payload size disagrees with the record size',
    );
  }
  return {
    ok: true,
    batch: {
      size,
      topic,
      queueId: bytes.readUInt32BE(position + 12),
      baseOffset: bytes.readUInt32BE(position + 16) * TWO_32 + bytes.readUInt32BE(position + 20),
      storeTimestamp: bytes.readUInt32BE(position + 24) * TWO_32 + bytes.readUInt32BE(position + 28),
      count,
      format,
      firstMessageId,
      tags,
      keys,
      tagCodes,
      payload: bytes.subarray(cursor, end),
    },
  };
}
