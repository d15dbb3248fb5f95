import { EddyError } from '@eddy/message';

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
 * Keys are non-empty, well-formed strings of at most {@link MAX_METADATA_KEY_BYTES} UTF-8 bytes, ordered by
 * their UTF-8 bytes. Values are bytes (see
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

/** The longest metadata key every engine accepts, in UTF-8 bytes (LMDB's key size bounds it). */
export const MAX_METADATA_KEY_BYTES = 1024;

/**
 * The key check every engine makes, so that all refuse the same keys: a non-empty, well-formed string
 * (a lone surrogate has no UTF-8 form, so two such keys would collide) of at most
 * {@link MAX_METADATA_KEY_BYTES} UTF-8 bytes.
 *
 * @throws `INVALID_ARGUMENT` naming the problem.
 */
export function checkMetadataKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new EddyError('INVALID_ARGUMENT', 'metadata key must be a non-empty string');
  }
  if (!(key as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new EddyError('INVALID_ARGUMENT', `metadata key '${key}' is not well-formed UTF-16`);
  }
  if (key.length * 3 > MAX_METADATA_KEY_BYTES && Buffer.byteLength(key) > MAX_METADATA_KEY_BYTES) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `metadata key is ${Buffer.byteLength(key)} bytes; the limit is ${MAX_METADATA_KEY_BYTES} (MAX_METADATA_KEY_BYTES)`,
    );
  }
}

/** @throws `INVALID_ARGUMENT` unless `value` is a `Uint8Array`. */
export function checkMetadataValue(key: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) {
    throw new EddyError('INVALID_ARGUMENT', `metadata value for '${key}' must be a Uint8Array`);
  }
}

/**
 * Checks every operation of a batch before any is applied, so that a batch is all or nothing in every engine.
 *
 * @throws `INVALID_ARGUMENT` for a bad key, value or operation type.
 */
export function checkMetadataOperations(operations: readonly MetadataOperation[]): void {
  if (!Array.isArray(operations)) throw new EddyError('INVALID_ARGUMENT', 'metadata batch must be an array');
  for (const operation of operations) {
    if (operation?.type === 'put') {
      checkMetadataKey(operation.key);
      checkMetadataValue(operation.key, operation.value);
    } else if (operation?.type === 'delete') {
      checkMetadataKey(operation.key);
    } else {
      throw new EddyError('INVALID_ARGUMENT', `unknown metadata operation '${String(operation?.type)}'`);
    }
  }
}

/**
 * Checks a scan's prefix and limit the same way in every engine and returns the limit to apply
 * (`Infinity` when none was given).
 *
 * @throws `INVALID_ARGUMENT` for a prefix that is not a well-formed string or a limit that is not a positive integer.
 */
export function checkMetadataScan(prefix: string, options: { readonly limit?: number } = {}): number {
  if (typeof prefix !== 'string' || !(prefix as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new EddyError('INVALID_ARGUMENT', 'metadata scan prefix must be a well-formed string');
  }
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (options.limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new EddyError('INVALID_ARGUMENT', `limit must be a positive integer, got ${options.limit}`);
  }
  return limit;
}
