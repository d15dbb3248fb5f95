import type { Message, StoredMessage } from '@eddy/message';
import type { MetadataStore } from './metadata-store.js';

/** What an engine can do beyond the contract's common ground. */
export interface StoreCapabilities {
  /** True when appended messages and metadata survive `close()` and reopening the same location. */
  readonly durable: boolean;
  /**
   * How finely {@link MessageStore.enforceRetention} removes old messages: `'message'` removes every
   * message older than the cut-off; `'segment'` removes whole files, so some older messages may stay.
   */
  readonly retention: 'message' | 'segment';
  /**
   * True when the engine also implements `EncodedBatchStore` (`appendEncoded`, `readEncoded`): a
   * front's encoded batch stored as one entry and served back as it came.
   */
  readonly encodedBatches?: boolean;
}

/** The outcome of {@link MessageStore.append}. */
export interface AppendResult {
  /** Offset of the first message of the batch; the batch holds offsets `baseOffset … nextOffset - 1`. */
  readonly baseOffset: number;
  /** The queue's next offset after this batch. */
  readonly nextOffset: number;
  /** The store time given to every message of the batch. */
  readonly storeTimestamp: number;
}

/** Options of {@link MessageStore.read}. */
export interface ReadOptions {
  /** Most messages to return. Default 32. */
  readonly maxMessages?: number;
  /**
   * Most bytes to return, counted as encoded record sizes (`encodedRecordSize`). The first message is
   * returned even when it alone is larger, so a reader always makes progress. Default 4 MiB.
   */
  readonly maxBytes?: number;
  /** Return only messages with one of these tags; `undefined` (or `['*']`) returns all. */
  readonly tags?: readonly string[];
  /**
   * With a tag filter, most queue entries to look at in one read. A read that finds no match within
   * this many entries returns no messages and a `nextOffset` past what it looked at. Default 10,000.
   */
  readonly maxScan?: number;
}

/** The first and next offsets of a queue. */
export interface QueueRange {
  readonly queueId: number;
  /** The lowest offset still readable (Kafka's log start offset). */
  readonly minOffset: number;
  /** The offset the next appended message will get (Kafka's log end offset; RocketMQ's max offset). */
  readonly maxOffset: number;
}

/** The outcome of {@link MessageStore.read}: expected outcomes are statuses, not throws. */
export type ReadResult =
  | {
      readonly status: 'ok';
      /** In offset order; empty when the reader is at the end or nothing within the scan matched. */
      readonly messages: StoredMessage[];
      /** Where the next read should start: after the last message returned or looked at. */
      readonly nextOffset: number;
      readonly minOffset: number;
      readonly maxOffset: number;
    }
  | {
      /** The offset is below `minOffset` or above `maxOffset`. */
      readonly status: 'offset-out-of-range';
      readonly minOffset: number;
      readonly maxOffset: number;
    }
  | {
      /** The store has no such topic or queue. */
      readonly status: 'unknown-queue';
    };

/** What {@link MessageStore.enforceRetention} should remove. */
export interface RetentionPolicy {
  /** Remove messages stored before this time (ms since the epoch). */
  readonly storedBefore: number;
}

/** What {@link MessageStore.enforceRetention} did. */
export interface RetentionReport {
  /** Queues whose minimum offset moved, with their new range. */
  readonly queues: readonly (QueueRange & { readonly topic: string })[];
}

/**
 * The storage contract, version 1: an append-only log of messages per queue plus a durable metadata
 * key-value store. Every engine (memory, CommitLog, LMDB) implements it and runs the shared
 * conformance suite (`@eddy/store-conformance`); the memory engine defines correct behaviour.
 *
 * **Queues.** A queue is named by topic and queue id (a non-negative integer; a Kafka partition). It
 * comes into being with its first append. Its offsets are 0, 1, 2, … contiguous and never reused while
 * the queue exists; deleting the topic ends the queue, and a queue of the same name made later starts
 * again at 0.
 *
 * **Durability.** An append or metadata write resolves once it is durable to the engine's configured
 * level (for the disk engines: reached the OS in async mode, so `kill -9` loses nothing; fsynced in
 * sync mode). What resolved is readable at once.
 *
 * **Errors.** Expected outcomes are results (`ReadResult.status`, `undefined`). Invalid input makes the
 * returned promise reject (never a synchronous throw) with an `EddyError`: `EMPTY_BATCH`,
 * `MESSAGE_TOO_LARGE`, `INVALID_ARGUMENT` (bad queue ids, negative or fractional offsets and limits);
 * calls after `close()`, metadata calls included, reject with `STORE_CLOSED`; damaged files reject with
 * `CORRUPT_DATA`; failed I/O with `IO_ERROR` or `DISK_FULL`.
 *
 * **Order and time.** "Newest" means latest appended. Store timestamps come from the injected clock:
 * `max(previous store timestamp, clock.now())`. A queue emptied by retention or `deleteRecordsBefore`
 * still exists: it stays listed and later appends continue at its old `maxOffset`.
 */
