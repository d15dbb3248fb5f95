import { crc32c } from '@eddy/message';
import {
  type CompressionType,
  compressionId,
  compressionOf,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
} from './compression.js';
import { KafkaErrorCode, KafkaProtocolError } from './errors.js';
import { KafkaReader } from './reader.js';
import { KafkaWriter, varintSize, varlongSize } from './writer.js';

/** One record of a v2 batch. Key, value and header values are views into the input (or its decompression). */
export interface KafkaRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

/**
 * The header fields of a v2 batch that a broker acts on (idempotence, transactions, record mapping),
 * shared by a fully decoded {@link RecordBatch} and a `RecordBatchScan`.
 */
export interface RecordBatchHeader {
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  compression: CompressionType;
}

/** A decoded record batch v2 (magic 2). */
export interface RecordBatch extends RecordBatchHeader {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  /** The raw int16 attributes (codec bits 0–2, timestamp type bit 3, transactional 4, control 5). */
  attributes: number;
  records: KafkaRecord[];
}

/** A record to encode; omitted fields take Kafka's defaults. */
export interface KafkaRecordInit {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Defaults to 0. */
  timestampDelta?: bigint;
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  headers?: readonly { key: string; value: Uint8Array | null }[];
}

/** A batch to encode (always uncompressed). */
export interface RecordBatchInit {
  /** Defaults to 0. */
  baseOffset?: bigint;
  /** Defaults to -1. */
  partitionLeaderEpoch?: number;
  /** Defaults to 0. */
  baseTimestamp?: bigint;
  /** Defaults to baseTimestamp + the largest timestampDelta (or baseTimestamp when there is none). */
  maxTimestamp?: bigint;
  /** Defaults to -1 (not idempotent). */
  producerId?: bigint;
  /** Defaults to -1. */
  producerEpoch?: number;
  /** Defaults to -1. */
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** LogAppendTime (attribute bit 3) instead of CreateTime. */
  logAppendTime?: boolean;
  /** Defaults to the largest offsetDelta (count - 1 for consecutive records). */
  lastOffsetDelta?: number;
  records: readonly KafkaRecordInit[];
}

/** Options of {@link decodeRecordBatches}. */
export interface DecodeRecordBatchesOptions {
  /**
   * Ignore a truncated batch at the end (Fetch responses may cut the last batch at max_bytes). When false,
   * the default, a truncated batch is `CORRUPT_MESSAGE`, as a Produce request must be whole.
   */
  allowPartial?: boolean;
  /** Per-batch limit on decompressed records (default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}). */
  maxDecompressedBytes?: number;
}

/** Bytes of a v2 batch header, baseOffset to recordsCount. */
export const RECORD_BATCH_HEADER_LENGTH = 61;
// baseOffset (8) + batchLength (4): the part batchLength does not count.
const LOG_OVERHEAD = 12;
const MAGIC_OFFSET = 16;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
/** A record is at least length, attributes, timestampDelta, offsetDelta, key, value and header count. */
export const MIN_RECORD_LENGTH = 7;

/** Attribute bits of a v2 batch. */
export const RecordBatchAttribute = {
  COMPRESSION_MASK: 0x07,
  LOG_APPEND_TIME: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
} as const;

/** A `CORRUPT_MESSAGE` error. */
export function corrupt(message: string, cause?: unknown): KafkaProtocolError {
  return new KafkaProtocolError(KafkaErrorCode.CORRUPT_MESSAGE, message, cause === undefined ? undefined : { cause });
}

/*
 * Record (all varints zig-zag): length varint (bytes after it), attributes int8 (unused), timestampDelta
 * varlong, offsetDelta varint, keyLength varint (-1 null) + key, valueLength varint (-1 null) + value,
 * headerCount varint, then per header keyLength varint + UTF-8 key (never null), valueLength varint + value.
 */
