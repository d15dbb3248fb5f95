import {
  checkMetadataKey,
  checkMetadataOperations,
  checkMetadataScan,
  checkMetadataValue as checkValue,
  type MetadataEntry,
  type MetadataOperation,
  type MetadataStore,
} from '@eddy/store';
import type { Database } from 'lmdb';
import { prefixEnd } from './key-layout.js';

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
      const limit = checkMetadataScan(prefix, options);
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
      // Every operation is checked before any is applied; a throw would abort the transaction anyway,
      // but checking first keeps the error about the input rather than about LMDB.
      checkMetadataOperations(operations);
      const encoded = operations.map((operation) =>
        operation.type === 'put'
          ? { key: Buffer.from(operation.key, 'utf8'), value: Buffer.from(operation.value) }
          : { key: Buffer.from(operation.key, 'utf8'), value: undefined },
      );
      for (const { key, value } of encoded) {
        if (value === undefined) this.#database.removeSync(key);
        else this.#database.putSync(key, value);
      }
    });
  }
}

// Metadata keys are stored as their UTF-8 bytes, to keep scan order; the shared check keeps them under LMDB's key size.
function encodeKey(key: string): Buffer {
  checkMetadataKey(key);
  return Buffer.from(key, 'utf8');
}
