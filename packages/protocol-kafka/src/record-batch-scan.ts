import { crc32cCombine, crc32cOfRange } from '@eddy/message';
import { compressionOf, DEFAULT_MAX_DECOMPRESSED_BYTES, decompressRecords } from './compression.js';
import {
  checkBatchCrc,
  corrupt,
  MIN_RECORD_LENGTH,
  RECORD_BATCH_HEADER_LENGTH,
  RecordBatchAttribute,
  type RecordBatchHeader,
  recordBatchSpans,
} from './record-batch.js';

/**
 * What a broker needs of one produced v2 batch to store it as it came: the header, and per record
 * only its key and its tag header. Nothing is kept of values or other headers.
 */
export interface RecordBatchScan extends RecordBatchHeader {
  /** The batch's recordCount, checked against its records. */
  readonly count: number;
  /**
   * True when the records' offsetDeltas are exactly 0 … count-1 and lastOffsetDelta is count-1: the
   * batch takes `count` consecutive offsets from its baseOffset, as stored messages would.
   */
  readonly consecutiveOffsets: boolean;
  /**
   * Each record's key as UTF-8 (`undefined` for a null key or one that is not valid UTF-8); omitted
   * when no record has a UTF-8 key.
   */
  readonly keys: (string | undefined)[] | undefined;
  /** True when some record's key is not valid UTF-8 (it is `undefined` in {@link keys}). */
  readonly binaryKeys: boolean;
  /**
   * Each record's tag: the value of its first non-null header named {@link ScanRecordBatchOptions.tagHeader},
   * when that value is valid UTF-8, else `undefined`; omitted when no record has one (or no tag header
   * was asked for).
   */
  readonly tags: (string | undefined)[] | undefined;
  /**
   * CRC32C of the whole batch as given (`baseOffset` included), derived from the batch's own CRC once
   * that is checked, without a second pass over the bytes: what a store needs to checksum the batch.
   */
  readonly checksum: number;
}

/** Options of {@link scanRecordBatch}. */
export interface ScanRecordBatchOptions {
  /** The header whose value is each record's tag (e.g. `rocketmq.tag`); none when omitted. */
  readonly tagHeader?: string;
  /** Limit on the decompressed records (default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}). */
  readonly maxDecompressedBytes?: number;
}

// The UTF-8 BOM: a non-strict decoder drops it, so a header name may carry one and still match.
const BOM = [0xef, 0xbb, 0xbf] as const;
// Fatal, so that bytes that are not UTF-8 are noticed; the BOM kept, so that decoding round-trips.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// bytes[start, end) spell `name`, allowing a leading BOM (as a non-strict decode of a header name does).
function spells(bytes: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  let at = start;
  if (end - at === name.length + 3 && bytes[at] === BOM[0] && bytes[at + 1] === BOM[1] && bytes[at + 2] === BOM[2]) {
    at += 3;
  }
  if (end - at !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[at + i] !== name[i]) return false;
  return true;
}

/**
 * A bounds-checked cursor over one record (all varints zig-zag): reads stop at the record's end, so a
 * lying length fails here instead of reading into the next record. Field names are constants, so that
 * the walk allocates nothing unless it fails.
 */
class RecordCursor {
  readonly bytes: Uint8Array;
  position = 0;
  end = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  #byte(what: string): number {
    if (this.position >= this.end) throw corrupt(`${what} runs past the end of its record`);
    return this.bytes[this.position++] as number;
  }

  /** A zig-zag varint of at most 32 bits. */
  varint(what: string): number {
    const first = this.#byte(what);
    // Most lengths and deltas fit one byte.
    if (first < 0x80) return first & 1 ? -((first + 1) >>> 1) : first >>> 1;
    let raw = first & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      const byte = this.#byte(what);
      if (shift === 28 && byte > 0x0f) throw corrupt(`${what} exceeds 32 bits`);
      raw += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    throw corrupt(`${what} exceeds 32 bits`);
  }

  /** Moves past a zig-zag varlong of at most 64 bits. */
  skipVarlong(what: string): void {
    for (let index = 0; index < 10; index++) {
      const byte = this.#byte(what);
      if (index === 9 && byte > 0x01) throw corrupt(`${what} exceeds 64 bits`);
      if ((byte & 0x80) === 0) return;
    }
    throw corrupt(`${what} exceeds 64 bits`);
  }

  /** Moves past a varint length and its bytes; returns the length (-1 for null). */
  skipVarBytes(what: string): number {
    const length = this.varint(what);
    if (length === -1) return -1;
    if (length < 0) throw corrupt(`${what}: length ${length} is negative`);
    if (length > this.end - this.position) {
      throw corrupt(`${what}: ${length} bytes run past the end of its record`);
    }
    this.position += length;
    return length;
  }
}

// Keys and tags are mostly short ASCII: read those without a subarray and a TextDecoder call.
const ASCII_FAST_PATH = 32;

function utf8At(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= ASCII_FAST_PATH) {
    let text = '';
    let at = start;
    for (; at < end; at++) {
      const byte = bytes[at] as number;
      if (byte >= 0x80) break;
      text += String.fromCharCode(byte);
    }
    if (at === end) return text;
  }
  return utf8OrUndefined(bytes.subarray(start, end));
}