function readVarBytes(reader: KafkaReader, what: string): Uint8Array | null {
  const length = reader.varint();
  if (length === -1) return null;
  if (length < 0) throw corrupt(`${what} length ${length} is negative`);
  return reader.slice(length);
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function readRecord(reader: KafkaReader): KafkaRecord {
  const length = reader.varint();
  if (length < MIN_RECORD_LENGTH - 1 || length > reader.remaining) {
    throw corrupt(`record length ${length} does not fit the ${reader.remaining} bytes that remain`);
  }
  const end = reader.position + length;
  reader.int8();
  const timestampDelta = reader.varlong();
  const offsetDelta = reader.varint();
  const key = readVarBytes(reader, 'record key');
  const value = readVarBytes(reader, 'record value');
  const headerCount = reader.varint();
  if (headerCount < 0 || headerCount > end - reader.position) {
    throw corrupt(`record header count ${headerCount} does not fit the record`);
  }
  const headers: KafkaRecord['headers'] = [];
  for (let i = 0; i < headerCount; i++) {
    const headerKey = readVarBytes(reader, 'header key');
    if (headerKey === null) throw corrupt('a record header key is null');
    headers.push({ key: utf8.decode(headerKey), value: readVarBytes(reader, 'header value') });
  }
  if (reader.position !== end) {
    throw corrupt(`record declares ${length} bytes but its fields take ${length + reader.position - end}`);
  }
  return { offsetDelta, timestampDelta, key, value, headers };
}

/** Checks the CRC32C of the batch at [start, end) of `bytes` (framing already checked by {@link recordBatchSpans}). */
export function checkBatchCrc(bytes: Uint8Array, start: number, end: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedCrc = view.getUint32(start + CRC_OFFSET);
  const computedCrc = crc32c(bytes.subarray(start + ATTRIBUTES_OFFSET, end));
  if (storedCrc !== computedCrc) {
    throw corrupt(
      `record batch at ${start}: CRC32C is ${computedCrc.toString(16)}, the batch says ${storedCrc.toString(16)}`,
    );
  }
}

function decodeBatch(bytes: Uint8Array, start: number, end: number, maxDecompressedBytes: number): RecordBatch {
  checkBatchCrc(bytes, start, end);
  const header = new KafkaReader(bytes, start, start + RECORD_BATCH_HEADER_LENGTH);
  const baseOffset = header.int64();
  header.int32();
  const partitionLeaderEpoch = header.int32();
  header.skip(5); // magic, crc: checked above
  const attributes = header.int16();
  const lastOffsetDelta = header.int32();
  const baseTimestamp = header.int64();
  const maxTimestamp = header.int64();
  const producerId = header.int64();
  const producerEpoch = header.int16();
  const baseSequence = header.int32();
  const recordCount = header.int32();
  const compression = compressionOf(attributes);
  const records = decompressRecords(
    compression,
    bytes.subarray(start + RECORD_BATCH_HEADER_LENGTH, end),
    maxDecompressedBytes,
  );
  if (recordCount < 0 || recordCount > records.length / MIN_RECORD_LENGTH) {
    throw corrupt(`record batch at ${start}: ${recordCount} records cannot fit ${records.length} bytes`);
  }
  const reader = new KafkaReader(records);
  const decoded: KafkaRecord[] = [];
  try {
    for (let i = 0; i < recordCount; i++) decoded.push(readRecord(reader));
  } catch (error) {
    if (KafkaProtocolError.isKafka(error, KafkaErrorCode.INVALID_REQUEST)) {
      throw corrupt(`record batch at ${start}: ${error.message}`, error);
    }
    throw error;
  }
  if (reader.remaining !== 0) {
    throw corrupt(`record batch at ${start}: ${reader.remaining} bytes follow the last of ${recordCount} records`);
  }
  return {
    baseOffset,
    partitionLeaderEpoch,
    attributes,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: (attributes & RecordBatchAttribute.TRANSACTIONAL) !== 0,
    isControl: (attributes & RecordBatchAttribute.CONTROL) !== 0,
    compression,
    records: decoded,
  };
}

/** Where one batch lies in concatenated batches: bytes [start, end). */
export interface RecordBatchSpan {
  readonly start: number;
  readonly end: number;
}

/** Options of {@link recordBatchSpans}. */
export interface RecordBatchSpansOptions {
  /** Stop at a truncated batch at the end instead of failing (see {@link DecodeRecordBatchesOptions}). */
  allowPartial?: boolean;
}

/**
 * Splits concatenated v2 record batches (a Produce partition's `records`) into one span per batch,
 * checking the framing only: each batchLength is at least a header's and fits, each magic is 2. The
 * batches' CRCs and records are not read ({@link decodeRecordBatches} and `scanRecordBatch` do).
 *
 * Errors ({@link KafkaProtocolError}): a bad length or trailing bytes are `CORRUPT_MESSAGE` (unless
 * `allowPartial` lets a truncated last batch go); magic 0/1 is `UNSUPPORTED_FOR_MESSAGE_FORMAT`.
 */
export function recordBatchSpans(bytes: Uint8Array, options: RecordBatchSpansOptions = {}): RecordBatchSpan[] {
  const allowPartial = options.allowPartial ?? false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans: RecordBatchSpan[] = [];
  let at = 0;
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < LOG_OVERHEAD) {
      if (allowPartial) break;
      throw corrupt(`record batch at ${at}: ${left} trailing bytes are not a batch header`);
    }
    const batchLength = view.getInt32(at + 8);
    if (batchLength < RECORD_BATCH_HEADER_LENGTH - LOG_OVERHEAD) {
      throw corrupt(
        `record batch at ${at}: batchLength ${batchLength} is below the ${RECORD_BATCH_HEADER_LENGTH - LOG_OVERHEAD}-byte minimum`,
      );
    }
    if (left > MAGIC_OFFSET) {
      const magic = view.getInt8(at + MAGIC_OFFSET);
      if (magic !== 2) {
        throw new KafkaProtocolError(
          magic === 0 || magic === 1 ? KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : KafkaErrorCode.CORRUPT_MESSAGE,
          `record batch at ${at}: magic ${magic} is not supported; only record batches v2 (magic 2) are`,
        );
      }
    }
    const end = at + LOG_OVERHEAD + batchLength;
    if (end > bytes.length) {
      if (allowPartial) break;
      throw corrupt(
        `record batch at ${at}: batchLength ${batchLength} runs past the ${bytes.length - at - LOG_OVERHEAD} bytes that remain`,
      );
    }
    spans.push({ start: at, end });
    at = end;
  }
  return spans;
}

