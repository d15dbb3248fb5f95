/**
 * Produced record batches kept as they came, for Fetch to serve back without re-encoding ("batches are
 * first-class"): after Produce appends a batch at base offset B (one `broker.appendBatch`, so offsets
 * B … B+count-1), the batch's bytes (still compressed if the producer compressed) are kept with
 * baseOffset patched to B and partitionLeaderEpoch to 0. Both fields are outside the CRC, so the batch
 * stays valid.
 *
 * Per partition the batches are ordered by base offset; their total size is bounded, and the oldest
 * (first added) go first. Anything not added here — messages from the RocketMQ side, transaction
 * markers, batches evicted or from before a restart — is a gap: {@link ProducedBatchCache.run} stops
 * there and Fetch re-encodes from the store.
 */
export interface CachedBatch {
  /** Offset of the batch's first record. */
  readonly baseOffset: number;
  /** Records (= offsets) in the batch. */
  readonly count: number;
  /** The whole batch, baseOffset and partitionLeaderEpoch patched. */
  readonly bytes: Uint8Array;
  /** Message id of the stored message at `baseOffset`, to check the store still holds this batch. */
  readonly messageId: string;
}

interface Entry extends CachedBatch {
  readonly key: string;
  live: boolean;
}

/** Default bound of the cache's total bytes: 64 MiB. */
export const DEFAULT_PRODUCED_BATCH_CACHE_BYTES = 64 * 1024 * 1024;

const keyOf = (topic: string, partition: number): string => `${partition}\u0000${topic}`;
const endOf = (entry: CachedBatch): number => entry.baseOffset + entry.count;

/** Bytes of a batch header before partitionLeaderEpoch (baseOffset int64, batchLength int32). */
const LEADER_EPOCH_AT = 12;

/**
 * A copy of one produced batch (`records.subarray(start, end)`) with baseOffset set to `baseOffset` and
 * partitionLeaderEpoch to 0, ready to be served. The CRC (attributes … end) is unchanged.
 */
export function patchedBatch(records: Uint8Array, start: number, end: number, baseOffset: number): Uint8Array {
  const bytes = records.slice(start, end);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setBigInt64(0, BigInt(baseOffset));
  view.setInt32(LEADER_EPOCH_AT, 0);
  return bytes;
}

/** The bounded cache of produced batches; see {@link CachedBatch}. */
export class ProducedBatchCache {
  readonly maxBytes: number;
  #bytes = 0;
  #count = 0;
  readonly #partitions = new Map<string, Entry[]>();
  // Every added entry in the order added (eviction order); dead ones are skipped.
  #order: Entry[] = [];
  #orderHead = 0;

