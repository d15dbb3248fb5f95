const encoder = new TextEncoder();

/**
 * A growable big-endian buffer with Kafka's primitive writers. Each writer returns `this` so fields chain;
 * {@link finish} returns the bytes written (a view; the writer should not be used afterwards).
 * Values out of a field's range are a bug in the caller and throw a RangeError.
 */
export class KafkaWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const at = this.#length;
    const needed = at + n;
    if (needed > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, at));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = needed;
    return at;
  }

  int8(value: number): this {
    const at = this.#reserve(1);
    this.#view.setInt8(at, value);
    return this;
  }

  int16(value: number): this {
    const at = this.#reserve(2);
    this.#view.setInt16(at, value);
    return this;
  }

  int32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setInt32(at, value);
    return this;
  }

  uint32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, value);
    return this;
  }

  int64(value: bigint): this {
    const at = this.#reserve(8);
    this.#view.setBigInt64(at, value);
    return this;
  }

  float64(value: number): this {
    const at = this.#reserve(8);
    this.#view.setFloat64(at, value);
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  /** 16 bytes of a UUID. */
  uuid(value: Uint8Array): this {
    if (value.length !== 16) throw new RangeError(`a uuid is 16 bytes, not ${value.length}`);
    return this.raw(value);
  }

  /** Unsigned LEB128 varint, 0 … 2^32-1. */
  uvarint(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`uvarint ${value} is not an unsigned 32-bit integer`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.#byte((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    this.#byte(rest);
    return this;
  }

  /** Zig-zag signed 32-bit varint. */
  varint(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new RangeError(`varint ${value} is not a signed 32-bit integer`);
    }
    return this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** Zig-zag signed 64-bit varint. */
  varlong(value: bigint): this {
    let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (rest >= 0x80n) {
      this.#byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.#byte(Number(rest));
    return this;
  }

  #byte(value: number): void {
    const at = this.#reserve(1);
    this.#buffer[at] = value;
  }

  #utf8(value: string): Uint8Array {
    return encoder.encode(value);
  }

  /** int16-length UTF-8 string. */
  string(value: string): this {
    const bytes = this.#utf8(value);
    if (bytes.length > 0x7fff) throw new RangeError(`string of ${bytes.length} bytes exceeds the int16 length limit`);
    return this.int16(bytes.length).raw(bytes);
  }

  /** int16-length UTF-8 string; null is -1. */
  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  /** Compact (uvarint length + 1) UTF-8 string. */
  compactString(value: string): this {
    const bytes = this.#utf8(value);
    return this.uvarint(bytes.length + 1).raw(bytes);
  }

  /** Compact UTF-8 string; null is 0. */
  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  /** int32-length bytes. */
  bytes(value: Uint8Array): this {
    return this.int32(value.length).raw(value);
  }

  /** int32-length bytes; null is -1. */
  nullableBytes(value: Uint8Array | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  /** Compact (uvarint length + 1) bytes. */
  compactBytes(value: Uint8Array): this {
    return this.uvarint(value.length + 1).raw(value);
  }

  /** Compact bytes; null is 0. */
  compactNullableBytes(value: Uint8Array | null): this {
    return value === null ? this.uvarint(0) : this.compactBytes(value);
  }

  /** int32-count array. */
  array<T>(items: readonly T[], write: (writer: KafkaWriter, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  /** int32-count array; null is -1. */
  nullableArray<T>(items: readonly T[] | null, write: (writer: KafkaWriter, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, write);
  }

  /** Compact (uvarint count + 1) array. */
  compactArray<T>(items: readonly T[], write: (writer: KafkaWriter, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) write(this, item);
    return this;
  }

  /** Compact array; null is 0. */
  compactNullableArray<T>(items: readonly T[] | null, write: (writer: KafkaWriter, item: T) => void): this {
    return items === null ? this.uvarint(0) : this.compactArray(items, write);
  }

  /** A KIP-482 tagged-field section, tags in ascending order; a single `0` byte when there are none. */
  taggedFields(fields?: ReadonlyMap<number, Uint8Array>): this {
    if (fields === undefined || fields.size === 0) return this.uvarint(0);
    this.uvarint(fields.size);
    for (const tag of [...fields.keys()].sort((a, b) => a - b)) {
      const value = fields.get(tag) as Uint8Array;
      this.uvarint(tag).uvarint(value.length).raw(value);
    }
    return this;
  }

  /** Bytes as they are. */
  raw(bytes: Uint8Array): this {
    const at = this.#reserve(bytes.length);
    this.#buffer.set(bytes, at);
    return this;
  }

  /** Overwrites an int32 already written at `offset` (for length prefixes known only at the end). */
  patchInt32(offset: number, value: number): this {
    if (offset < 0 || offset + 4 > this.#length)
      throw new RangeError(`int32 at ${offset} is outside the ${this.#length} bytes written`);
    this.#view.setInt32(offset, value);
    return this;
  }

  /** The bytes written, as a view of exactly {@link length} bytes. */
  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}
