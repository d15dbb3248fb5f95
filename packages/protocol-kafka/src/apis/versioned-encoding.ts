import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/**
 * Reads the fields whose encoding depends on whether a version is flexible (KIP-482): strings, bytes and
 * arrays are compact (uvarint length + 1) on flexible versions, and every struct ends with a tagged-field
 * section there. Fixed-size fields are read from {@link reader} directly. Array callbacks ignore their
 * argument and read from this object: it wraps the same reader.
 */
export class VersionedReader {
  constructor(
    readonly reader: KafkaReader,
    readonly flexible: boolean,
  ) {}

  string(): string {
    return this.flexible ? this.reader.compactString() : this.reader.string();
  }

  nullableString(): string | null {
    return this.flexible ? this.reader.compactNullableString() : this.reader.nullableString();
  }

  bytes(): Uint8Array {
    return this.flexible ? this.reader.compactBytes() : this.reader.bytes();
  }

  array<T>(read: () => T): T[] {
    return this.flexible ? this.reader.compactArray(() => read()) : this.reader.array(() => read());
  }

  nullableArray<T>(read: () => T): T[] | null {
    return this.flexible ? this.reader.compactNullableArray(() => read()) : this.reader.nullableArray(() => read());
  }

  /** The end of a struct (or of the body): its tagged fields, skipped, on flexible versions. */
  tags(): void {
    if (this.flexible) this.reader.taggedFields();
  }

  /** Reads one struct, then its tagged-field section. */
  struct<T>(read: () => T): T {
    const value = read();
    this.tags();
    return value;
  }
}

/** The writing counterpart of {@link VersionedReader}; fixed-size fields go to {@link writer} directly. */
export class VersionedWriter {
  constructor(
    readonly writer: KafkaWriter,
    readonly flexible: boolean,
  ) {}

  string(value: string): this {
    if (this.flexible) this.writer.compactString(value);
    else this.writer.string(value);
    return this;
  }

  nullableString(value: string | null): this {
    if (this.flexible) this.writer.compactNullableString(value);
    else this.writer.nullableString(value);
    return this;
  }

  bytes(value: Uint8Array): this {
    if (this.flexible) this.writer.compactBytes(value);
    else this.writer.bytes(value);
    return this;
  }

  array<T>(items: readonly T[], write: (item: T) => void): this {
    if (this.flexible) this.writer.compactArray(items, (_w, item) => write(item));
    else this.writer.array(items, (_w, item) => write(item));
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, write: (item: T) => void): this {
    if (this.flexible) this.writer.compactNullableArray(items, (_w, item) => write(item));
    else this.writer.nullableArray(items, (_w, item) => write(item));
    return this;
  }

  /** The end of a struct (or of the body): an empty tagged-field section on flexible versions. */
  tags(): this {
    if (this.flexible) this.writer.taggedFields();
    return this;
  }
}