/**
 * Decodes concatenated v2 record batches (a Produce partition's `records`, or a Fetch response's).
 *
 * Batch header (61 bytes, big-endian): baseOffset int64, batchLength int32 (bytes after this field),
 * partitionLeaderEpoch int32, magic int8 (= 2), crc uint32 (CRC32C of attributes … end), attributes int16,
 * lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
 * baseSequence int32, recordCount int32; then the records, compressed as one blob when the codec is set.
 *
 * Errors ({@link KafkaProtocolError}): a bad CRC, length or record is `CORRUPT_MESSAGE`; magic 0/1 is
 * `UNSUPPORTED_FOR_MESSAGE_FORMAT`; codec ids 5–7 are `UNSUPPORTED_COMPRESSION_TYPE`.
 */
export function decodeRecordBatches(bytes: Uint8Array, options: DecodeRecordBatchesOptions = {}): RecordBatch[] {
  const maxDecompressedBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const spans = recordBatchSpans(bytes, { allowPartial: options.allowPartial ?? false });
  return spans.map(({ start, end }) => decodeBatch(bytes, start, end, maxDecompressedBytes));
}

// Sizes computed before writing, so that a batch is written once into a buffer of exactly its size.
interface PreparedRecords {
  /** Bytes of the records section. */
  readonly size: number;
  /** Per record: bytes after its length varint. */
  readonly bodySizes: number[];
  /** Per record: its header keys as UTF-8. */
  readonly headerKeys: Uint8Array[][];
}

const NO_KEYS: Uint8Array[] = [];

