import type { StoredMessage } from '@eddy/message';
import type { QueueRange } from '@eddy/store';

/** One stored message with what the engine needs to serve it without recomputing. */
export interface QueueEntry {
  /** Frozen, with keys and properties frozen; the body is the engine's private copy, never handed out. */
  readonly message: StoredMessage;
  /** `encodedRecordSize(message)`, computed once at append, for `maxBytes`. */
  readonly size: number;
  /** Set when the entry leaves its queue, so that indexes holding it know it is no longer readable. */
  removed: boolean;
}

// Below this many dropped slots the array is left alone: compacting a small array saves nothing.
const COMPACT_MIN_DROPPED = 1024;

/**
 * One queue's log: entries in offset order. `entries[head]` holds `minOffset`; slots before `head` are
 * dropped (cleared so their messages can be collected) and are reclaimed in one move once they are at
 * least half the array, so dropping the front costs amortised O(1) per message whatever the queue's size.
 */
export class MemoryQueue {
  readonly queueId: number;
  #entries: (QueueEntry | undefined)[] = [];
  /** The offset of `#entries[0]`. */
  #baseOffset = 0;
  #head = 0;
  #lastStoreTimestamp = Number.NEGATIVE_INFINITY;

  constructor(queueId: number) {
    this.queueId = queueId;
  }

  get minOffset(): number {
    return this.#baseOffset + this.#head;
  }

  get maxOffset(): number {
    return this.#baseOffset + this.#entries.length;
  }

  /** Slots the queue's array holds, dropped ones included: what compaction keeps bounded. */
  get retainedSlots(): number {
    return this.#entries.length;
  }

  range(): QueueRange {
    return { queueId: this.queueId, minOffset: this.minOffset, maxOffset: this.maxOffset };
  }

  /** The store timestamp for a batch appended now: never below the previous batch's, whatever the clock does. */
  nextStoreTimestamp(now: number): number {
    return Math.max(this.#lastStoreTimestamp, now);
  }

  /** Adds entries whose messages carry offsets from {@link maxOffset} on and `storeTimestamp`. */
  append(entries: readonly QueueEntry[], storeTimestamp: number): void {
    for (const entry of entries) this.#entries.push(entry);
    this.#lastStoreTimestamp = storeTimestamp;
  }

  /** The entry at `offset`, or `undefined` outside `minOffset … maxOffset - 1`. */
  entryAt(offset: number): QueueEntry | undefined {
    if (offset < this.minOffset) return undefined;
    return this.#entries[offset - this.#baseOffset];
  }

  /**
   * The first readable offset stored at or after `timestamp`, or {@link maxOffset} when there is none.
   * Store timestamps never decrease within a queue, so a binary search finds it.
   */
  firstOffsetStoredAtOrAfter(timestamp: number): number {
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#entries[middle] as QueueEntry).message.storeTimestamp < timestamp) low = middle + 1;
      else high = middle;
    }
    return this.#baseOffset + low;
  }

  /**
   * Makes every offset below `offset` (clamped to `minOffset … maxOffset`) unreadable, marking each
   * dropped entry removed and handing it to `onDrop`.
   *
   * @returns whether `minOffset` moved.
   */
  dropBefore(offset: number, onDrop: (entry: QueueEntry) => void): boolean {
    const newHead = Math.min(Math.max(offset, this.minOffset), this.maxOffset) - this.#baseOffset;
    if (newHead === this.#head) return false;
    for (let index = this.#head; index < newHead; index++) {
      const entry = this.#entries[index] as QueueEntry;
      entry.removed = true;
      this.#entries[index] = undefined;
      onDrop(entry);
    }
    this.#head = newHead;
    if (this.#head === this.#entries.length) {
      this.#baseOffset += this.#head;
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_MIN_DROPPED && this.#head * 2 >= this.#entries.length) {
      this.#entries.copyWithin(0, this.#head);
      this.#entries.length -= this.#head;
      this.#baseOffset += this.#head;
      this.#head = 0;
    }
    return true;
  }

  /** Marks every entry removed and hands it to `onDrop`; the queue is not used afterwards. */
  dropAll(onDrop: (entry: QueueEntry) => void): void {
    this.dropBefore(this.maxOffset, onDrop);
  }
}
