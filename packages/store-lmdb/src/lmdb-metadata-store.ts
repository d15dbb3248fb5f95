import { EddyError } from '@eddy/message';
import type { MetadataEntry, MetadataOperation, MetadataStore } from '@eddy/store';
import type { Database } from 'lmdb';
import { prefixEnd } from './key-layout.js';

/** LMDB's largest key with the default 4 KiB page; metadata keys are stored as they are, to keep scan order. */
export const MAX_METADATA_KEY_BYTES = 1978;

/** How the owning store runs a write transaction: committed to its flush level when the promise resolves. */
export type CommitFunction = <T>(doing: string, work: () => T) => Promise<T>;

/**
 * The metadata key-value store on one LMDB database. Keys are stored as their UTF-8 bytes, so LMDB's
 * memcmp order is the contract's UTF-8 byte order and a prefix scan is one cursor walk; a batch is one
 * write transaction.
 */
export class LmdbMetadataStore implements MetadataStore {
  readonly #database: Database<Buffer, Buffer>;
  readonly #commit: CommitFunction;
  readonly #read: <T>(doing: string, work: () => T) => Promise<T>;

  /**
   * @param commit runs a write transaction (and rejects with `STORE_CLOSED` once the store is closed).
   * @param read runs a read (and rejects with `STORE_CLOSED` once the store is closed).
   */
  constructor(
    database: Database<Buffer, Buffer>,
    commit: CommitFunction,
    read: <T>(doing: string, work: () => T) => Promise<T>,
  ) {
    this.#database = database;
    this.#commit = commit;
    this.#read = read;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#read('metadata get', () => {
      const value = this.#database.get(encodeKey(key));
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.#commit('metadata put', () => {
      const encoded = encodeKey(key);
      checkValue(key, value);
      this.#database.putSync(encoded, Buffer.from(value));
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#commit('metadata delete', () => this.#database.removeSync(encodeKey(key)));
  }

  scan(prefix: string, options: { readonly limit?: number } = {}): Promise<MetadataEntry[]> {
    return this.#read('metadata scan', () => {
      if (typeof prefix !== 'string' || !isWellFormed(prefix)) {
        throw new EddyError('INVALID_ARGUMENT', 'metadata scan prefix must be a well-formed string');
      }
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      if (options.limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new EddyError('INVALID_ARGUMENT', `limit must be a positive integer, got ${options.limit}`);
      }
      const start = Buffer.from(prefix, 'utf8');
      const end = start.byteLength === 0 ? undefined : prefixEnd(start);
      const range = this.#database.getRange({
        ...(start.byteLength > 0 ? { start } : {}),
        ...(end === undefined ? {} : { end }),
        ...(Number.isFinite(limit) ? { limit } : {}),
      });
      const entries: MetadataEntry[] = [];
      for (const { key, value } of range) {
        entries.push({ key: (key as Buffer).toString('utf8'), value: new Uint8Array(value) });
      }
      return entries;
    });
  }

  batch(operations: readonly MetadataOperation[]): Promise<void> {
    return this.#commit('metadata batch', () => {
      if (!Array.isArray(operations)) throw new EddyError('INVALID_ARGUMENT', 'metadata batch must be an array');
      // Every operation is checked before any is applied; a throw would abort the transaction anyway,
      // but checking first keeps the error about the input rather than about LMDB.
      const encoded = operations.map((operation) => {
        if (operation?.type === 'put') {
          const key = encodeKey(operation.key);
          checkValue(operation.key, operation.value);
          return { key, value: Buffer.from(operation.value) };
        }
        if (operation?.type === 'delete') return { key: encodeKey(operation.key), value: undefined };
        throw new EddyError('INVALID_ARGUMENT', `unknown metadata operation '${String(operation?.type)}'`);
      });
      for (const { key, value } of encoded) {
        if (value === undefined) this.#database.removeSync(key);
        else this.#database.putSync(key, value);
      }
    });
  }
}

// A lone surrogate has no UTF-8 form: two such keys would collide as U+FFFD, so every engine refuses them.
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function encodeKey(key: string): Buffer {
  if (typeof key !== 'string' || key.length === 0) {
    throw new EddyError('INVALID_ARGUMENT', 'metadata key must be a non-empty string');
  }
  if (!isWellFormed(key)) throw new EddyError('INVALID_ARGUMENT', `metadata key '${key}' is not well-formed UTF-16`);
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.byteLength > MAX_METADATA_KEY_BYTES) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `metadata key is ${bytes.byteLength} bytes; the limit is ${MAX_METADATA_KEY_BYTES} (LMDB key size)`,
    );
  }
  return bytes;
}

function checkValue(key: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) {
    throw new EddyError('INVALID_ARGUMENT', `metadata value for '${key}' must be a Uint8Array`);
  }
}