export interface MessageStore {
  /** The contract version this engine implements. */
  readonly specificationVersion: 'v1';
  /** The engine's name, e.g. `'memory'`, `'commitlog'`, `'lmdb'`. */
  readonly engine: string;
  /** What this engine can do. */
  readonly capabilities: StoreCapabilities;
  /** The durable key-value store for broker state. */
  readonly metadata: MetadataStore;

  /**
   * Appends a batch to one queue, all or nothing. Every message's `topic` must equal `topic`. The
   * batch gets contiguous offsets and one store timestamp, which never decreases within a queue (a
   * clock that steps back is absorbed). Concurrent appends to one queue never interleave a batch or
   * reuse an offset; their order is the order of the calls.
   *
   * @throws `EMPTY_BATCH` for no messages; `MESSAGE_TOO_LARGE` when a message's body is over the
   * engine's `maxBodySize`; `INVALID_MESSAGE` when a field does not fit the stored-record format;
   * `INVALID_ARGUMENT` for a bad queue id or a message of another topic.
   */
  append(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult>;

  /**
   * Reads messages from `offset` on, in offset order. It returns as many as fit within `maxMessages`
   * and `maxBytes` (and at least one if one is there): a read stops short only at a limit, at the end
   * of the queue, or (filtered) after `maxScan` entries. `offset === maxOffset` is a valid read of nothing.
   */
  read(topic: string, queueId: number, offset: number, options?: ReadOptions): Promise<ReadResult>;

  /** The queue's offsets, or `undefined` for an unknown queue. */
  queueRange(topic: string, queueId: number): Promise<QueueRange | undefined>;

  /**
   * The first readable offset whose message was stored at or after `timestamp` (Kafka's ListOffsets by
   * time), or `undefined` when every readable message is older, or the queue is unknown.
   */
  offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number | undefined>;

  /** The most recently stored readable message with this id, or `undefined`. */
  findById(messageId: string): Promise<StoredMessage | undefined>;

  /** Readable messages of `topic` with `key` among their keys, newest first, at most `limit` (default 64). */
  findByKey(topic: string, key: string, options?: { readonly limit?: number }): Promise<StoredMessage[]>;

  /** Every topic with at least one queue, sorted by UTF-8 bytes. */
  listTopics(): Promise<string[]>;

  /** The queues of a topic, by queue id; empty for an unknown topic. */
  listQueues(topic: string): Promise<QueueRange[]>;

  /** Removes a topic's queues and messages (not its metadata); false if there was no such topic. */
  deleteTopic(topic: string): Promise<boolean>;

  /**
   * Moves a queue's minimum offset up to `offset` (clamped to `maxOffset`; never down), making what
   * lies below unreadable (Kafka's DeleteRecords). Returns the new range, or `undefined` for an unknown queue.
   */
  deleteRecordsBefore(topic: string, queueId: number, offset: number): Promise<QueueRange | undefined>;

  /**
   * Removes messages stored before `policy.storedBefore`, as finely as {@link StoreCapabilities.retention}
   * says; never removes a message stored at or after it, and never lowers a queue's minimum offset.
   */
  enforceRetention(policy: RetentionPolicy): Promise<RetentionReport>;

  /** Makes everything appended or written so far durable at the strongest level the engine has. */
  flush(): Promise<void>;

  /** Flushes and releases files. Idempotent. Later calls reject with `STORE_CLOSED`. */
  close(): Promise<void>;
}

/** Opens a store; what engines export and what the conformance suite and apps call. */
export type MessageStoreFactory<Options> = (options: Options) => Promise<MessageStore>;