function varBytesSize(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

function prepareRecords(records: readonly KafkaRecordInit[]): PreparedRecords {
  const bodySizes: number[] = new Array(records.length);
  const headerKeys: Uint8Array[][] = new Array(records.length);
  let size = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as KafkaRecordInit;
    let body =
      1 +
      varlongSize(record.timestampDelta ?? 0n) +
      varintSize(record.offsetDelta ?? index) +
      varBytesSize(record.key ?? null) +
      varBytesSize(record.value ?? null);
    const headers = record.headers ?? [];
    body += varintSize(headers.length);
    let keys = NO_KEYS;
    if (headers.length > 0) {
      keys = new Array(headers.length);
      for (let h = 0; h < headers.length; h++) {
        const header = headers[h] as { key: string; value: Uint8Array | null };
        const key = utf8Encoder.encode(header.key);
        keys[h] = key;
        body += varBytesSize(key) + varBytesSize(header.value);
      }
    }
    bodySizes[index] = body;
    headerKeys[index] = keys;
    size += varintSize(body) + body;
  }
  return { size, bodySizes, headerKeys };
}

function writeVarBytes(writer: KafkaWriter, bytes: Uint8Array | null): void {
  if (bytes === null) writer.varint(-1);
  else writer.varint(bytes.length).raw(bytes);
}

function writeRecords(writer: KafkaWriter, records: readonly KafkaRecordInit[], prepared: PreparedRecords): void {
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as KafkaRecordInit;
    writer
      .varint(prepared.bodySizes[index] as number)
      .int8(0)
      .varlong(record.timestampDelta ?? 0n)
      .varint(record.offsetDelta ?? index);
    writeVarBytes(writer, record.key ?? null);
    writeVarBytes(writer, record.value ?? null);
    const headers = record.headers ?? [];
    writer.varint(headers.length);
    const keys = prepared.headerKeys[index] as Uint8Array[];
    for (let h = 0; h < headers.length; h++) {
      writeVarBytes(writer, keys[h] as Uint8Array);
      writeVarBytes(writer, (headers[h] as { value: Uint8Array | null }).value);
    }
  }
}

/** The records section of a batch (uncompressed), as it follows the 61-byte header. */
export function encodeRecords(records: readonly KafkaRecordInit[]): Uint8Array {
  const prepared = prepareRecords(records);
  const writer = new KafkaWriter(prepared.size);
  writeRecords(writer, records, prepared);
  return writer.finish();
}

function attributesOf(init: Omit<RecordBatchInit, 'records'>, compression: CompressionType): number {
  let attributes = compressionId(compression);
  if (init.logAppendTime) attributes |= RecordBatchAttribute.LOG_APPEND_TIME;
  if (init.isTransactional) attributes |= RecordBatchAttribute.TRANSACTIONAL;
  if (init.isControl) attributes |= RecordBatchAttribute.CONTROL;
  return attributes;
}

// The 61-byte header with a zero CRC (set by sealBatch once the records follow).
function writeBatchHeader(
  writer: KafkaWriter,
  init: Omit<RecordBatchInit, 'records'> & { lastOffsetDelta: number; maxTimestamp: bigint },
  recordCount: number,
  recordsSize: number,
  attributes: number,
): void {
  writer
    .int64(init.baseOffset ?? 0n)
    .int32(RECORD_BATCH_HEADER_LENGTH - LOG_OVERHEAD + recordsSize)
    .int32(init.partitionLeaderEpoch ?? -1)
    .int8(2)
    .uint32(0)
    .int16(attributes)
    .int32(init.lastOffsetDelta)
    .int64(init.baseTimestamp ?? 0n)
    .int64(init.maxTimestamp)
    .int64(init.producerId ?? -1n)
    .int16(init.producerEpoch ?? -1)
    .int32(init.baseSequence ?? -1)
    .int32(recordCount);
}

// Sets the CRC32C of a whole batch (its bytes from baseOffset to the end).
function sealBatch(bytes: Uint8Array): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(
    CRC_OFFSET,
    crc32c(bytes.subarray(ATTRIBUTES_OFFSET)),
  );
}

/**
 * Assembles a batch around an already-encoded (and possibly compressed) records section: computes
 * batchLength and the CRC32C. {@link encodeRecordBatch} is the usual entry point; this one exists for
 * tests and tools that bring their own compressor.
 */
