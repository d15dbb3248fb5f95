const encoder = new TextEncoder();
// |value| up to 2^51: its zig-zag form (< 2^52) is still an exact double.
const SAFE_VARLONG = 2n ** 51n;

// LEB128 length of a non-negative safe integer.
function unsignedSize(value: number): number {
  let size = 1;
  let rest = value;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 128);
    size++;
  }
  return size;
}

/** Bytes of an unsigned LEB128 varint ({@link KafkaWriter.uvarint}). */
export function uvarintSize(value: number): number {
  return value < 0x80 ? 1 : unsignedSize(value);
}

/** Bytes of a zig-zag 32-bit varint ({@link KafkaWriter.varint}). */
export function varintSize(value: number): number {
  return uvarintSize(value >= 0 ? value * 2 : -value * 2 - 1);
}

/** Bytes of a zig-zag 64-bit varint ({@link KafkaWriter.varlong}). */
export function varlongSize(value: bigint): number {
  if (value >= -SAFE_VARLONG && value <= SAFE_VARLONG) {
    const n = Number(value);
    return uvarintSize(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let size = 1;
  while (rest >= 0x80n) {
    rest >>= 7n;
    size++;
  }
  return size;
}

/**
 * A growable big-endian buffer with Kafka's primitive writers. Each writer returns `this` so fields chain;
 * {@link finish} returns the bytes written (a view; the writer should not be used afterwards).
 * Values out of a field's range are a bug in the caller and throw a RangeError.
 */
export class KafkaWriter {
  #buffer: Uint8Array;
  #view: DataView;
  /** Write position in {@link #buffer}. */
  #position = 0;
  /** Where the current (not yet sealed) segment starts in {@link #buffer}. */
  #segmentStart = 0;
  /** Sealed pieces, in order: segments of own buffers and caller chunks (see {@link chunk}). */
  #chunks: Uint8Array[] = [];
  /** Whether each of {@link #chunks} belongs to a caller (never patched). */
  #external: boolean[] = [];
  /** Bytes in {@link #chunks}. */
  #sealed = 0;

  /**
   * @param initialCapacity bytes to start with (it grows by doubling), or a buffer to write into from
   *   its start (it still grows into a new buffer if that one runs out).
   */
  constructor(initialCapacity: number | Uint8Array = 256) {
    this.#buffer =
      typeof initialCapacity === 'number' ? new Uint8Array(Math.max(16, initialCapacity)) : initialCapacity;
    this.#view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
  }

  /** Bytes written so far (chunks included). */
  get length(): number {
    return this.#sealed + this.#position - this.#segmentStart;
  }

  #reserve(n: number): number {
    const at = this.#position;
    const needed = at + n;
    if (needed > this.#buffer.length) return this.#grow(n);
    this.#position = needed;
    return at;
  }

  // Moves the current segment to a new buffer large enough for n more bytes; sealed segments keep the old one.
  #grow(n: number): number {
    const used = this.#position - this.#segmentStart;
    let capacity = Math.max(16, this.#buffer.length * 2);
    while (capacity < used + n) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(this.#segmentStart, this.#position));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
    this.#segmentStart = 0;
    this.#position = used + n;
    return used;
  }

  /**
   * Room for exactly `n` more bytes without growing, for a caller that knows what it will write
   * (e.g. a record batch whose size was computed first).
   */
  ensure(n: number): this {
    if (this.#position + n > this.#buffer.length) {
      this.#grow(n);
      this.#position -= n;
    }
    return this;
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
    this.#unsigned(value);
    return this;
  }

  /** Zig-zag signed 32-bit varint. */
  varint(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new RangeError(`varint ${value} is not a signed 32-bit integer`);
    }
    this.#unsigned(value >= 0 ? value * 2 : -value * 2 - 1);
    return this;
  }

  /** Zig-zag signed 64-bit varint. */
  varlong(value: bigint): this {
    if (value >= -SAFE_VARLONG && value <= SAFE_VARLONG) {
      const n = Number(value);
      this.#unsigned(n >= 0 ? n * 2 : -n * 2 - 1);
      return this;
    }
    let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    const at = this.#reserve(varlongSize(value));
    let i = at;
    while (rest >= 0x80n) {
      this.#buffer[i++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#buffer[i] = Number(rest);
    return this;
  }

  // LEB128 of a non-negative safe integer, reserved at once.
  #unsigned(value: number): void {
    if (value < 0x80) {
      const at = this.#reserve(1);
      this.#buffer[at] = value;
      return;
    }
    let i = this.#reserve(unsignedSize(value));
    const buffer = this.#buffer;
    let rest = value;
    while (rest >= 0x80) {
      buffer[i++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buffer[i] = rest;
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

  /**
   * Bytes as they are, by reference when they are large (at least `minBytes`, default 4 KiB): the
   * writer keeps the view and {@link finishChunks} hands it back as its own piece, so a Fetch response
   * does not copy its records. The caller must not change `bytes` until the output is consumed.
   */
  chunk(bytes: Uint8Array, minBytes = 4096): this {
    if (bytes.length < minBytes) return this.raw(bytes);
    this.#seal();
    this.#chunks.push(bytes);
    this.#external.push(true);
    this.#sealed += bytes.length;
    return this;
  }

  #seal(): void {
    if (this.#position === this.#segmentStart) return;
    this.#chunks.push(this.#buffer.subarray(this.#segmentStart, this.#position));
    this.#external.push(false);
    this.#sealed += this.#position - this.#segmentStart;
    this.#segmentStart = this.#position;
  }

  /** Overwrites an int32 already written at `offset` (for length prefixes known only at the end). */
  patchInt32(offset: number, value: number): this {
    if (offset < 0 || offset + 4 > this.length)
      throw new RangeError(`int32 at ${offset} is outside the ${this.length} bytes written`);
    let at = offset;
    for (let i = 0; i < this.#chunks.length; i++) {
      const piece = this.#chunks[i] as Uint8Array;
      if (at < piece.length) {
        if (at + 4 > piece.length || this.#external[i]) {
          throw new RangeError(`int32 at ${offset} is not inside the writer's own bytes`);
        }
        new DataView(piece.buffer, piece.byteOffset, piece.byteLength).setInt32(at, value);
        return this;
      }
      at -= piece.length;
    }
    this.#view.setInt32(this.#segmentStart + at, value);
    return this;
  }

  /**
   * The bytes written as one array of exactly {@link length} bytes: a view of the buffer, or a copy
   * when {@link chunk} kept pieces by reference.
   */
  finish(): Uint8Array {
    if (this.#chunks.length === 0) return this.#buffer.subarray(this.#segmentStart, this.#position);
    const pieces = this.finishChunks();
    const out = new Uint8Array(this.#sealed);
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  /** The bytes written as the pieces to send in order (one piece unless {@link chunk} kept some by reference). */
  finishChunks(): Uint8Array[] {
    this.#seal();
    return this.#chunks.slice();
  }
}
