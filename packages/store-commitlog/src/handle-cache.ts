import type { FileHandle, FileSystem } from './file-layer.js';

interface CacheEntry {
  readonly handle: FileHandle;
  /** Syncs under way on this handle: it must not be closed under them. */
  pins: number;
  /** Evicted or dropped while pinned: closed when the last pin goes. */
  closeWhenUnpinned: boolean;
}

/**
 * Open file handles, at most `maxOpen` of them (least recently used closed first), so that 10,000
 * queues do not need 10,000 descriptors. A handle with a sync under way is pinned and never closed
 * under it: an fdatasync queued on the thread pool must not run on a descriptor number that was closed
 * and reused. The bound can be passed briefly while more handles than that are pinned.
 */
export class HandleCache {
  readonly #fileSystem: FileSystem;
  readonly #maxOpen: number;
  /** In least-recently-used-first order (a Map keeps insertion order; a hit moves the entry to the end). */
  readonly #entries = new Map<string, CacheEntry>();
  #opened = 0;

  constructor(fileSystem: FileSystem, maxOpen: number) {
    this.#fileSystem = fileSystem;
    this.#maxOpen = maxOpen;
  }

  /** Handles open now. */
  get openCount(): number {
    return this.#entries.size;
  }

  /** Files opened since the cache was made; for tests of the LRU bound. */
  get openedTotal(): number {
    return this.#opened;
  }

  /** The handle of `path`, opened (and created when `create`) if needed. Use it before the next call. */
  get(path: string, create = false): FileHandle {
    const entry = this.#entries.get(path);
    if (entry !== undefined) {
      this.#entries.delete(path);
      this.#entries.set(path, entry);
      return entry.handle;
    }
    this.#evict(this.#maxOpen - 1);
    const handle = this.#fileSystem.open(path, { create });
    this.#opened++;
    this.#entries.set(path, { handle, pins: 0, closeWhenUnpinned: false });
    return handle;
  }

  /**
   * The handle of `path`, held open (never evicted) until `release` is called: for a file used on every
   * write, such as the CommitLog segment being written.
   */
  lease(path: string, create = false): { readonly handle: FileHandle; release(): void } {
    this.get(path, create);
    const entry = this.#entries.get(path) as CacheEntry;
    entry.pins++;
    let released = false;
    return {
      handle: entry.handle,
      release: () => {
        if (released) return;
        released = true;
        this.#unpin(entry);
      },
    };
  }

  /**
   * Makes `path`'s data durable: through its cached handle if open, otherwise through a handle opened
   * for the purpose (fsync acts on the file, whichever descriptor asks).
   */
  async sync(path: string): Promise<void> {
    const entry = this.#entries.get(path);
    if (entry === undefined) {
      if (!this.#fileSystem.exists(path)) return;
      const handle = this.#fileSystem.open(path);
      try {
        await handle.sync();
      } finally {
        handle.close();
      }
      return;
    }
    entry.pins++;
    try {
      await entry.handle.sync();
    } finally {
      this.#unpin(entry);
    }
  }

  #unpin(entry: CacheEntry): void {
    entry.pins--;
    if (entry.pins === 0 && entry.closeWhenUnpinned) entry.handle.close();
  }

  /** Closes `path`'s handle if open (after any sync under way). */
  close(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    this.#entries.delete(path);
    this.#release(entry);
  }

  /** Closes every handle whose path starts with `prefix`. */
  closeUnder(prefix: string): void {
    for (const [path, entry] of [...this.#entries]) {
      if (path.startsWith(prefix)) {
        this.#entries.delete(path);
        this.#release(entry);
      }
    }
  }

  /** Closes every handle. */
  closeAll(): void {
    for (const entry of this.#entries.values()) this.#release(entry);
    this.#entries.clear();
  }

  #evict(keep: number): void {
    if (this.#entries.size <= keep) return;
    for (const [path, entry] of this.#entries) {
      if (this.#entries.size <= keep) return;
      if (entry.pins > 0) continue;
      this.#entries.delete(path);
      entry.handle.close();
    }
  }

  #release(entry: CacheEntry): void {
    if (entry.pins > 0) entry.closeWhenUnpinned = true;
    else entry.handle.close();
  }
}