export function assembleRecordBatch(
  init: Omit<RecordBatchInit, 'records'> & { lastOffsetDelta: number; maxTimestamp: bigint },
  recordCount: number,
  records: Uint8Array,
  compression: CompressionType = 'none',
): Uint8Array {
  const bytes = new Uint8Array(RECORD_BATCH_HEADER_LENGTH + records.length);
  const writer = new KafkaWriter(bytes);
  writeBatchHeader(writer, init, recordCount, records.length, attributesOf(init, compression));
  writer.raw(records);
  sealBatch(bytes);
  return bytes;
}

function headerDefaults(
  batch: RecordBatchInit,
): Omit<RecordBatchInit, 'records'> & { lastOffsetDelta: number; maxTimestamp: bigint } {
  const baseTimestamp = batch.baseTimestamp ?? 0n;
  let maxDelta: bigint | undefined;
  let maxOffsetDelta = -1;
  const records = batch.records;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as KafkaRecordInit;
    const delta = record.timestampDelta ?? 0n;
    if (maxDelta === undefined || delta > maxDelta) maxDelta = delta;
    const offsetDelta = record.offsetDelta ?? index;
    if (offsetDelta > maxOffsetDelta) maxOffsetDelta = offsetDelta;
  }
  return {
    ...batch,
    baseTimestamp,
    maxTimestamp: batch.maxTimestamp ?? baseTimestamp + (maxDelta ?? 0n),
    lastOffsetDelta: batch.lastOffsetDelta ?? Math.max(0, maxOffsetDelta),
  };
}

/**
 * Encodes uncompressed v2 batches, each with its CRC32C, concatenated: every record's size is computed
 * first, and all of it is written once into one buffer of exactly the total size. Defaults as documented
 * on {@link RecordBatchInit}.
 */
export function encodeRecordBatches(batches: readonly RecordBatchInit[]): Uint8Array {
  const prepared = batches.map((batch) => prepareRecords(batch.records));
  let total = 0;
  for (const { size } of prepared) total += RECORD_BATCH_HEADER_LENGTH + size;
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i] as RecordBatchInit;
    const records = prepared[i] as PreparedRecords;
    const end = at + RECORD_BATCH_HEADER_LENGTH + records.size;
    const bytes = out.subarray(at, end);
    const writer = new KafkaWriter(bytes);
    writeBatchHeader(writer, headerDefaults(batch), batch.records.length, records.size, attributesOf(batch, 'none'));
    writeRecords(writer, batch.records, records);
    if (writer.length !== bytes.length) {
      throw new Error(`record batch encoder wrote ${writer.length} bytes, computed ${bytes.length}`);
    }
    sealBatch(bytes);
    at = end;
  }
  return out;
}

/** Encodes one uncompressed v2 batch with its CRC32C. Defaults as documented on {@link RecordBatchInit}. */
export function encodeRecordBatch(batch: RecordBatchInit): Uint8Array {
  return encodeRecordBatches([batch]);
}

/** A transaction marker as carried by the single record of a control batch. */
export interface ControlRecord {
  kind: 'abort' | 'commit';
  coordinatorEpoch: number;
}

/**
 * The key and value of a control record: key = version int16 (0), type int16 (0 abort, 1 commit);
 * value = version int16 (0), coordinatorEpoch int32.
 */
export function encodeControlRecord(marker: ControlRecord): { key: Uint8Array; value: Uint8Array } {
  return {
    key: new KafkaWriter(4)
      .int16(0)
      .int16(marker.kind === 'commit' ? 1 : 0)
      .finish(),
    value: new KafkaWriter(6).int16(0).int32(marker.coordinatorEpoch).finish(),
  };
}

/** Reads a control record's marker; `undefined` for a control type other than abort/commit. */
export function decodeControlRecord(record: Pick<KafkaRecord, 'key' | 'value'>): ControlRecord | undefined {
  if (record.key === null || record.key.length < 4) throw corrupt('a control record key is shorter than 4 bytes');
  const key = new KafkaReader(record.key);
  key.int16();
  const type = key.int16();
  if (type !== 0 && type !== 1) return undefined;
  let coordinatorEpoch = -1;
  if (record.value !== null && record.value.length >= 6) {
    const value = new KafkaReader(record.value);
    value.int16();
    coordinatorEpoch = value.int32();
  }
  return { kind: type === 1 ? 'commit' : 'abort', coordinatorEpoch };
}
