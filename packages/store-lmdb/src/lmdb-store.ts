import {
  type Clock,
  decodeRecord,
  EddyError,
  encodedRecordSize,
  encodeRecordInto,
  type Message,
  parseWithSchema,
  type StoredMessage,
  systemClock,
} from '@eddy/message';
import {
  type AppendResult,
  checkAppend,
  checkOffset,
  checkQueueId,
  compareKeys,
  type MessageStore,
  type QueueRange,
  type ReadOptions,
  type ReadResult,
  type RetentionPolicy,
  type RetentionReport,
  resolveReadOptions,
  type StoreCapabilities,
  storeClosedError,
} from '@eddy/store';
import { type Database, open, type RootDatabase } from 'lmdb';
import {
  decodeQueueState,
  encodeQueueState,
  idIndexPrefix,
  keyIndexPrefix,
  MESSAGE_KEY_SIZE,
  messageKey,
  parseMessageKey,
  prefixEnd,
  type QueueState,
  queueKey,
  readUint64,
  SEQUENCE_SIZE,
  token,
  topicPrefix,
  withSequence,
  writeUint64,
} from './key-layout.js';
import { toStoreError } from './lmdb-errors.js';
import { LmdbMetadataStore } from './lmdb-metadata-store.js';
import { type LmdbStoreConfig, type LmdbStoreOptions, LmdbStoreOptionsSchema } from './options.js';

const ENGINE = 'lmdb';
const CAPABILITIES: StoreCapabilities = Object.freeze({ durable: true, retention: 'message' });
const DEFAULT_FIND_BY_KEY_LIMIT = 64;
/** Version of the key layout and value formats; written once, checked at open. */
const FORMAT_VERSION = 1;
/** The stored record's store timestamp, counted from the start of a `messages` value. */
const STORE_TIMESTAMP_POSITION = SEQUENCE_SIZE + 24;
/** Entries gathered before they are deleted: a cursor must not walk keys its own transaction removes. */
const DELETE_CHUNK = 4096;
const STATE_FORMAT = Buffer.from('format');
const STATE_SEQUENCE = Buffer.from('sequence');
const STATE_NEXT_TOPIC_ID = Buffer.from('nextTopicId');
const STATE_STORED_BYTES = Buffer.from('storedBytes');
const MAX_TOPIC_ID = 0xffffffff;

type Binary = Database<Buffer, Buffer>;
/** lmdb-js's `sync` (mdb_env_sync on its own thread), missing from its type declarations. */
type Syncable = { sync(callback: (error: unknown) => void): void };

interface Databases {
  readonly topics: Binary;
  readonly queues: Binary;
  readonly messages: Binary;
  readonly ids: Binary;
  readonly keys: Binary;
  readonly metadata: Binary;
  readonly state: Binary;
}

/**
 * Opens (or creates) an LMDB store in `options.dir`.
 *
 * @throws `INVALID_CONFIG` naming the field for bad options; `IO_ERROR` when the environment cannot be
 * opened; `CORRUPT_DATA` when it holds another format.
 */