  /** @param maxBytes bound of the total bytes kept; 0 keeps nothing. */
  constructor(maxBytes: number = DEFAULT_PRODUCED_BATCH_CACHE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`produced batch cache bound ${maxBytes} is not a non-negative integer`);
    }
    this.maxBytes = maxBytes;
  }

  /** Bytes kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Batches kept. */
  get size(): number {
    return this.#count;
  }

  /**
   * Keeps a batch appended at `batch.baseOffset`. A batch that does not follow the partition's last one
   * (offsets went back: the partition was recreated behind the gateway) first drops the partition. A
   * batch larger than the whole bound is not kept.
   */
  add(topic: string, partition: number, batch: CachedBatch): void {
    if (batch.count <= 0 || batch.bytes.length > this.maxBytes) return;
    const key = keyOf(topic, partition);
    let entries = this.#partitions.get(key);
    const last = entries?.[entries.length - 1];
    if (last !== undefined && batch.baseOffset < endOf(last)) {
      this.invalidatePartition(topic, partition);
      entries = undefined;
    }
    if (entries === undefined) {
      entries = [];
      this.#partitions.set(key, entries);
    }
    const entry: Entry = { ...batch, key, live: true };
    entries.push(entry);
    this.#order.push(entry);
    this.#bytes += batch.bytes.length;
    this.#count++;
    while (this.#bytes > this.maxBytes && this.#evictOldest()) {}
  }

  /**
   * The contiguous run of kept batches from the one containing `offset`: each next batch starts where
   * the previous ended, all end at or below `limit` (a batch crossing it is not served), and after the
   * first they fit `maxBytes` together (the first always goes unless `firstAlways` is false). Empty at a gap.
   */
  run(
    topic: string,
    partition: number,
    offset: number,
    limit: number,
    maxBytes: number,
    firstAlways = true,
  ): CachedBatch[] {
    const entries = this.#partitions.get(keyOf(topic, partition));
    if (entries === undefined) return [];
    let index = this.#find(entries, offset);
    const out: CachedBatch[] = [];
    let size = 0;
    let expected = -1;
    for (; index < entries.length; index++) {
      const entry = entries[index] as Entry;
      if (out.length === 0 ? !(entry.baseOffset <= offset && offset < endOf(entry)) : entry.baseOffset !== expected) {
        break;
      }
      if (endOf(entry) > limit) break;
      if ((out.length > 0 || !firstAlways) && size + entry.bytes.length > maxBytes) break;
      out.push(entry);
      size += entry.bytes.length;
      expected = endOf(entry);
    }
    return out;
  }

  /** Base offset of the first kept batch starting after `offset`, if any. */
  nextStart(topic: string, partition: number, offset: number): number | undefined {
    const entries = this.#partitions.get(keyOf(topic, partition));
    if (entries === undefined) return undefined;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((entries[mid] as Entry).baseOffset <= offset) low = mid + 1;
      else high = mid;
    }
    return entries[low]?.baseOffset;
  }

  /** End offset of the partition's last kept batch (0 when none). */
  endOffset(topic: string, partition: number): number {
    const entries = this.#partitions.get(keyOf(topic, partition));
    const last = entries?.[entries.length - 1];
    return last === undefined ? 0 : endOf(last);
  }

  /** Drops a partition's batches. */
  invalidatePartition(topic: string, partition: number): void {
    const key = keyOf(topic, partition);
    const entries = this.#partitions.get(key);
    if (entries === undefined) return;
    for (const entry of entries) this.#kill(entry);
    this.#partitions.delete(key);
    this.#compactOrder();
  }

  /** Drops every partition of a topic. */
  invalidateTopic(topic: string): void {
    const suffix = `\u0000${topic}`;
    for (const key of [...this.#partitions.keys()]) {
      if (!key.endsWith(suffix)) continue;
      const partition = Number(key.slice(0, key.indexOf('\u0000')));
      this.invalidatePartition(topic, partition);
    }
  }

  /** Drops a partition's batches that start below `offset` (the new log start). */
  dropBefore(topic: string, partition: number, offset: number): void {
    const key = keyOf(topic, partition);
    const entries = this.#partitions.get(key);
    if (entries === undefined) return;
    let keep = 0;
    while (keep < entries.length && (entries[keep] as Entry).baseOffset < offset) this.#kill(entries[keep++] as Entry);
    if (keep === entries.length) this.#partitions.delete(key);
    else entries.splice(0, keep);
    this.#compactOrder();
  }

  /** Drops everything. */
  clear(): void {
    for (const entries of this.#partitions.values()) for (const entry of entries) entry.live = false;
    this.#partitions.clear();
    this.#order = [];
    this.#orderHead = 0;
    this.#bytes = 0;
    this.#count = 0;
  }

  // Index of the last entry with baseOffset <= offset (0 when none).
  #find(entries: readonly Entry[], offset: number): number {
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((entries[mid] as Entry).baseOffset <= offset) low = mid + 1;
      else high = mid;
    }
    return Math.max(0, low - 1);
  }

  #kill(entry: Entry): void {
    if (!entry.live) return;
    entry.live = false;
    this.#bytes -= entry.bytes.length;
    this.#count--;
  }

  #evictOldest(): boolean {
    let evicted = false;
    while (this.#orderHead < this.#order.length) {
      const entry = this.#order[this.#orderHead] as Entry;
      this.#order[this.#orderHead++] = undefined as unknown as Entry;
      if (!entry.live) continue;
      this.#kill(entry);
      const entries = this.#partitions.get(entry.key) as Entry[];
      // Added in offset order per partition, so the oldest is the first.
      if (entries[0] === entry) entries.shift();
      else entries.splice(entries.indexOf(entry), 1);
      if (entries.length === 0) this.#partitions.delete(entry.key);
      evicted = true;
      break;
    }
    this.#compactOrder();
    return evicted;
  }

  // Forgets evicted and dropped entries once they are most of the eviction queue.
  #compactOrder(): void {
    const pending = this.#order.length - this.#orderHead;
    if (this.#orderHead > 1024 && this.#orderHead > pending) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
    if (this.#order.length > 1024 && this.#count < (this.#order.length - this.#orderHead) / 2) {
      this.#order = this.#order.slice(this.#orderHead).filter((entry) => entry.live);
      this.#orderHead = 0;
    }
  }
}
