/** One change in a {@link MetadataStore.batch}. */
export type MetadataOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: string };

/** A key and its value, as a scan returns them. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

/**
 * The durable key-value store beside the message log. The broker keeps topic configs, consumer
 * offsets, group state, schedules and transaction state here, so every engine keeps them across
 * restarts and replication can carry them later.
 *
 * Keys are non-empty strings, ordered by their UTF-8 bytes. Values are bytes (see
 * {@link encodeJsonValue} for JSON). A write resolves once it is durable to the engine's configured
 * level, the same level as an appended message; a read sees every write that resolved before it began.
 */
export interface MetadataStore {
  /** The value under `key`, or `undefined`. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Sets `key` to `value`, replacing any value. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Removes `key`; true if it was there. */
  delete(key: string): Promise<boolean>;
  /**
   * Every entry whose key starts with `prefix`, in key order; at most `limit` of them when given.
   * An empty prefix scans everything.
   */
  scan(prefix: string, options?: { readonly limit?: number }): Promise<MetadataEntry[]>;
  /**
   * Applies all operations atomically, in order (a later operation on the same key wins): after a
   * crash either all of them are there or none is.
   */
  batch(operations: readonly MetadataOperation[]): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A JSON value as metadata bytes. */
export function encodeJsonValue(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Metadata bytes back to a JSON value. Validate the result (zod) before trusting its shape. */
export function decodeJsonValue(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

/** Compares two keys by their UTF-8 bytes, the order every {@link MetadataStore} scans in. */
export function compareKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}
