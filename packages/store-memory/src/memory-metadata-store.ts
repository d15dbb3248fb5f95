import {
  checkMetadataKey as checkKey,
  checkMetadataOperations,
  checkMetadataScan,
  checkMetadataValue as checkValue,
  type MetadataEntry,
  type MetadataOperation,
  type MetadataStore,
} from '@eddy/store';

interface StoredKey {
  readonly key: string;
  /** The key's UTF-8 bytes: the sort order, computed once. */
  readonly bytes: Buffer;
}

/**
 * The metadata key-value store in memory. Values live in a map; keys also live in an array kept in
 * UTF-8 byte order, so that a prefix scan is a binary search and a walk rather than a sort of every key.
 * Values are copied in and out, so neither the writer's buffer nor a reader's changes reach the store.
 */
export class MemoryMetadataStore implements MetadataStore {
  readonly #ensureOpen: () => void;
  readonly #values = new Map<string, Uint8Array>();
  #sortedKeys: StoredKey[] = [];

  /** @param ensureOpen throws `STORE_CLOSED` once the owning store is closed. */
  constructor(ensureOpen: () => void) {
    this.#ensureOpen = ensureOpen;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#ensureOpen();
    checkKey(key);
    return this.#values.get(key)?.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#ensureOpen();
    checkKey(key);
    checkValue(key, value);
    this.#put(key, value);
  }

  async delete(key: string): Promise<boolean> {
    this.#ensureOpen();
    checkKey(key);
    return this.#delete(key);
  }

  async scan(prefix: string, options: { readonly limit?: number } = {}): Promise<MetadataEntry[]> {
    this.#ensureOpen();
    const limit = checkMetadataScan(prefix, options);
    const entries: MetadataEntry[] = [];
    // Keys sharing a byte prefix are contiguous in byte order, starting where the prefix would sort.
    for (let index = this.#lowerBound(Buffer.from(prefix, 'utf8')); index < this.#sortedKeys.length; index++) {
      if (entries.length >= limit) break;
      const { key } = this.#sortedKeys[index] as StoredKey;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, value: (this.#values.get(key) as Uint8Array).slice() });
    }
    return entries;
  }

  async batch(operations: readonly MetadataOperation[]): Promise<void> {
    this.#ensureOpen();
    // Every operation is checked before any is applied: a batch is all or nothing.
    checkMetadataOperations(operations);
    for (const operation of operations) {
      if (operation.type === 'put') this.#put(operation.key, operation.value);
      else this.#delete(operation.key);
    }
  }

  /** Drops every entry; the owning store is closing. */
  clear(): void {
    this.#values.clear();
    this.#sortedKeys = [];
  }

  #put(key: string, value: Uint8Array): void {
    if (!this.#values.has(key)) {
      const bytes = Buffer.from(key, 'utf8');
      this.#sortedKeys.splice(this.#lowerBound(bytes), 0, { key, bytes });
    }
    this.#values.set(key, new Uint8Array(value));
  }

  #delete(key: string): boolean {
    if (!this.#values.delete(key)) return false;
    this.#sortedKeys.splice(this.#lowerBound(Buffer.from(key, 'utf8')), 1);
    return true;
  }

  /** The index of the first key not below `bytes`. */
  #lowerBound(bytes: Buffer): number {
    let low = 0;
    let high = this.#sortedKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare((this.#sortedKeys[middle] as StoredKey).bytes, bytes) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

// A lone surrogate has no UTF-8 form: two different such keys would encode to the same bytes (U+FFFD)
