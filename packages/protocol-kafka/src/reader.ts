import { KafkaErrorCode, KafkaProtocolError } from './errors.js';

const decoder = new TextDecoder('utf-8');

/**
 * A bounds-checked, big-endian cursor over a Kafka message. Every read checks the bytes it needs before it
 * touches or allocates anything: a length or an array count larger than what is left is an error, never an
 * allocation, so a hostile 2^31 count costs nothing. All failures throw {@link KafkaProtocolError} with
 * `INVALID_REQUEST` (42). Byte fields are views into the input, not copies.
 */
export class KafkaReader {
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  #position: number;

  constructor(buffer: Uint8Array, offset = 0, end = buffer.length) {
    if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end > buffer.length || offset > end) {
      throw new KafkaProtocolError(
        KafkaErrorCode.INVALID_REQUEST,
        `reader range [${offset}, ${end}) does not fit a buffer of ${buffer.length} bytes`,
      );
    }
    this.#buffer = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#position = offset;
    this.#end = end;
  }

  /** Offset of the next byte to read, relative to the start of the buffer. */
  get position(): number {
    return this.#position;
  }

  /** Bytes left before the end of the readable range. */
  get remaining(): number {
    return this.#end - this.#position;
  }

  #need(n: number, what: string): number {
    const at = this.#position;
    if (n > this.#end - at) {
      throw new KafkaProtocolError(
        KafkaErrorCode.INVALID_REQUEST,
        `${what} needs ${n} bytes at offset ${at}; only ${this.#end - at} remain`,
      );
    }
    this.#position = at + n;
    return at;
  }

  int8(): number {
    return this.#view.getInt8(this.#need(1, 'int8'));
  }

  int16(): number {
    return this.#view.getInt16(this.#need(2, 'int16'));
  }

  int32(): number {
    return this.#view.getInt32(this.#need(4, 'int32'));
  }

  uint32(): number {
    return this.#view.getUint32(this.#need(4, 'uint32'));
  }

  int64(): bigint {
    return this.#view.getBigInt64(this.#need(8, 'int64'));
  }

  float64(): number {
    return this.#view.getFloat64(this.#need(8, 'float64'));
  }

  /** Any non-zero byte is true, as in Kafka. */
  bool(): boolean {
    return this.#view.getUint8(this.#need(1, 'bool')) !== 0;
  }

  /** A 16-byte UUID (a copy, so it can outlive the input buffer). */
  uuid(): Uint8Array {
    const at = this.#need(16, 'uuid');
    return this.#buffer.slice(at, at + 16);
  }

  /** An unsigned LEB128 varint of at most 32 bits (5 bytes), as KIP-482 lengths and tags use. */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.#buffer[this.#need(1, 'varint')] as number;
      if (shift === 28 && byte > 0x0f) {
        throw new KafkaProtocolError(
          KafkaErrorCode.INVALID_REQUEST,
          `varint at offset ${this.#position - 5} exceeds 32 bits`,
        );
      }
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    // Unreachable: the fifth byte is checked above to have no continuation bit.
    throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'varint exceeds 32 bits');
  }

  /** A zig-zag signed 32-bit varint, as record batches v2 use. */
  varint(): number {
    const raw = this.uvarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** A zig-zag signed 64-bit varint (at most 10 bytes). */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.#buffer[this.#need(1, 'varlong')] as number;
      if (shift === 63n && byte > 0x01) {
        throw new KafkaProtocolError(
          KafkaErrorCode.INVALID_REQUEST,
          `varlong at offset ${this.#position - 10} exceeds 64 bits`,
        );
      }
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'varlong exceeds 64 bits');
  }

  #utf8(length: number, what: string): string {
    const at = this.#need(length, what);
    return decoder.decode(this.#buffer.subarray(at, at + length));
  }

  /** An int16-length UTF-8 string that must not be null. */
  string(): string {
    const value = this.nullableString();
    if (value === null) throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'non-nullable string is null');
    return value;
  }

  /** An int16-length UTF-8 string; length -1 is null. */
  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, `string length ${length} is negative`);
    return this.#utf8(length, 'string');
  }

  /** A compact (uvarint length + 1) UTF-8 string that must not be null. */
  compactString(): string {
    const value = this.compactNullableString();
    if (value === null)
      throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'non-nullable compact string is null');
    return value;
  }

  /** A compact (uvarint length + 1) UTF-8 string; 0 is null. */
  compactNullableString(): string | null {
    const encoded = this.uvarint();
    if (encoded === 0) return null;
    return this.#utf8(encoded - 1, 'compact string');
  }

  /** int32-length bytes that must not be null (a view into the input). */
  bytes(): Uint8Array {
    const value = this.nullableBytes();
    if (value === null) throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'non-nullable bytes are null');
    return value;
  }

  /** int32-length bytes; -1 is null (a view into the input). */
  nullableBytes(): Uint8Array | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, `bytes length ${length} is negative`);
    return this.slice(length);
  }

  /** Compact bytes that must not be null (a view into the input). */
  compactBytes(): Uint8Array {
    const value = this.compactNullableBytes();
    if (value === null)
      throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, 'non-nullable compact bytes are null');
    return value;
  }

  /** Compact (uvarint length + 1) bytes; 0 is null (a view into the input). */
  compactNullableBytes(): Uint8Array | null {
    const encoded = this.uvarint();
    if (encoded === 0) return null;
    return this.slice(encoded - 1);
  }

  #count(count: number, what: string): number {
    if (count < 0) throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, `${what} count ${count} is negative`);
    // Every element takes at least one byte, so a count beyond the remaining bytes is a lie; refuse it
    // before allocating anything.
    if (count > this.remaining) {
      throw new KafkaProtocolError(
        KafkaErrorCode.INVALID_REQUEST,
        `${what} count ${count} exceeds the ${this.remaining} bytes that remain`,
      );
    }
    return count;
  }

  #elements<T>(count: number, read: (reader: KafkaReader) => T): T[] {
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read(this));
    return items;
  }

  /** An int32-count array; count -1 (null) reads as `[]` (use {@link nullableArray} to tell them apart). */
  array<T>(read: (reader: KafkaReader) => T): T[] {
    return this.nullableArray(read) ?? [];
  }

  /** An int32-count array; -1 is null. */
  nullableArray<T>(read: (reader: KafkaReader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    return this.#elements(this.#count(count, 'array'), read);
  }

  /** A compact (uvarint count + 1) array; null reads as `[]`. */
  compactArray<T>(read: (reader: KafkaReader) => T): T[] {
    return this.compactNullableArray(read) ?? [];
  }

  /** A compact (uvarint count + 1) array; 0 is null. */
  compactNullableArray<T>(read: (reader: KafkaReader) => T): T[] | null {
    const encoded = this.uvarint();
    if (encoded === 0) return null;
    return this.#elements(this.#count(encoded - 1, 'compact array'), read);
  }

  /**
   * A KIP-482 tagged-field section: uvarint count, then (uvarint tag, uvarint size, bytes) per field.
   * Returns every field by tag (views); callers pick the tags they know and ignore the rest.
   */
  taggedFields(): Map<number, Uint8Array> {
    const count = this.#count(this.uvarint(), 'tagged field');
    const fields = new Map<number, Uint8Array>();
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      fields.set(tag, this.slice(this.uvarint()));
    }
    return fields;
  }

  /** Moves past `n` bytes. */
  skip(n: number): void {
    this.#checkLength(n, 'skip');
    this.#need(n, 'skip');
  }

  /** The next `n` bytes as a view into the input. */
  slice(n: number): Uint8Array {
    this.#checkLength(n, 'slice');
    const at = this.#need(n, 'bytes');
    return this.#buffer.subarray(at, at + n);
  }

  #checkLength(n: number, what: string): void {
    if (!Number.isInteger(n) || n < 0) {
      throw new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, `${what} length ${n} is not a byte count`);
    }
  }
}