/**
 * Checks one produced v2 batch — `bytes` is exactly the batch, baseOffset to its end — and extracts what
 * a broker needs to store it as it came, without building an object per record: verifies the framing,
 * magic 2 and the CRC32C, decompresses the records when the batch is compressed (gzip, snappy raw and
 * xerial, lz4 frame, zstd), and walks every record checking its framing against its length (attributes,
 * timestampDelta, offsetDelta, key, value, headers) and the record count against the records.
 *
 * Errors ({@link KafkaProtocolError}), as {@link decodeRecordBatches} throws them: a bad CRC, length,
 * count or record is `CORRUPT_MESSAGE`; magic 0/1 is `UNSUPPORTED_FOR_MESSAGE_FORMAT`; codec ids 5–7
 * are `UNSUPPORTED_COMPRESSION_TYPE`.
 */
export function scanRecordBatch(bytes: Uint8Array, options: ScanRecordBatchOptions = {}): RecordBatchScan {
  const [span, ...more] = recordBatchSpans(bytes);
  if (span === undefined || more.length > 0 || span.end !== bytes.length) {
    throw corrupt(`record batch of ${bytes.length} bytes is not exactly one batch`);
  }
  checkBatchCrc(bytes, 0, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The batch CRC covers attributes (byte 21) to the end; the 21 bytes before it are added in front.
  const checksum = crc32cCombine(crc32cOfRange(bytes, 0, 21), view.getUint32(17), bytes.length - 21);
  // Offsets past baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32.
  const attributes = view.getInt16(21);
  const lastOffsetDelta = view.getInt32(23);
  const baseTimestamp = view.getBigInt64(27);
  const maxTimestamp = view.getBigInt64(35);
  const producerId = view.getBigInt64(43);
  const producerEpoch = view.getInt16(51);
  const baseSequence = view.getInt32(53);
  const count = view.getInt32(57);
  const compression = compressionOf(attributes);
  const records = decompressRecords(
    compression,
    bytes.subarray(RECORD_BATCH_HEADER_LENGTH),
    options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  if (count < 0 || count > records.length / MIN_RECORD_LENGTH) {
    throw corrupt(`record batch: ${count} records cannot fit ${records.length} bytes`);
  }

  const tagName = options.tagHeader === undefined ? undefined : utf8Encoder.encode(options.tagHeader);
  let keys: (string | undefined)[] | undefined;
  let tags: (string | undefined)[] | undefined;
  let binaryKeys = false;
  let consecutiveOffsets = lastOffsetDelta === count - 1;
  const cursor = new RecordCursor(records);
  for (let index = 0; index < count; index++) {
    cursor.end = records.length;
    const length = cursor.varint('record length');
    if (length < MIN_RECORD_LENGTH - 1 || length > records.length - cursor.position) {
      throw corrupt(
        `record batch: record ${index} length ${length} does not fit the ${records.length - cursor.position} bytes that remain`,
      );
    }
    cursor.end = cursor.position + length;
    cursor.position++; // attributes int8, unused
    cursor.skipVarlong('record timestampDelta');
    if (cursor.varint('record offsetDelta') !== index) consecutiveOffsets = false;
    const keyLength = cursor.skipVarBytes('record key');
    if (keyLength >= 0) {
      const key = utf8At(records, cursor.position - keyLength, cursor.position);
      if (key === undefined) binaryKeys = true;
      else {
        keys ??= new Array<string | undefined>(count).fill(undefined);
        keys[index] = key;
      }
    }
    cursor.skipVarBytes('record value');
    const headerCount = cursor.varint('record header count');
    if (headerCount < 0 || headerCount > cursor.end - cursor.position) {
      throw corrupt(`record batch: record ${index} header count ${headerCount} does not fit the record`);
    }
    let tagSeen = false;
    for (let header = 0; header < headerCount; header++) {
      const nameLength = cursor.skipVarBytes('header key');
      if (nameLength === -1) throw corrupt('a record header key is null');
      const nameEnd = cursor.position;
      const valueLength = cursor.skipVarBytes('header value');
      if (tagName === undefined || tagSeen || valueLength === -1) continue;
      if (!spells(records, nameEnd - nameLength, nameEnd, tagName)) continue;
      // Only the first non-null value counts, whether or not it is UTF-8.
      tagSeen = true;
      const tag = utf8At(records, cursor.position - valueLength, cursor.position);
      if (tag !== undefined) {
        tags ??= new Array<string | undefined>(count).fill(undefined);
        tags[index] = tag;
      }
    }
    if (cursor.position !== cursor.end) {
      throw corrupt(
        `record batch: record ${index} declares ${length} bytes but its fields take ${length - (cursor.end - cursor.position)}`,
      );
    }
  }
  // cursor.end is the end of the last record (0 when there is none).
  if (cursor.end !== records.length) {
    throw corrupt(`record batch: ${records.length - cursor.end} bytes follow the last of ${count} records`);
  }
  return {
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: (attributes & RecordBatchAttribute.TRANSACTIONAL) !== 0,
    isControl: (attributes & RecordBatchAttribute.CONTROL) !== 0,
    compression,
    count,
    consecutiveOffsets,
    keys,
    binaryKeys,
    tags,
    checksum,
  };
}
