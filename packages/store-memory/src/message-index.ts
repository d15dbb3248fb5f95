import type { QueueEntry } from './memory-queue.js';

/**
 * Message id → the entries stored with that id, oldest first. Ids are meant to be unique, so nearly
 * every id has one entry and it is held without an array; a repeated id (a producer's retry, the same
 * message sent to a retry topic) keeps all of them, so that removing the newest uncovers the one before.
 */
export class IdIndex {
  readonly #entries = new Map<string, QueueEntry | QueueEntry[]>();

  add(entry: QueueEntry): void {
    const id = entry.message.messageId;
    const existing = this.#entries.get(id);
    if (existing === undefined) this.#entries.set(id, entry);
    else if (Array.isArray(existing)) existing.push(entry);
    else this.#entries.set(id, [existing, entry]);
  }

  remove(entry: QueueEntry): void {
    const id = entry.message.messageId;
    const existing = this.#entries.get(id);
    if (existing === entry) {
      this.#entries.delete(id);
    } else if (Array.isArray(existing)) {
      const remaining = existing.filter((candidate) => candidate !== entry);
      this.#entries.set(id, remaining.length === 1 ? (remaining[0] as QueueEntry) : remaining);
    }
  }

  /** The newest readable entry with this id. */
  newest(id: string): QueueEntry | undefined {
    const existing = this.#entries.get(id);
    if (existing === undefined) return undefined;
    if (!Array.isArray(existing)) return existing.removed ? undefined : existing;
    for (let index = existing.length - 1; index >= 0; index--) {
      const entry = existing[index] as QueueEntry;
      if (!entry.removed) return entry;
    }
    return undefined;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Ids held, for tests of index clean-up. */
  get size(): number {
    return this.#entries.size;
  }
}

interface KeyList {
  /** Oldest first; may hold removed entries, at most as many as readable ones. */
  entries: QueueEntry[];
  removed: number;
}

/**
 * One topic's key → entries index, oldest first. Removal is lazy: an entry leaves the index when its
 * queue drops it, but its list is rewritten only once removed entries are half of it, because the
 * dropped entries of one queue are scattered among other queues' entries in the list. Look-ups skip
 * removed entries.
 */
export class KeyIndex {
  readonly #lists = new Map<string, KeyList>();

  add(entry: QueueEntry): void {
    forEachDistinctKey(entry, (key) => {
      const list = this.#lists.get(key);
      if (list === undefined) this.#lists.set(key, { entries: [entry], removed: 0 });
      else list.entries.push(entry);
    });
  }

  /** Accounts for an entry already marked removed. */
  remove(entry: QueueEntry): void {
    forEachDistinctKey(entry, (key) => {
      const list = this.#lists.get(key);
      if (list === undefined) return;
      list.removed++;
      if (list.removed * 2 < list.entries.length) return;
      list.entries = list.entries.filter((candidate) => !candidate.removed);
      list.removed = 0;
      if (list.entries.length === 0) this.#lists.delete(key);
    });
  }

  /** Readable entries with `key` among their keys, newest first, at most `limit`. */
  newest(key: string, limit: number): QueueEntry[] {
    const found: QueueEntry[] = [];
    const list = this.#lists.get(key);
    if (list === undefined) return found;
    for (let index = list.entries.length - 1; index >= 0 && found.length < limit; index--) {
      const entry = list.entries[index] as QueueEntry;
      if (!entry.removed) found.push(entry);
    }
    return found;
  }

  /** Entries held, removed ones included, for tests of index clean-up. */
  get retainedEntries(): number {
    let count = 0;
    for (const list of this.#lists.values()) count += list.entries.length;
    return count;
  }
}

// A message may list the same key twice; it is still one match, and one index slot.
function forEachDistinctKey(entry: QueueEntry, visit: (key: string) => void): void {
  const keys = entry.message.keys;
  if (keys.length === 1) {
    visit(keys[0] as string);
    return;
  }
  for (const key of new Set(keys)) visit(key);
}
