import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressFrameSync } from 'lz4-napi';
import { uncompressSync } from 'snappy';
import { KafkaErrorCode, KafkaProtocolError } from './errors.js';

/** The codecs of attribute bits 0–2 of a v2 record batch. */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const BY_ID: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec of a batch's attribute bits 0–2; ids 5–7 are `UNSUPPORTED_COMPRESSION_TYPE`. */
export function compressionOf(attributes: number): CompressionType {
  const id = attributes & 0x07;
  const type = BY_ID[id];
  if (type === undefined) {
    throw new KafkaProtocolError(
      KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `compression id ${id} is not a Kafka codec`,
    );
  }
  return type;
}

/** The attribute bits (0–2) of a codec. */
export function compressionId(type: CompressionType): number {
  return BY_ID.indexOf(type);
}

/** The decompressed-size limit when none is given: Kafka batches are ~1 MiB; this leaves room for ratio. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

// snappy-java's stream header: magic "\x82SNAPPY\0", then int32 version and int32 compatible version.
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_LENGTH = 16;

function corrupt(type: CompressionType, message: string, cause?: unknown): KafkaProtocolError {
  return new KafkaProtocolError(
    KafkaErrorCode.CORRUPT_MESSAGE,
    `${type} records: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function tooLarge(type: CompressionType, size: number, max: number): KafkaProtocolError {
  return corrupt(type, `decompress to ${size} bytes or more; the limit is ${max} (maxDecompressedBytes)`);
}

// Raw snappy starts with the uncompressed length as an unsigned varint: check it before inflating.
function snappyRawLength(bytes: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < 5 && i < bytes.length; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw corrupt('snappy', 'the block has no valid length preamble');
}

function snappyBlock(bytes: Uint8Array, budget: number, max: number): Uint8Array {
  const length = snappyRawLength(bytes);
  if (length > budget) throw tooLarge('snappy', length, max);
  try {
    return uncompressSync(bytes) as Buffer;
  } catch (error) {
    throw corrupt('snappy', 'the block does not decompress', error);
  }
}

function isXerial(bytes: Uint8Array): boolean {
  return bytes.length >= XERIAL_HEADER_LENGTH && XERIAL_MAGIC.every((byte, i) => bytes[i] === byte);
}

// Xerial framing (the Java client's): 16-byte header, then [int32 length][raw snappy block] until the end.
function snappyXerial(bytes: Uint8Array, max: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Uint8Array[] = [];
  let total = 0;
  let at = XERIAL_HEADER_LENGTH;
  while (at < bytes.length) {
    if (bytes.length - at < 4) throw corrupt('snappy', `xerial chunk header at ${at} is truncated`);
    const length = view.getInt32(at);
    at += 4;
    if (length < 0 || length > bytes.length - at) {
      throw corrupt('snappy', `xerial chunk at ${at - 4} claims ${length} bytes; ${bytes.length - at} remain`);
    }
    const block = snappyBlock(bytes.subarray(at, at + length), max - total, max);
    blocks.push(block);
    total += block.length;
    at += length;
  }
  return Buffer.concat(blocks, total);
}

/**
 * Decompresses the records section of a v2 batch. Snappy is read in both framings (raw, as librdkafka,
 * kafkajs codecs and platformatic write it, and xerial, as the Java client writes it); lz4 is the LZ4 frame
 * format. Output beyond `maxDecompressedBytes` is `CORRUPT_MESSAGE`: gzip and snappy stop before inflating
 * further, lz4 and zstd are checked after (their libraries expose no output cap).
 */
export function decompressRecords(
  type: CompressionType,
  bytes: Uint8Array,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  let output: Uint8Array;
  switch (type) {
    case 'none':
      return bytes;
    case 'gzip':
      try {
        output = gunzipSync(bytes, { maxOutputLength: maxDecompressedBytes });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw tooLarge(type, maxDecompressedBytes, maxDecompressedBytes);
        }
        throw corrupt(type, 'the stream does not decompress', error);
      }
      return output;
    case 'snappy':
      return isXerial(bytes)
        ? snappyXerial(bytes, maxDecompressedBytes)
        : snappyBlock(bytes, maxDecompressedBytes, maxDecompressedBytes);
    case 'lz4':
      try {
        output = decompressFrameSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (error) {
        throw corrupt(type, 'the frame does not decompress', error);
      }
      break;
    case 'zstd':
      try {
        output = zstdDecompress(bytes);
      } catch (error) {
        throw corrupt(type, 'the frame does not decompress', error);
      }
      break;
  }
  if (output.length > maxDecompressedBytes) throw tooLarge(type, output.length, maxDecompressedBytes);
  return output;
}