export async function openLmdbStore(options: LmdbStoreOptions): Promise<MessageStore> {
  const { clock, ...configurable } = (options ?? {}) as LmdbStoreOptions;
  const config = parseWithSchema(LmdbStoreOptionsSchema, configurable, 'lmdb store options');
  let root: RootDatabase<Buffer, Buffer>;
  try {
    root = open<Buffer, Buffer>({
      path: config.dir,
      maxDbs: 8,
      // Async mode commits with write() only (the OS has it: kill -9 loses nothing) and syncs on a timer;
      // sync mode lets LMDB fsync inside every commit. overlappingSync is off in both: it is a property
      // of the environment file, so one directory must open the same way in either mode.
      noSync: config.flush === 'async',
      overlappingSync: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
  } catch (error) {
    throw toStoreError(error, `opening the LMDB environment in ${config.dir}`);
  }
  const databaseOptions = { keyEncoding: 'binary', encoding: 'binary' } as const;
  const databases: Databases = {
    topics: root.openDB('topics', databaseOptions),
    queues: root.openDB('queues', databaseOptions),
    messages: root.openDB('messages', databaseOptions),
    ids: root.openDB('ids', databaseOptions),
    keys: root.openDB('keys', databaseOptions),
    metadata: root.openDB('metadata', databaseOptions),
    state: root.openDB('state', databaseOptions),
  };
  const store = new LmdbStore(root, databases, config, clock ?? systemClock);
  try {
    await store.initialize();
  } catch (error) {
    await root.close();
    throw error;
  }
  return store;
}

/**
 * The LMDB engine: one environment, seven named databases (see `key-layout.ts`). Every change is one
 * LMDB write transaction — an appended batch with its index entries, queue state and counters together —
 * so a crash leaves either all of it or none. Nothing is cached in memory: every call reads the
 * committed state, so a failed transaction leaves nothing stale behind.
 */
class LmdbStore implements MessageStore {
  readonly specificationVersion = 'v1';
  readonly engine = ENGINE;
  readonly capabilities = CAPABILITIES;
  readonly metadata: LmdbMetadataStore;
  readonly #root: RootDatabase<Buffer, Buffer>;
  readonly #db: Databases;
  readonly #config: LmdbStoreConfig;
  readonly #clock: Clock;
  #closed = false;
  #closing: Promise<void> | undefined;
  #flushTimer: { cancel(): void } | undefined;
  #syncing: Promise<void> | undefined;

  constructor(root: RootDatabase<Buffer, Buffer>, databases: Databases, config: LmdbStoreConfig, clock: Clock) {
    this.#root = root;
    this.#db = databases;
    this.#config = config;
    this.#clock = clock;
    this.metadata = new LmdbMetadataStore(
      databases.metadata,
      (doing, work) => this.#commit(doing, work),
      (doing, work) => this.#read(doing, work),
    );
  }

  async initialize(): Promise<void> {
    await this.#commit('opening the store', () => {
      const format = this.#db.state.get(STATE_FORMAT);
      if (format === undefined) {
        this.#db.state.putSync(STATE_FORMAT, uint64Value(FORMAT_VERSION));
      } else if (format.byteLength !== 8 || readUint64(format, 0) !== FORMAT_VERSION) {
        throw new EddyError('CORRUPT_DATA', `${this.#config.dir} holds LMDB store format ${format.toString('hex')}`);
      }
    });
    if (this.#config.flush === 'async') this.#scheduleSync();
  }

  append(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult> {
    // The time of the call, not of the transaction: in sync mode the work runs a little later.
    const now = this.#clock.now();
    return this.#commit(`append to ${topic}/${queueId}`, () => {
      checkAppend(topic, queueId, messages, this.#config.maxBodySize);
      const sizes = messages.map(encodedRecordSize);
      let total = 0;
      for (const size of sizes) total += SEQUENCE_SIZE + size;
      const storedBytes = this.#counter(STATE_STORED_BYTES);
      const limit = this.#config.maxStoreSize;
      if (limit !== undefined && storedBytes + total > limit) {
        throw new EddyError(
          'DISK_FULL',
          `the store holds ${storedBytes} bytes of messages; ${total} more would pass the limit of ${limit} (maxStoreSize)`,
          { retriable: true, details: { limit: 'maxStoreSize', value: storedBytes + total, max: limit } },
        );
      }
      const topicId = this.#topicId(topic) ?? this.#createTopic(topic);
      const stateKey = queueKey(topicId, queueId);
      const state = this.#queueState(stateKey) ?? { minOffset: 0, maxOffset: 0, lastStoreTimestamp: 0 };
      const storeTimestamp = Math.max(state.lastStoreTimestamp, now);
      const baseOffset = state.maxOffset;
      const firstSequence = this.#counter(STATE_SEQUENCE);
      // One buffer for the batch: LMDB copies each value into the transaction at put time.
      const values = Buffer.allocUnsafe(total);
      let position = 0;
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index] as Message;
        const sequence = firstSequence + index;
        const offset = baseOffset + index;
        const start = position;
        writeUint64(values, position, sequence);
        position = encodeRecordInto(values, position + SEQUENCE_SIZE, {
          ...message,
          queueId,
          queueOffset: offset,
          storeTimestamp,
        });
        const location = messageKey(topicId, queueId, offset);
        this.#db.messages.putSync(location, values.subarray(start, position));
        this.#db.ids.putSync(withSequence(idIndexPrefix(message.messageId), sequence), location);
        for (const key of distinct(message.keys)) {
          this.#db.keys.putSync(withSequence(keyIndexPrefix(topicId, key), sequence), location);
        }
      }
      const nextOffset = baseOffset + messages.length;
      this.#db.queues.putSync(
        stateKey,
        encodeQueueState({ ...state, maxOffset: nextOffset, lastStoreTimestamp: storeTimestamp }),
      );
      this.#db.state.putSync(STATE_SEQUENCE, uint64Value(firstSequence + messages.length));
      this.#db.state.putSync(STATE_STORED_BYTES, uint64Value(storedBytes + total));
      return { baseOffset, nextOffset, storeTimestamp };
    });
  }

  read(topic: string, queueId: number, offset: number, options?: ReadOptions): Promise<ReadResult> {
    return this.#read(`read of ${topic}/${queueId}`, (): ReadResult => {
      checkQueueId(queueId);
      checkOffset(offset);
      const { maxMessages, maxBytes, maxScan, filter } = resolveReadOptions(options);
      const topicId = this.#topicId(topic);
      const state = topicId === undefined ? undefined : this.#queueState(queueKey(topicId, queueId));
      if (topicId === undefined || state === undefined) return { status: 'unknown-queue' };
      const { minOffset, maxOffset } = state;
      if (offset < minOffset || offset > maxOffset) return { status: 'offset-out-of-range', minOffset, maxOffset };
      const scanEnd = filter === undefined ? maxOffset : Math.min(maxOffset, offset + maxScan);
      const found: StoredMessage[] = [];
      let bytes = 0;
      let next = offset;
      if (next < scanEnd) {
        let stoppedAtLimit = false;
        const entries = this.#db.messages.getRange({
          start: messageKey(topicId, queueId, offset),
          end: messageKey(topicId, queueId, scanEnd),
        });
        for (const { key, value } of entries) {
          if (found.length >= maxMessages) {
            stoppedAtLimit = true;
            break;
          }
          const message = this.#decode(topic, queueId, next, key, value);
          if (filter === undefined || filter.matches(message.tag)) {
            const size = value.byteLength - SEQUENCE_SIZE;
            // The first message goes out whatever its size, so that a reader always makes progress.
            if (found.length > 0 && bytes + size > maxBytes) {
              stoppedAtLimit = true;
              break;
            }
            bytes += size;
            found.push(message);
          }
          next++;
        }
        // A walk that ran out before the queue's end without reaching a limit found an offset with no record.
        if (!stoppedAtLimit && next < scanEnd && found.length < maxMessages) throw missingRecord(topic, queueId, next);
      }
      return { status: 'ok', messages: found, nextOffset: next, minOffset, maxOffset };
    });
  }

  queueRange(topic: string, queueId: number): Promise<QueueRange | undefined> {
    return this.#read(`queue range of ${topic}/${queueId}`, () => {
      checkQueueId(queueId);
      const topicId = this.#topicId(topic);
      const state = topicId === undefined ? undefined : this.#queueState(queueKey(topicId, queueId));
      return state === undefined ? undefined : { queueId, minOffset: state.minOffset, maxOffset: state.maxOffset };
    });
  }

  offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number | undefined> {
    return this.#read(`offset for time in ${topic}/${queueId}`, () => {
      checkQueueId(queueId);
      checkTimestamp('timestamp', timestamp);
      const topicId = this.#topicId(topic);
      const state = topicId === undefined ? undefined : this.#queueState(queueKey(topicId, queueId));
      if (topicId === undefined || state === undefined) return undefined;
      const offset = this.#firstOffsetStoredAtOrAfter(topic, topicId, queueId, state, timestamp);
      return offset < state.maxOffset ? offset : undefined;
    });
  }

  findById(messageId: string): Promise<StoredMessage | undefined> {
    return this.#read('find by id', () => {
      if (typeof messageId !== 'string' || messageId.length === 0) return undefined;
      const prefix = idIndexPrefix(messageId);
      for (const location of this.#newestFirst(this.#db.ids, prefix)) {
        const message = this.#messageAt(location);
        // A hashed token can collide, and an index entry may outlive a record it failed to clean up.
        if (message?.messageId === messageId) return message;
      }
      return undefined;
    });
  }

  findByKey(topic: string, key: string, options: { readonly limit?: number } = {}): Promise<StoredMessage[]> {
    return this.#read('find by key', () => {
      const limit = options.limit ?? DEFAULT_FIND_BY_KEY_LIMIT;
      if (!Number.isInteger(limit) || limit < 1) {
        throw new EddyError('INVALID_ARGUMENT', `limit must be a positive integer, got ${options.limit}`);
      }
      const found: StoredMessage[] = [];
      const topicId = this.#topicId(topic);
      if (topicId === undefined || typeof key !== 'string') return found;
      for (const location of this.#newestFirst(this.#db.keys, keyIndexPrefix(topicId, key))) {
        const message = this.#messageAt(location);
        if (message?.topic === topic && message.keys.includes(key)) found.push(message);
        if (found.length >= limit) break;
      }
      return found;
    });
  }

  listTopics(): Promise<string[]> {
    return this.#read('list topics', () => {
      const names: string[] = [];
      for (const { value } of this.#db.topics.getRange({})) names.push(value.toString('utf8', 4));
      // Topic keys are length-prefixed tokens, so the database order is not the contract's.
      return names.sort(compareKeys);
    });
  }

  listQueues(topic: string): Promise<QueueRange[]> {
    return this.#read(`list queues of ${topic}`, () => {
      const topicId = this.#topicId(topic);
      return topicId === undefined ? [] : this.#queuesOf(topicId).map(({ queueId, state }) => range(queueId, state));
    });
  }

  deleteTopic(topic: string): Promise<boolean> {
    return this.#commit(`deleting topic ${topic}`, () => {
      const topicId = this.#topicId(topic);
      if (topicId === undefined) return false;
      for (const { queueId, state } of this.#queuesOf(topicId)) {
        this.#dropRange(topicId, queueId, state.minOffset, state.maxOffset);
        this.#db.queues.removeSync(queueKey(topicId, queueId));
      }
      // Key index entries are all gone with their messages; a leftover (a record that could not be
      // decoded) would never be reached again, since a topic made later gets a new id.
      this.#removePrefix(this.#db.keys, topicPrefix(topicId));
      this.#db.topics.removeSync(token(topic));
      return true;
    });
  }

  deleteRecordsBefore(topic: string, queueId: number, offset: number): Promise<QueueRange | undefined> {
    return this.#commit(`deleting records of ${topic}/${queueId}`, () => {
      checkQueueId(queueId);
      checkOffset(offset);
      const topicId = this.#topicId(topic);
      const key = topicId === undefined ? undefined : queueKey(topicId, queueId);
      const state = key === undefined ? undefined : this.#queueState(key);
      if (topicId === undefined || key === undefined || state === undefined) return undefined;
      const cut = Math.min(Math.max(offset, state.minOffset), state.maxOffset);
      if (cut === state.minOffset) return range(queueId, state);
      this.#dropRange(topicId, queueId, state.minOffset, cut);
      const moved = { ...state, minOffset: cut };
      this.#db.queues.putSync(key, encodeQueueState(moved));
      return range(queueId, moved);
    });
  }

  async enforceRetention(policy: RetentionPolicy): Promise<RetentionReport> {
    const queues: (QueueRange & { readonly topic: string })[] = [];
    const topics = await this.#read('retention', () => {
      checkTimestamp('storedBefore', policy?.storedBefore);
      return this.#topicsById();
    });
    // One transaction per queue: a large clean-up does not hold the write lock for every queue at once.
    for (const [topic, topicId] of topics) {
      for (const { queueId } of await this.#read('retention', () => this.#queuesOf(topicId))) {
        const moved = await this.#commit(`retention of ${topic}/${queueId}`, () => {
          const key = queueKey(topicId, queueId);
          const state = this.#topicId(topic) === topicId ? this.#queueState(key) : undefined;
          if (state === undefined) return undefined;
          const cut = this.#firstOffsetStoredAtOrAfter(topic, topicId, queueId, state, policy.storedBefore);
          if (cut <= state.minOffset) return undefined;
          this.#dropRange(topicId, queueId, state.minOffset, cut);
          const next = { ...state, minOffset: cut };
          this.#db.queues.putSync(key, encodeQueueState(next));
          return range(queueId, next);
        });
        if (moved !== undefined) queues.push({ topic, ...moved });
      }
    }
    return { queues };
  }

  async flush(): Promise<void> {
    this.#ensureOpen();
    await this.#durable();
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#flushTimer?.cancel();
      this.#closing = (async () => {
        try {
          await this.#durable();
        } finally {
          await this.#root.close();
        }
      })();
    }
    return this.#closing;
  }

  #ensureOpen(): void {
    if (this.#closed) throw storeClosedError(ENGINE);
  }

  /**
   * Runs `work` in one synchronous LMDB write transaction (abortable: a throw leaves nothing behind) and
   * resolves once it is committed to the configured level. Async mode: the environment is `noSync`, so
   * the commit is write() calls only — the OS has the data when this returns, and `kill -9` cannot lose
   * it. Sync mode: LMDB fsyncs the data and then the meta page inside the commit.
   *
   * Why not lmdb-js's batched asynchronous commits (which would share one fsync among concurrent
   * appends)? When such a commit fails — a full disk — lmdb-js rejects promises no caller can reach,
   * and an unhandled rejection ends the process: the opposite of "a full disk gives a typed error".
   */
  #commit<T>(doing: string, work: () => T): Promise<T> {
    try {
      this.#ensureOpen();
      return Promise.resolve(this.#root.transactionSync(work));
    } catch (error) {
      return Promise.reject(toStoreError(error, doing, this.#config.dir));
    }
  }

  #read<T>(doing: string, work: () => T): Promise<T> {
    try {
      this.#ensureOpen();
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(toStoreError(error, doing, this.#config.dir));
    }
  }

  /** Makes every committed transaction durable: a sync in async mode; in sync mode commits already are. */
  async #durable(): Promise<void> {
    if (this.#config.flush === 'sync') return;
    // One sync at a time; a caller that arrives during one waits for it and then runs its own, which
    // covers what was committed meanwhile.
    while (this.#syncing !== undefined) await this.#syncing.catch(() => {});
    const syncing = new Promise<void>((resolve, reject) => {
      (this.#root as unknown as Syncable).sync((error: unknown) =>
        error ? reject(toStoreError(error, 'syncing', this.#config.dir)) : resolve(),
      );
    });
    this.#syncing = syncing;
    try {
      await syncing;
    } finally {
      if (this.#syncing === syncing) this.#syncing = undefined;
    }
  }

  #scheduleSync(): void {
    this.#flushTimer = this.#clock.schedule(this.#config.flushIntervalMs, () => {
      if (this.#closed) return;
      // A failed periodic sync is not lost: the next one, or flush(), syncs the same data again.
      this.#durable()
        .catch(() => {})
        .finally(() => {
          if (!this.#closed) this.#scheduleSync();
        });
    });
  }

  #counter(name: Buffer): number {
    const value = this.#db.state.get(name);
    return value === undefined ? 0 : readUint64(value, 0);
  }

  #topicId(topic: string): number | undefined {
    if (typeof topic !== 'string' || topic.length === 0) return undefined;
    const value = this.#db.topics.get(token(topic));
    return value === undefined ? undefined : value.readUInt32BE(0);
  }

  /** A new incarnation of `topic`: ids are never reused, so no key of a deleted topic can match it. */
  #createTopic(topic: string): number {
    const stored = this.#db.state.get(STATE_NEXT_TOPIC_ID);
    const topicId = stored === undefined ? 1 : readUint64(stored, 0);
    if (topicId > MAX_TOPIC_ID) throw new EddyError('INTERNAL', 'every topic id has been used');
    const value = Buffer.allocUnsafe(4 + Buffer.byteLength(topic));
    value.writeUInt32BE(topicId, 0);
    value.write(topic, 4, 'utf8');
    this.#db.topics.putSync(token(topic), value);
    this.#db.state.putSync(STATE_NEXT_TOPIC_ID, uint64Value(topicId + 1));
    return topicId;
  }

  #topicsById(): [string, number][] {
    const topics: [string, number][] = [];
    for (const { value } of this.#db.topics.getRange({}))
      topics.push([value.toString('utf8', 4), value.readUInt32BE(0)]);
    return topics.sort((left, right) => compareKeys(left[0], right[0]));
  }

  #queueState(key: Buffer): QueueState | undefined {
    const value = this.#db.queues.get(key);
    if (value === undefined) return undefined;
    const state = decodeQueueState(value);
    if (state === undefined) throw new EddyError('CORRUPT_DATA', `queue state ${key.toString('hex')} is damaged`);
    return state;
  }

  #queuesOf(topicId: number): { queueId: number; state: QueueState }[] {
    const prefix = topicPrefix(topicId);
    const queues: { queueId: number; state: QueueState }[] = [];
    for (const { key } of this.#db.queues.getRange({ start: prefix, end: prefixEnd(prefix) })) {
      queues.push({ queueId: key.readUInt16BE(4), state: this.#queueState(key) as QueueState });
    }
    return queues;
  }

  /** The first offset in `minOffset … maxOffset` stored at or after `timestamp`: store times never decrease in a queue. */
  #firstOffsetStoredAtOrAfter(
    topic: string,
    topicId: number,
    queueId: number,
    state: QueueState,
    timestamp: number,
  ): number {
    let low = state.minOffset;
    let high = state.maxOffset;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const value = this.#db.messages.get(messageKey(topicId, queueId, middle));
      if (value === undefined || value.byteLength < STORE_TIMESTAMP_POSITION + 8)
        throw missingRecord(topic, queueId, middle);
      if (readUint64(value, STORE_TIMESTAMP_POSITION) < timestamp) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #decode(topic: string, queueId: number, offset: number, key: Buffer, value: Buffer): StoredMessage {
    const location = parseMessageKey(key);
    if (location.offset !== offset) throw missingRecord(topic, queueId, offset);
    const decoded = decodeRecord(value, SEQUENCE_SIZE, { verifyChecksum: this.#config.verifyChecksumOnRead });
    if (!decoded.ok) {
      throw new EddyError('CORRUPT_DATA', `${topic}/${queueId} offset ${offset}: ${decoded.error.message}`, {
        details: { topic, queueId, offset, fault: decoded.fault },
        cause: decoded.error,
      });
    }
    const record = decoded.record;
    if (record.queueOffset !== offset || record.queueId !== queueId || record.topic !== topic) {
      throw new EddyError(
        'CORRUPT_DATA',
        `${topic}/${queueId} offset ${offset} holds the record of ${record.topic}/${record.queueId} offset ${record.queueOffset}`,
        { details: { topic, queueId, offset } },
      );
    }
    return record;
  }

  /** The message at a `messages` key, or `undefined` when it is gone (an index entry may outlive it). */
  #messageAt(location: Buffer): StoredMessage | undefined {
    if (location.byteLength !== MESSAGE_KEY_SIZE) return undefined;
    const value = this.#db.messages.get(location);
    if (value === undefined) return undefined;
    const { queueId, offset } = parseMessageKey(location);
    const decoded = decodeRecord(value, SEQUENCE_SIZE, { verifyChecksum: this.#config.verifyChecksumOnRead });
    if (!decoded.ok) {
      throw new EddyError('CORRUPT_DATA', `record at queue ${queueId} offset ${offset}: ${decoded.error.message}`, {
        cause: decoded.error,
      });
    }
    return decoded.record;
  }

  /** Values of the index entries under `prefix`, newest (highest sequence) first, read lazily. */
  *#newestFirst(index: Binary, prefix: Buffer): Generator<Buffer> {
    const end = prefixEnd(prefix);
    // A reverse walk runs from `start` down to `end`.
    const start = end ?? withSequence(prefix, Number.MAX_SAFE_INTEGER);
    for (const { value } of index.getRange({ start, end: prefix, reverse: true, exclusiveStart: end !== undefined })) {
      yield value;
    }
  }

  /**
   * Deletes offsets `from … to - 1` of a queue with their id and key index entries, inside the caller's
   * transaction, and takes their bytes off the stored-bytes counter.
   */
  #dropRange(topicId: number, queueId: number, from: number, to: number): void {
    let freed = 0;
    let start = from;
    while (start < to) {
      const chunk: { key: Buffer; value: Buffer }[] = [];
      for (const entry of this.#db.messages.getRange({
        start: messageKey(topicId, queueId, start),
        end: messageKey(topicId, queueId, to),
        limit: DELETE_CHUNK,
      })) {
        chunk.push({ key: Buffer.from(entry.key), value: entry.value });
      }
      if (chunk.length === 0) break;
      for (const { key, value } of chunk) {
        const sequence = readUint64(value, 0);
        // No checksum here: a damaged record is still removed; only its index entries may stay behind,
        // and look-ups skip entries whose record is gone.
        const decoded = decodeRecord(value, SEQUENCE_SIZE, { verifyChecksum: false });
        if (decoded.ok) {
          this.#db.ids.removeSync(withSequence(idIndexPrefix(decoded.record.messageId), sequence));
          for (const messageKeyName of distinct(decoded.record.keys)) {
            this.#db.keys.removeSync(withSequence(keyIndexPrefix(topicId, messageKeyName), sequence));
          }
        }
        this.#db.messages.removeSync(key);
        freed += value.byteLength;
      }
      start = parseMessageKey((chunk[chunk.length - 1] as { key: Buffer }).key).offset + 1;
    }
    const stored = this.#counter(STATE_STORED_BYTES);
    this.#db.state.putSync(STATE_STORED_BYTES, uint64Value(Math.max(0, stored - freed)));
  }

  #removePrefix(database: Binary, prefix: Buffer): void {
    for (;;) {
      const keys = [...database.getKeys({ start: prefix, end: prefixEnd(prefix), limit: DELETE_CHUNK })];
      if (keys.length === 0) return;
      for (const key of keys) database.removeSync(Buffer.from(key as Buffer));
    }
  }
}

function range(queueId: number, state: QueueState): QueueRange {
  return { queueId, minOffset: state.minOffset, maxOffset: state.maxOffset };
}

function uint64Value(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(8);
  writeUint64(buffer, 0, value);
  return buffer;
}

function missingRecord(topic: string, queueId: number, offset: number): EddyError {
  return new EddyError('CORRUPT_DATA', `${topic}/${queueId} has no record at offset ${offset} inside its range`, {
    details: { topic, queueId, offset },
  });
}

function checkTimestamp(name: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new EddyError('INVALID_ARGUMENT', `${name} must be a number of ms since the epoch, got ${value}`);
  }
}

// A message may list the same key twice; it is still one match, and one index entry.
function distinct(keys: readonly string[]): readonly string[] {
  return keys.length < 2 ? keys : [...new Set(keys)];
}
