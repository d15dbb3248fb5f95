import {
  type Clock,
  createJsonLogger,
  decodeRecord,
  defaultMessageIdGenerator,
  EddyError,
  encodedRecordSize,
  encodeRecordInto,
  type Logger,
  type Message,
  MIN_RECORD_SIZE,
  messageIdIndexIn,
  messageIdPlus,
  parseWithSchema,
  RecordFieldCache,
  type ScheduledTask,
  type StoredMessage,
  systemClock,
  tagCode,
} from '@eddy/message';
import {
  type AppendResult,
  checkAppend,
  checkEncodedBatch,
  checkOffset,
  checkQueueId,
  compareKeys,
  DEFAULT_READ_MAX_BYTES,
  type EncodedBatch,
  type EncodedBatchDecoder,
  type EncodedBatchStore,
  type MessageStore,
  type MetadataStore,
  type QueueRange,
  type ReadEncodedOptions,
  type ReadEncodedResult,
  type ReadOptions,
  type ReadResult,
  type RetentionPolicy,
  type RetentionReport,
  resolveReadOptions,
  SerialExecutor,
  type StoreCapabilities,
  type StoredEntry,
  storeClosedError,
} from '@eddy/store';
import {
  BATCH_MAGIC,
  type BatchRecord,
  batchRecordSize,
  decodeBatchRecord,
  encodeBatchRecordInto,
} from './batch-record.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { CommitLog, type ScanFault } from './commit-log.js';
import { CONSUME_QUEUE_ENTRY_SIZE, type ConsumeQueue, ConsumeQueueStore, uint32At } from './consume-queue.js';
import { type FileSystem, joinPath, nodeFileSystem } from './file-layer.js';
import { INDEX_HASH_SEED, indexHashFinish, indexHashUpdate, KeyIndex } from './index-file.js';
import { type MetadataLog, openMetadataLog } from './metadata-log.js';
import {
  type CommitLogStoreOptions,
  CommitLogStoreOptionsSchema,
  type ResolvedCommitLogStoreConfig,
} from './options.js';
import { type EngineState, readState, writeState } from './state-file.js';

const ENGINE = 'commitlog';
const CAPABILITIES: StoreCapabilities = Object.freeze({ durable: true, retention: 'segment', encodedBatches: true });
const DEFAULT_FIND_BY_KEY_LIMIT = 64;
const TWO_32 = 2 ** 32;
// Filtered reads walk the ConsumeQueue in chunks of this many entries (one read each).
const FILTER_CHUNK_ENTRIES = 1024;
// Most bytes one CommitLog read of a read() covers (a single larger record is read whole).
const READ_SPAN_BYTES = 1024 * 1024;
// An async append lets the event loop turn at least this often (store-clock ms); see #appendNow.
const YIELD_INTERVAL_MS = 10;
// Largest encode buffer an append keeps for the next one.
const MAX_KEPT_ENCODE_BUFFER = 1024 * 1024;
// Candidates an id look-up walks: duplicates of an id are rare, and each candidate is confirmed.
const FIND_BY_ID_CANDIDATES = 256;
// Decoded batch records kept for the next read: a reader of messages walks a batch 32 at a time.
const DECODED_BATCH_CACHE = 8;

/** One append on its way through {@link CommitLogStore}'s write path; `result` is set once it is written. */
interface AppendRequest {
  readonly topic: string;
  readonly queueId: number;
  /** The messages; empty for an encoded batch. */
  readonly messages: readonly Message[];
  /** An encoded batch (one batch record), with the id of its first record. */
  readonly batch?: { readonly encoded: EncodedBatch; readonly firstMessageId: string };
  result: AppendResult | undefined;
}

/** Offsets an append request takes. */
const entryCount = (request: AppendRequest): number => request.batch?.encoded.count ?? request.messages.length;
/** CommitLog records an append request writes. */
const recordCount = (request: AppendRequest): number => (request.batch === undefined ? request.messages.length : 1);

/** A sync-mode append waiting for its group commit. */
interface GroupMember {
  readonly request: AppendRequest;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Options of the engine after defaults, with what code injects. */
interface Resolved extends ResolvedCommitLogStoreConfig {
  readonly clock: Clock;
  readonly fileSystem: FileSystem;
  readonly logger: Logger;
  readonly batchDecoders: ReadonlyMap<string, EncodedBatchDecoder>;
}

/** Where the files of a store live under its directory. */
function layout(dir: string) {
  return {
    commitLog: joinPath(dir, 'commitlog'),
    consumeQueue: joinPath(dir, 'consumequeue'),
    index: joinPath(dir, 'index'),
    metadata: joinPath(dir, 'metadata'),
    state: joinPath(dir, 'state.json'),
    checkpoint: joinPath(dir, 'checkpoint'),
    abort: joinPath(dir, 'abort'),
  };
}

/**
 * Opens (creating if needed) a CommitLog store in `options.dir`. After an unclean stop (the `abort`
 * marker is present) it recovers: scans the CommitLog from the checkpoint checking every record's
 * CRC32C, truncates a torn tail, rebuilds ConsumeQueue and index entries past the checkpoint and cuts
 * back ConsumeQueues that point past the recovered end.
 *
 * @throws `INVALID_CONFIG` naming the option for bad options or files written with another geometry;
 * `CORRUPT_DATA` naming the file and position for a corrupt record before the flushed point (unless
 * `repair`); `IO_ERROR` when the files cannot be read.
 */
export async function openCommitLogStore(options: CommitLogStoreOptions): Promise<CommitLogStore> {
  const { clock, fileSystem, logger, batchDecoders, ...config } = options;
  const parsed = parseWithSchema(CommitLogStoreOptionsSchema, config, 'commit log store options');
  const resolved: Resolved = {
    ...parsed,
    batchDecoders: new Map((batchDecoders ?? []).map((decoder) => [decoder.format, decoder])),
    clock: clock ?? systemClock,
    fileSystem: fileSystem ?? nodeFileSystem,
    logger: logger ?? createJsonLogger('store-commitlog'),
  };
  return CommitLogStore.open(resolved);
}

/**
 * The CommitLog engine: one CommitLog shared by every queue, a ConsumeQueue per queue, a key/id index,
 * a metadata log, a checkpoint and an abort marker. See the package README for the layout and the
 * durability of each flush mode.
 *
 * Appends are synchronous up to the durability wait (encode, one write, dispatch to ConsumeQueue and
 * index), so they cannot interleave and what an append acknowledged is readable at once. A failed
 * write is cut back and reported; a failure that leaves the files inconsistent with memory (a failed
 * fdatasync, a failed ConsumeQueue write) stops the store: every later call rejects with that error
 * until it is reopened, which recovers from the files.
 */
export class CommitLogStore implements MessageStore, EncodedBatchStore {
  readonly specificationVersion = 'v1';
  readonly engine = ENGINE;
  readonly capabilities = CAPABILITIES;
  readonly metadata: MetadataStore;
  readonly #options: Resolved;
  readonly #paths: ReturnType<typeof layout>;
  readonly #commitLog: CommitLog;
  readonly #queues: ConsumeQueueStore;
  readonly #index: KeyIndex;
  readonly #metadataLog: MetadataLog;
  readonly #state: EngineState;
  readonly #maintenance = new SerialExecutor();
  readonly #stateWriter = new SerialExecutor();
  /** Topics being deleted: appends to them wait until the deletion is durable. */
  readonly #deleting = new Map<string, Promise<void>>();
  #lastStoreTimestamp: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #broken: EddyError | undefined;
  #flushTimer: ScheduledTask | undefined;
  #cleanTimer: ScheduledTask | undefined;
  readonly #decodeOptions: { readonly verifyChecksum: boolean; readonly cache: RecordFieldCache };
  /** Sync mode: appends waiting for this turn's group commit, and the commit scheduled for them. */
  #group: GroupMember[] = [];
  #groupCommit: Promise<void> | undefined;
  /** Store time of the last async append that let the event loop turn (see #appendNow). */
  #lastYield = 0;
  #keySeedTopic: string | undefined;
  #keySeed = 0;
  /** Where appends encode their batch: written out before the append returns, so one buffer serves all. */
  #encodeBuffer = Buffer.allocUnsafe(0);
  /** The last batch records read as messages, by CommitLog position, oldest first. */
  readonly #decodedBatches = new Map<number, StoredMessage[]>();

  private constructor(
    options: Resolved,
    parts: {
      commitLog: CommitLog;
      queues: ConsumeQueueStore;
      index: KeyIndex;
      metadata: MetadataLog;
      state: EngineState;
      lastStoreTimestamp: number;
    },
  ) {
    this.#options = options;
    this.#paths = layout(options.dir);
    this.#commitLog = parts.commitLog;
    this.#queues = parts.queues;
    this.#index = parts.index;
    this.#metadataLog = parts.metadata;
    this.#state = parts.state;
    this.#lastStoreTimestamp = parts.lastStoreTimestamp;
    // Reads are synchronous, so one field cache serves every read of this store.
    this.#decodeOptions = { verifyChecksum: options.verifyChecksumOnRead, cache: new RecordFieldCache() };
    this.metadata = guardMetadata(parts.metadata, () => this.#ensureOpen());
  }

  /** Opens the store with resolved options; see {@link openCommitLogStore}. */
  static async open(options: Resolved): Promise<CommitLogStore> {
    const { fileSystem, logger } = options;
    const paths = layout(options.dir);
    fileSystem.mkdir(options.dir);
    const unclean = fileSystem.exists(paths.abort);
    // The marker goes down before anything else, so that a crash during open or recovery is seen as one.
    if (!unclean) {
      // Empty, so creating it and making its directory entry durable is all it takes.
      fileSystem.open(paths.abort, { create: true }).close();
      await fileSystem.syncDirectory(options.dir);
    }

    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = readCheckpoint(fileSystem, paths.checkpoint);
    } catch (error) {
      if (!(options.repair && EddyError.is(error, 'CORRUPT_DATA'))) throw error;
      logger.error('repair: the checkpoint is corrupt; recovering by scanning the whole CommitLog', {
        path: paths.checkpoint,
        error: (error as Error).message,
      });
      checkpoint = undefined;
    }
    const state = readState(fileSystem, paths.state);
    let geometryChanged = false;
    if (state.geometry === undefined) {
      state.geometry = {
        segmentSize: options.segmentSize,
        consumeQueueEntriesPerFile: options.consumeQueueEntriesPerFile,
      };
      geometryChanged = true;
    }
    for (const name of ['segmentSize', 'consumeQueueEntriesPerFile'] as const) {
      if (state.geometry[name] !== options[name]) {
        throw new EddyError(
          'INVALID_CONFIG',
          `${name} is ${options[name]}, but the store in ${options.dir} was made with ${state.geometry[name]}; its files cannot be read with another`,
          { details: { option: name, value: options[name], stored: state.geometry[name] } },
        );
      }
    }
    const commitLog = CommitLog.open(fileSystem, paths.commitLog, options.segmentSize);
    const queues = new ConsumeQueueStore(fileSystem, paths.consumeQueue, {
      entriesPerFile: options.consumeQueueEntriesPerFile,
      maxOpenFiles: options.maxOpenConsumeQueueFiles,
    });
    const opened: { index?: KeyIndex; metadata?: MetadataLog } = {};
    try {
      queues.load();
      let stateChanged = removeDeletedTopicLeftovers(queues, state, logger) || geometryChanged;
      applyMinOffsets(queues, state);
      opened.index = KeyIndex.open(fileSystem, paths.index, {
        slots: options.indexSlots,
        entriesPerFile: options.indexEntriesPerFile,
        rebuildOnCorruption: true,
      });
      const index = opened.index;
      opened.metadata = await openMetadataLog(fileSystem, paths.metadata, { sync: options.flush === 'sync' });

      let lastStoreTimestamp = checkpoint?.lastStoreTimestamp ?? 0;
      const cleanEnd = checkpoint === undefined ? undefined : checkpoint.commitLogFlushed;
      const trustCheckpoint =
        !unclean &&
        !index.rebuilt &&
        (cleanEnd !== undefined
          ? segmentsReach(commitLog, fileSystem, cleanEnd)
          : commitLog.segmentStarts.length === 0);
      let needsCheckpoint = false;
      if (trustCheckpoint) {
        commitLog.setEnd(cleanEnd ?? 0);
      } else {
        if (index.rebuilt)
          logger.warn('the key index was corrupt and is rebuilt from the CommitLog', { path: paths.index });
        const recovered = recover({ options, commitLog, queues, index, state, checkpoint });
        // Recovery may have made queues whose files a crash took (their entries were still in memory):
        // the saved minimum offsets hold for them too.
        applyMinOffsets(queues, state);
        lastStoreTimestamp = Math.max(lastStoreTimestamp, recovered.lastStoreTimestamp);
        stateChanged ||= recovered.stateChanged;
        needsCheckpoint = recovered.needsCheckpoint;
      }
      const store = new CommitLogStore(options, {
        commitLog,
        queues,
        index,
        metadata: opened.metadata,
        state,
        lastStoreTimestamp,
      });
      if (stateChanged) await store.#persistState();
      if (needsCheckpoint) await store.#maintenance.run(() => store.#checkpointFlush());
      store.#scheduleFlush();
      store.#scheduleClean();
      return store;
    } catch (error) {
      // Leave the abort marker: the next open must recover again.
      await opened.metadata?.close().catch(() => {});
      opened.index?.close();
      queues.close();
      await commitLog.close();
      throw error;
    }
  }

  // Not an async function: returning #appendNow's promise as it is saves the extra promise and turns
  // of the microtask queue an async wrapper costs on every append. Errors still come as rejections.
  append(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult> {
    try {
      this.#ensureOpen();
      checkAppend(topic, queueId, messages, this.#options.maxBodySize);
      return this.#submit({ topic, queueId, messages, result: undefined });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Appends a front's encoded batch as one batch record (see `batch-record.ts`) taking `count` offsets:
   * one write of the bytes as they came plus a ConsumeQueue entry per record. Record ids are a range of
   * the process's id generator (`messageIdPlus(first, i)`), indexed once per batch.
   */
  appendEncoded(topic: string, queueId: number, batch: EncodedBatch): Promise<AppendResult> {
    try {
      this.#ensureOpen();
      checkEncodedBatch(topic, queueId, batch, this.#options.maxBodySize);
      const firstMessageId = defaultMessageIdGenerator().nextRange(batch.count);
      return this.#submit({
        topic,
        queueId,
        messages: [],
        batch: { encoded: batch, firstMessageId },
        result: undefined,
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(request: AppendRequest): Promise<AppendResult> {
    const deleting = this.#deleting.get(request.topic);
    if (deleting !== undefined) {
      return deleting
        .catch(() => {})
        .then(() => {
          this.#ensureOpen();
          return this.#appendNow(request);
        });
    }
    return this.#appendNow(request);
  }

  async read(topic: string, queueId: number, offset: number, options?: ReadOptions): Promise<ReadResult> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkOffset(offset);
    const { maxMessages, maxBytes, maxScan, filter } = resolveReadOptions(options);
    const queue = this.#queues.queue(topic, queueId);
    if (queue === undefined) return { status: 'unknown-queue' };
    const { minOffset, maxOffset } = queue;
    if (offset < minOffset || offset > maxOffset) return { status: 'offset-out-of-range', minOffset, maxOffset };
    let messages: StoredMessage[] = [];
    let next = offset;
    if (filter === undefined) {
      // Every record is at least MIN_RECORD_SIZE bytes, so maxBytes also bounds the entries worth reading.
      const count = Math.min(maxMessages, maxOffset - offset, Math.floor(maxBytes / MIN_RECORD_SIZE) + 1);
      if (count > 0) {
        const entries = this.#queues.readEntries(queue, offset, count);
        const offsets: number[] = new Array(count);
        const positions: number[] = new Array(count);
        const sizes: number[] = new Array(count);
        const members: number[] = new Array(count);
        let take = 0;
        let bytes = 0;
        let lastPosition = -1;
        for (let at = 0; take < count; take++, at += CONSUME_QUEUE_ENTRY_SIZE) {
          const position = uint32At(entries, at) * TWO_32 + uint32At(entries, at + 4);
          // The records of one batch record share its bytes: counted once.
          const size = position === lastPosition ? 0 : uint32At(entries, at + 8);
          // The first message goes out whatever its size, so that a reader always makes progress.
          if (take > 0 && bytes + size > maxBytes) break;
          bytes += size;
          lastPosition = position;
          offsets[take] = offset + take;
          positions[take] = position;
          sizes[take] = uint32At(entries, at + 8);
          members[take] = uint32At(entries, at + 12);
        }
        messages = this.#readSpans(queue, offsets, positions, sizes, take, members);
        next = offset + take;
      }
    } else {
      const scanEnd = Math.min(maxOffset, offset + maxScan);
      let bytes = 0;
      let lastPosition = -1;
      scan: while (next < scanEnd && messages.length < maxMessages) {
        const count = Math.min(FILTER_CHUNK_ENTRIES, scanEnd - next);
        const entries = this.#queues.readEntries(queue, next, count);
        // Skip by tag code without touching the CommitLog; candidates are read in spans, then confirmed on the tag.
        const offsets: number[] = [];
        const positions: number[] = [];
        const sizes: number[] = [];
        const members: number[] = [];
        const wanted = maxMessages - messages.length;
        let looked = 0;
        // Only as many candidates as could be returned, so that a small read does not read a whole chunk.
        for (; looked < count && offsets.length < wanted; looked++) {
          const at = looked * CONSUME_QUEUE_ENTRY_SIZE;
          if (!filter.codes.has(uint32At(entries, at + 16))) continue;
          offsets.push(next + looked);
          positions.push(uint32At(entries, at) * TWO_32 + uint32At(entries, at + 4));
          sizes.push(uint32At(entries, at + 8));
          members.push(uint32At(entries, at + 12));
        }
        const lookedTo = next + looked;
        const found = this.#readSpans(queue, offsets, positions, sizes, offsets.length, members);
        for (let candidate = 0; candidate < found.length; candidate++) {
          const position = positions[candidate] as number;
          // The records of one batch record share its bytes: counted once.
          const size = position === lastPosition ? 0 : (sizes[candidate] as number);
          const message = found[candidate] as StoredMessage;
          if (filter.matches(message.tag)) {
            if (messages.length > 0 && bytes + size > maxBytes) {
              next = offsets[candidate] as number;
              break scan;
            }
            bytes += size;
            lastPosition = position;
            messages.push(message);
            if (messages.length >= maxMessages) {
              next = (offsets[candidate] as number) + 1;
              break scan;
            }
          }
        }
        // Nothing between the candidates matched by code: every entry up to lookedTo has been looked at.
        next = lookedTo;
      }
    }
    return { status: 'ok', messages, nextOffset: next, minOffset, maxOffset };
  }

  async queueRange(topic: string, queueId: number): Promise<QueueRange | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    const queue = this.#queues.queue(topic, queueId);
    return queue === undefined ? undefined : rangeOf(queue);
  }

  async offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkTimestamp('timestamp', timestamp);
    const queue = this.#queues.queue(topic, queueId);
    if (queue === undefined || queue.minOffset >= queue.maxOffset) return undefined;
    // Store timestamps never decrease along the CommitLog, so they never decrease along a queue.
    const offset = this.#queues.search(
      queue,
      queue.minOffset,
      queue.maxOffset,
      (entry) => this.#storeTimestampAt(entry.position) >= timestamp,
    );
    return offset < queue.maxOffset ? offset : undefined;
  }

  async findById(messageId: string): Promise<StoredMessage | undefined> {
    this.#ensureOpen();
    for (const position of this.#index.lookup(`i${messageId}`, FIND_BY_ID_CANDIDATES)) {
      const message = this.#readIfReadable(position);
      if (message?.messageId === messageId) return message;
    }
    // A record of a batch: its batch is indexed under its first id's time and random parts.
    if (typeof messageId !== 'string' || messageId.length !== 32) return undefined;
    for (const position of this.#index.lookup(`b${batchIdKey(messageId)}`, FIND_BY_ID_CANDIDATES)) {
      const found = this.#readableBatchRecords(position, (batch) => {
        const i = messageIdIndexIn(batch.firstMessageId, batch.count, messageId);
        return i < 0 ? [] : [i];
      });
      if (found[0] !== undefined) return found[0];
    }
    return undefined;
  }

  async findByKey(topic: string, key: string, options: { readonly limit?: number } = {}): Promise<StoredMessage[]> {
    this.#ensureOpen();
    const limit = options.limit ?? DEFAULT_FIND_BY_KEY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new EddyError('INVALID_ARGUMENT', `limit must be a positive integer, got ${options.limit}`);
    }
    if (this.#queues.queuesOf(topic) === undefined) return [];
    const hashKey = keyHashKey(topic, key);
    // Candidates include hash collisions and unreadable messages: ask for more until enough are confirmed.
    for (let wanted = limit + 16; ; wanted *= 4) {
      const positions = this.#index.lookup(hashKey, wanted);
      const found: StoredMessage[] = [];
      const seen = new Set<number>();
      for (const position of positions) {
        if (seen.has(position)) continue;
        seen.add(position);
        const batchRecords = this.#readableBatchRecords(position, (batch) => {
          if (batch.topic !== topic || batch.keys === undefined) return [];
          const members: number[] = [];
          for (let i = 0; i < batch.count; i++) if (batch.keys[i]?.includes(key)) members.push(i);
          // Newest first, as the index gives positions.
          return members.reverse();
        });
        for (const message of batchRecords) {
          found.push(message);
          if (found.length === limit) return found;
        }
        if (batchRecords.length > 0) continue;
        const message = this.#readIfReadable(position);
        if (message !== undefined && message.topic === topic && message.keys.includes(key)) {
          found.push(message);
          if (found.length === limit) return found;
        }
      }
      if (positions.length < wanted) return found;
    }
  }

  async listTopics(): Promise<string[]> {
    this.#ensureOpen();
    const topics: string[] = [];
    for (const topic of this.#queues.topics()) if ((this.#queues.queuesOf(topic)?.size ?? 0) > 0) topics.push(topic);
    return topics.sort(compareKeys);
  }

  async listQueues(topic: string): Promise<QueueRange[]> {
    this.#ensureOpen();
    const queues = this.#queues.queuesOf(topic);
    if (queues === undefined) return [];
    return [...queues.values()].sort((left, right) => left.queueId - right.queueId).map(rangeOf);
  }

  async deleteTopic(topic: string): Promise<boolean> {
    this.#ensureOpen();
    if (this.#broken !== undefined) throw this.#broken;
    const pending = this.#deleting.get(topic);
    if (pending !== undefined) {
      await pending.catch(() => {});
      this.#ensureOpen();
    }
    const queues = this.#queues.queuesOf(topic);
    if (queues === undefined || queues.size === 0) return false;
    // Every record of this incarnation lies below this position; recovery never dispatches them again.
    this.#state.tombstones.set(topic, this.#commitLog.maxPosition);
    for (const queueId of queues.keys()) this.#state.minOffsets.get(topic)?.delete(queueId);
    this.#state.minOffsets.delete(topic);
    const deletion = (async () => {
      // The tombstone is durable before the files go: a crash in between leaves files that open removes,
      // never a topic that recovery brings back.
      try {
        await this.#persistState();
        this.#queues.removeTopic(topic);
      } catch (error) {
        // Memory says deleted but the files do not: a new queue of this name must not write among them.
        throw this.#breakDown(error, `deletion of topic ${topic} failed`);
      }
    })();
    // Readers see the topic gone at once; appends to it wait for the deletion (see append).
    this.#queues.forget(topic);
    this.#deleting.set(topic, deletion);
    try {
      await deletion;
    } finally {
      this.#deleting.delete(topic);
    }
    return true;
  }

  async deleteRecordsBefore(topic: string, queueId: number, offset: number): Promise<QueueRange | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkOffset(offset);
    const queue = this.#queues.queue(topic, queueId);
    if (queue === undefined) return undefined;
    if (this.#broken !== undefined) throw this.#broken;
    const target = Math.min(offset, queue.maxOffset);
    if (target > queue.minOffset) {
      queue.minOffset = target;
      await this.#persistState();
      this.#queues.removeFilesBelow(queue, queue.minOffset);
    }
    return rangeOf(queue);
  }

  async enforceRetention(policy: RetentionPolicy): Promise<RetentionReport> {
    this.#ensureOpen();
    checkTimestamp('storedBefore', policy?.storedBefore);
    return this.#maintenance.run(() => this.#retain(policy.storedBefore, undefined));
  }

  async flush(): Promise<void> {
    this.#ensureOpen();
    await this.#maintenance.run(() => this.#checkpointFlush());
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  /** CommitLog fdatasync rounds so far; for tests and metrics. */
  get commitLogSyncCount(): number {
    return this.#commitLog.syncCount;
  }

  /** ConsumeQueue file handles open now; for tests and metrics. */
  get openConsumeQueueFiles(): number {
    return this.#queues.openFileCount;
  }

  /** The CommitLog's first and end positions; for tests and metrics. */
  get commitLogRange(): { readonly minPosition: number; readonly maxPosition: number } {
    return { minPosition: this.#commitLog.minPosition, maxPosition: this.#commitLog.maxPosition };
  }

  /**
   * Async mode: writes the batch at once (one CommitLog write, then dispatch), so it is acknowledged
   * after its bytes reached the OS. Sync mode: queues it for this turn's group (see {@link #commitGroup}).
   */
  #appendNow(request: AppendRequest): Promise<AppendResult> {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#options.flush === 'async') {
      this.#writeGroup([request]);
      const result = request.result as AppendResult;
      // An async append resolves without I/O, so a caller that appends in a tight loop never gives the
      // event loop a turn: the flush timer and the fdatasync it awaits would wait for ever, and with
      // them the checkpoint (recovery time) and the power-loss window. So once in a while an append
      // resolves a turn later. A server, which yields on network I/O anyway, never notices.
      if (result.storeTimestamp - this.#lastYield < YIELD_INTERVAL_MS) return Promise.resolve(result);
      this.#lastYield = result.storeTimestamp;
      return new Promise((resolve) => setImmediate(() => resolve(result)));
    }
    return new Promise((resolve, reject) => {
      this.#group.push({ request, resolve, reject });
      this.#groupCommit ??= new Promise<void>((done) =>
        setImmediate(() => {
          this.#commitGroup();
          done();
        }),
      );
    });
  }

  /**
   * Group commit, sync mode: the appends made in one turn of the event loop (typically the appenders
   * the last fdatasync woke up) are encoded into one buffer, written with one CommitLog write,
   * dispatched, and covered by one fdatasync; each is acknowledged after that sync. Their offsets are
   * assigned here, after the write, so a reader never sees an offset whose bytes are not written.
   */
  #commitGroup(): void {
    const group = this.#group;
    this.#group = [];
    this.#groupCommit = undefined;
    const ready: GroupMember[] = [];
    for (const member of group) {
      // A deletion that began after this append was accepted: it waits for the deletion, as append does.
      if (this.#deleting.has(member.request.topic)) {
        this.#submit(member.request).then(member.resolve, member.reject);
      } else {
        ready.push(member);
      }
    }
    if (ready.length === 0) return;
    let end: number;
    try {
      if (this.#broken !== undefined) throw this.#broken;
      end = this.#writeGroup(ready.map((member) => member.request));
    } catch (error) {
      for (const member of ready) member.reject(error);
      return;
    }
    this.#commitLog.waitForFlush(end, true).then(
      () => {
        for (const member of ready) member.resolve(member.request.result as AppendResult);
      },
      (error: unknown) => {
        for (const member of ready) member.reject(error);
      },
    );
  }

  /**
   * Encodes the requests' records back to back, writes them with one CommitLog append, dispatches
   * them, and sets each request's result. Returns the CommitLog position after the last record.
   *
   * @throws what the write throws (nothing written, nothing dispatched); a dispatch failure breaks the store.
   */
  #writeGroup(requests: readonly AppendRequest[]): number {
    const storeTimestamp = Math.max(this.#lastStoreTimestamp, this.#options.clock.now());
    const queues: ConsumeQueue[] = new Array(requests.length);
    const created: ConsumeQueue[] = [];
    let count = 0;
    for (const request of requests) count += recordCount(request);
    const sizes: number[] = new Array(count);
    let total = 0;
    let at = 0;
    for (let r = 0; r < requests.length; r++) {
      const request = requests[r] as AppendRequest;
      let queue = this.#queues.queue(request.topic, request.queueId);
      if (queue === undefined) {
        queue = this.#queues.create(request.topic, request.queueId);
        created.push(queue);
      }
      queues[r] = queue;
      const batch = request.batch;
      if (batch !== undefined) {
        const { encoded, firstMessageId } = batch;
        const size = batchRecordSize({
          topic: request.topic,
          count: encoded.count,
          format: encoded.format,
          firstMessageId,
          tags: encoded.tags,
          keys: encoded.keys,
          payload: encoded.bytes,
        });
        sizes[at++] = size;
        total += size;
        continue;
      }
      const messages = request.messages;
      for (let i = 0; i < messages.length; i++) {
        const size = encodedRecordSize(messages[i] as Message);
        sizes[at++] = size;
        total += size;
      }
    }
    // A batch bigger than that gets its own buffer, so that one large batch does not pin its size.
    if (this.#encodeBuffer.length < total && total <= MAX_KEPT_ENCODE_BUFFER) {
      this.#encodeBuffer = Buffer.allocUnsafe(Math.max(total, 64 * 1024));
    }
    const buffer = total <= this.#encodeBuffer.length ? this.#encodeBuffer : Buffer.allocUnsafe(total);
    // Offsets each queue gets in this group: the same queue may appear more than once.
    const nextOffsets = requests.length > 1 ? new Map<ConsumeQueue, number>() : undefined;
    const baseOffsets: number[] = new Array(requests.length);
    let positions: number[];
    try {
      let cursor = 0;
      for (let r = 0; r < requests.length; r++) {
        const request = requests[r] as AppendRequest;
        const { topic, queueId, messages, batch } = request;
        const queue = queues[r] as ConsumeQueue;
        const baseOffset = nextOffsets?.get(queue) ?? queue.maxOffset;
        baseOffsets[r] = baseOffset;
        nextOffsets?.set(queue, baseOffset + entryCount(request));
        if (batch !== undefined) {
          const { encoded, firstMessageId } = batch;
          cursor = encodeBatchRecordInto(buffer, cursor, {
            topic,
            queueId,
            baseOffset,
            storeTimestamp,
            count: encoded.count,
            format: encoded.format,
            firstMessageId,
            tags: encoded.tags,
            keys: encoded.keys,
            payload: encoded.bytes,
            payloadChecksum: encoded.checksum,
          });
          continue;
        }
        for (let i = 0; i < messages.length; i++) {
          const message = messages[i] as Message;
          // Fields one by one: an object spread of the message is several times slower on this hot path.
          cursor = encodeRecordInto(buffer, cursor, {
            topic,
            body: message.body,
            keys: message.keys,
            tag: message.tag,
            properties: message.properties,
            messageId: message.messageId,
            bornTimestamp: message.bornTimestamp,
            bornHost: message.bornHost,
            producerGroup: message.producerGroup,
            messageGroup: message.messageGroup,
            deliveryTimestamp: message.deliveryTimestamp,
            transaction: message.transaction,
            reconsumeTimes: message.reconsumeTimes,
            queueId,
            queueOffset: baseOffset + i,
            storeTimestamp,
          });
        }
      }
      positions = this.#commitLog.append(buffer, sizes);
    } catch (error) {
      for (const queue of created) this.#queues.discardIfEmpty(queue);
      throw error;
    }
    this.#lastStoreTimestamp = storeTimestamp;
    at = 0;
    for (let r = 0; r < requests.length; r++) {
      const request = requests[r] as AppendRequest;
      const queue = queues[r] as ConsumeQueue;
      try {
        if (request.batch === undefined) this.#dispatch(queue, request.messages, positions, sizes, at);
        else this.#dispatchBatch(queue, request.batch, positions[at] as number, sizes[at] as number);
      } catch (error) {
        throw this.#breakDown(
          error,
          `dispatch of ${request.topic}/${request.queueId} at offset ${baseOffsets[r] as number} failed`,
        );
      }
      at += recordCount(request);
      request.result = {
        baseOffset: baseOffsets[r] as number,
        nextOffset: (baseOffsets[r] as number) + entryCount(request),
        storeTimestamp,
      };
    }
    return (positions[count - 1] as number) + (sizes[count - 1] as number);
  }

  /** Adds the batch's ConsumeQueue entries (in memory; see `ConsumeQueueStore.appendEntry`) and index entries. */
  #dispatch(
    queue: ConsumeQueue,
    messages: readonly Pick<Message, 'tag' | 'messageId' | 'keys'>[],
    positions: readonly number[],
    sizes: readonly number[],
    from: number,
  ): void {
    const queues = this.#queues;
    // Batches usually share a tag: one code for a run of equal tags.
    let lastTag: string | undefined;
    let lastCode = 0;
    for (let i = 0; i < messages.length; i++) {
      const tag = (messages[i] as Message).tag;
      if (tag !== lastTag || i === 0) {
        lastTag = tag;
        lastCode = tagCode(tag);
      }
      queues.appendEntry(queue, positions[from + i] as number, sizes[from + i] as number, lastCode);
    }
    const keySeed = this.#keyHashSeed(queue.topic);
    for (let i = 0; i < messages.length; i++) {
      indexRecord(this.#index, keySeed, messages[i] as Message, positions[from + i] as number);
    }
  }

  /** A batch record's ConsumeQueue entries (one per record, all pointing at it) and index entries. */
  #dispatchBatch(
    queue: ConsumeQueue,
    batch: { readonly encoded: EncodedBatch; readonly firstMessageId: string },
    position: number,
    size: number,
  ): void {
    const { count, tags, keys } = batch.encoded;
    const queues = this.#queues;
    if (tags === undefined) {
      for (let i = 0; i < count; i++) queues.appendEntry(queue, position, size, 0, i + 1);
    } else {
      let lastTag: string | undefined;
      let lastCode = 0;
      for (let i = 0; i < count; i++) {
        const tag = tags[i];
        if (tag !== lastTag) {
          lastTag = tag;
          lastCode = tagCode(tag);
        }
        queues.appendEntry(queue, position, size, lastCode, i + 1);
      }
    }
    indexBatch(this.#index, this.#keyHashSeed(queue.topic), batch.firstMessageId, keys, position);
  }

  /** The running index hash of `"k" + topic + "\0"`, for the last topic asked about. */
  #keyHashSeed(topic: string): number {
    if (topic !== this.#keySeedTopic) {
      this.#keySeedTopic = topic;
      this.#keySeed = keyHashSeed(topic);
    }
    return this.#keySeed;
  }

  /**
   * Reads the records `0 … count - 1` of the parallel arrays (queue offset, CommitLog position, size;
   * in CommitLog order) with one read per span of the CommitLog of up to `READ_SPAN_BYTES` within a
   * segment: a batch is one read, and so are messages of one queue interleaved with a few others, at
   * the cost of reading the others' bytes too. Each span gets its own buffer, because the decoded bodies
   * are views into it and outlive the call.
   */
  #readSpans(
    queue: ConsumeQueue,
    offsets: readonly number[],
    positions: readonly number[],
    sizes: readonly number[],
    count: number,
    members: readonly number[],
  ): StoredMessage[] {
    const messages: StoredMessage[] = new Array(count);
    const segmentSize = this.#commitLog.segmentSize;
    let i = 0;
    while (i < count) {
      const first = positions[i] as number;
      const member = members[i] as number;
      if (member > 0) {
        const batch = this.#batchMessages(queue, offsets[i] as number, first, sizes[i] as number);
        const message = batch[member - 1];
        if (message === undefined || message.queueOffset !== offsets[i]) {
          throw this.#corruptAt(
            first,
            `holds a batch without record ${member - 1} at ${queue.topic}/${queue.queueId}@${offsets[i]}, where ConsumeQueue entry ${offsets[i]} points`,
          );
        }
        messages[i] = message;
        i++;
        continue;
      }
      const limit = Math.min(this.#commitLog.segmentStartOf(first) + segmentSize, first + READ_SPAN_BYTES);
      let end = first + (sizes[i] as number);
      let j = i + 1;
      for (; j < count; j++) {
        const position = positions[j] as number;
        const itemEnd = position + (sizes[j] as number);
        if (position < end || itemEnd > limit || (members[j] as number) > 0) break;
        end = itemEnd;
      }
      const bytes = this.#readCommitLog(queue, offsets[i] as number, first, end - first);
      for (let k = i; k < j; k++) {
        const position = positions[k] as number;
        messages[k] = this.#decodeAt(
          queue,
          offsets[k] as number,
          bytes,
          position - first,
          position,
          sizes[k] as number,
        );
      }
      i = j;
    }
    return messages;
  }

  #readCommitLog(
    queue: ConsumeQueue,
    offset: number,
    position: number,
    length: number,
    into?: (size: number) => Uint8Array,
  ): Buffer {
    if (position < this.#commitLog.minPosition) {
      throw new EddyError(
        'CORRUPT_DATA',
        `ConsumeQueue ${queue.topic}/${queue.queueId} entry ${offset} points at CommitLog position ${position}, below the log's start ${this.#commitLog.minPosition}`,
        { details: { topic: queue.topic, queueId: queue.queueId, offset, position } },
      );
    }
    return this.#commitLog.read(position, length, into?.(length));
  }

  /** Decodes and checks one record against the ConsumeQueue entry that led to it. */
  #decodeAt(
    queue: ConsumeQueue,
    offset: number,
    bytes: Buffer,
    at: number,
    position: number,
    size: number,
  ): StoredMessage {
    // Decoded in place (no subarray per record); a size field that disagrees with the entry is caught
    // below. No RecordFieldCache: its tag slot misses on every record when tags alternate (it then
    // decodes and copies), which measured 4% slower than none on the bench's 4-tag queue.
    const decoded = decodeRecord(bytes, at, this.#decodeOptions);
    if (!decoded.ok) {
      throw this.#corruptAt(position, decoded.error.message, { cause: decoded.error, fault: decoded.fault });
    }
    const record = decoded.record;
    if (
      decoded.size !== size ||
      record.topic !== queue.topic ||
      record.queueId !== queue.queueId ||
      record.queueOffset !== offset
    ) {
      throw this.#corruptAt(
        position,
        `holds ${record.topic}/${record.queueId}@${record.queueOffset}, but ConsumeQueue ${queue.topic}/${queue.queueId} entry ${offset} points there`,
      );
    }
    return record;
  }

  /**
   * Reads and checks the batch record at `position` (`size` bytes, as the ConsumeQueue entry of
   * `queue`'s `offset` says); its payload is a view into a fresh buffer, or into the one `into` gives.
   */
  #readBatchRecord(
    queue: ConsumeQueue,
    offset: number,
    position: number,
    size: number,
    into?: (size: number) => Uint8Array,
  ): BatchRecord {
    const bytes = this.#readCommitLog(queue, offset, position, size, into);
    const decoded = decodeBatchRecord(bytes, 0, this.#options.verifyChecksumOnRead);
    if (!decoded.ok) {
      throw this.#corruptAt(position, decoded.error.message, { cause: decoded.error, fault: decoded.fault });
    }
    const batch = decoded.batch;
    if (
      batch.size !== size ||
      batch.topic !== queue.topic ||
      batch.queueId !== queue.queueId ||
      offset < batch.baseOffset ||
      offset >= batch.baseOffset + batch.count
    ) {
      throw this.#corruptAt(
        position,
        `holds ${batch.topic}/${batch.queueId}@${batch.baseOffset}+${batch.count}, but ConsumeQueue ${queue.topic}/${queue.queueId} entry ${offset} points there`,
      );
    }
    return batch;
  }

  /** The records of the batch record at `position` as messages, decoded once and kept for the next reads. */
  #batchMessages(queue: ConsumeQueue, offset: number, position: number, size: number): StoredMessage[] {
    const cached = this.#decodedBatches.get(position);
    if (cached !== undefined) return cached;
    const messages = this.#decodeBatch(this.#readBatchRecord(queue, offset, position, size), position);
    if (this.#decodedBatches.size >= DECODED_BATCH_CACHE) {
      this.#decodedBatches.delete(this.#decodedBatches.keys().next().value as number);
    }
    this.#decodedBatches.set(position, messages);
    return messages;
  }

  #decodeBatch(batch: BatchRecord, position: number): StoredMessage[] {
    const decoder = this.#options.batchDecoders.get(batch.format);
    if (decoder === undefined) {
      throw new EddyError(
        'UNSUPPORTED',
        `${batch.topic}/${batch.queueId}@${batch.baseOffset} is a batch of format '${batch.format}', and this store has no decoder for it (batchDecoders)`,
        { details: { format: batch.format } },
      );
    }
    let records: ReturnType<EncodedBatchDecoder['decode']>;
    try {
      records = decoder.decode(batch.payload, batch.count);
      if (records.length !== batch.count) {
        throw new EddyError('CORRUPT_DATA', `decoded ${records.length} records, the batch says ${batch.count}`);
      }
    } catch (error) {
      throw this.#corruptAt(
        position,
        `the '${batch.format}' batch of ${batch.topic}/${batch.queueId}@${batch.baseOffset} does not decode: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const { topic, queueId, baseOffset, storeTimestamp, firstMessageId } = batch;
    return records.map((record, i) => ({
      ...record,
      topic,
      messageId: messageIdPlus(firstMessageId, i),
      queueId,
      queueOffset: baseOffset + i,
      storeTimestamp,
    }));
  }

  async readEncoded(
    topic: string,
    queueId: number,
    offset: number,
    options: ReadEncodedOptions = {},
  ): Promise<ReadEncodedResult> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkOffset(offset);
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new EddyError('INVALID_ARGUMENT', `maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    const queue = this.#queues.queue(topic, queueId);
    if (queue === undefined) return { status: 'unknown-queue' };
    const { minOffset, maxOffset } = queue;
    if (offset < minOffset || offset > maxOffset) return { status: 'offset-out-of-range', minOffset, maxOffset };
    const entries: StoredEntry[] = [];
    let next = offset;
    let bytes = 0;
    read: while (next < maxOffset) {
      const count = Math.min(FILTER_CHUNK_ENTRIES, maxOffset - next, Math.floor(maxBytes / MIN_RECORD_SIZE) + 1);
      const cq = this.#queues.readEntries(queue, next, count);
      const offsets: number[] = [];
      const positions: number[] = [];
      const sizes: number[] = [];
      const members: number[] = [];
      // Messages between batches are read together, once the run ends.
      const flushRun = (): boolean => {
        const found = this.#readSpans(queue, offsets, positions, sizes, offsets.length, members);
        for (let k = 0; k < found.length; k++) {
          const size = sizes[k] as number;
          if (entries.length > 0 && bytes + size > maxBytes) {
            next = offsets[k] as number;
            return false;
          }
          bytes += size;
          entries.push({ kind: 'message', message: found[k] as StoredMessage });
        }
        offsets.length = 0;
        positions.length = 0;
        sizes.length = 0;
        members.length = 0;
        return true;
      };
      let i = 0;
      while (i < count) {
        const at = i * CONSUME_QUEUE_ENTRY_SIZE;
        const position = uint32At(cq, at) * TWO_32 + uint32At(cq, at + 4);
        const size = uint32At(cq, at + 8);
        const member = uint32At(cq, at + 12);
        if (member === 0) {
          offsets.push(next + i);
          positions.push(position);
          sizes.push(size);
          members.push(0);
          i++;
          continue;
        }
        if (!flushRun()) break read;
        const batch = this.#readBatchRecord(queue, next + i, position, size, options.allocate);
        if (batch.baseOffset + member - 1 !== next + i) {
          throw this.#corruptAt(
            position,
            `the batch starts at offset ${batch.baseOffset}, but ConsumeQueue ${topic}/${queueId} entry ${next + i} takes it for its record ${member - 1}`,
          );
        }
        const payload = batch.payload.byteLength;
        if (entries.length > 0 && bytes + payload > maxBytes) {
          next += i;
          break read;
        }
        bytes += payload;
        entries.push({
          kind: 'batch',
          format: batch.format,
          baseOffset: batch.baseOffset,
          count: batch.count,
          storeTimestamp: batch.storeTimestamp,
          bytes: batch.payload,
        });
        const after = batch.baseOffset + batch.count;
        if (after - next >= count) {
          next = after;
          continue read;
        }
        i = after - next;
      }
      if (!flushRun()) break;
      next += count;
      if (bytes >= maxBytes) break;
    }
    return { status: 'ok', entries, nextOffset: next, minOffset, maxOffset };
  }

  /** A `CORRUPT_DATA` error about the record at a CommitLog position, naming its segment file and position in it. */
  #corruptAt(position: number, detail: string, options: { cause?: unknown; fault?: string } = {}): EddyError {
    const { path, position: filePosition } = this.#whereIs(position);
    return new EddyError(
      'CORRUPT_DATA',
      `${path} at ${filePosition}${detail.startsWith('holds') ? ' ' : ': '}${detail}`,
      {
        ...(options.cause === undefined ? {} : { cause: options.cause }),
        details: { path, position: filePosition, ...(options.fault === undefined ? {} : { fault: options.fault }) },
      },
    );
  }

  /** The segment file holding a CommitLog position, and the position in it: for error messages. */
  #whereIs(position: number): { path: string; position: number } {
    const start = this.#commitLog.segmentStartOf(position);
    return { path: this.#commitLog.segmentPath(start), position: position - start };
  }

  /**
   * The records `pick` chooses of the batch record at an indexed position, as messages, those still
   * readable through their queue; empty when no batch record is there.
   */
  #readableBatchRecords(position: number, pick: (batch: BatchRecord) => number[]): StoredMessage[] {
    if (position < this.#commitLog.minPosition || position >= this.#commitLog.maxPosition) return [];
    const size = this.#commitLog.readRecordSize(position);
    if (size === undefined) return [];
    const bytes = this.#commitLog.read(position, size);
    if (bytes.readUInt16BE(4) !== BATCH_MAGIC) return [];
    const decoded = decodeBatchRecord(bytes, 0, this.#options.verifyChecksumOnRead);
    if (!decoded.ok) {
      throw this.#corruptAt(position, decoded.error.message, { cause: decoded.error, fault: decoded.fault });
    }
    const batch = decoded.batch;
    const queue = this.#queues.queue(batch.topic, batch.queueId);
    if (queue === undefined) return [];
    const wanted = pick(batch).filter((i) => {
      const offset = batch.baseOffset + i;
      // The queue of the same name may be a later incarnation (the topic was deleted and made again).
      return (
        offset >= queue.minOffset && offset < queue.maxOffset && this.#queues.entry(queue, offset).position === position
      );
    });
    if (wanted.length === 0) return [];
    const messages = this.#batchMessages(queue, batch.baseOffset + (wanted[0] as number), position, size);
    return wanted.map((i) => messages[i] as StoredMessage);
  }

  /** The record at an indexed position, if it is still readable through its queue; undefined otherwise. */
  #readIfReadable(position: number): StoredMessage | undefined {
    if (position < this.#commitLog.minPosition || position >= this.#commitLog.maxPosition) return undefined;
    const size = this.#commitLog.readRecordSize(position);
    if (size === undefined) return undefined;
    const bytes = this.#commitLog.read(position, size);
    if (bytes.readUInt16BE(4) === BATCH_MAGIC) return undefined;
    const decoded = decodeRecord(bytes, 0, { verifyChecksum: this.#options.verifyChecksumOnRead });
    if (!decoded.ok) {
      const start = this.#commitLog.segmentStartOf(position);
      throw new EddyError(
        'CORRUPT_DATA',
        `${this.#commitLog.segmentPath(start)} at ${position - start}: ${decoded.error.message}`,
        {
          cause: decoded.error,
        },
      );
    }
    const record = decoded.record;
    const queue = this.#queues.queue(record.topic, record.queueId);
    if (queue === undefined || record.queueOffset < queue.minOffset || record.queueOffset >= queue.maxOffset)
      return undefined;
    // The queue of the same name may be a later incarnation (the topic was deleted and made again).
    if (this.#queues.entry(queue, record.queueOffset).position !== position) return undefined;
    return record;
  }

  #storeTimestampAt(position: number): number {
    const timestamp = this.#commitLog.readStoreTimestamp(position);
    if (timestamp === undefined) {
      throw new EddyError(
        'CORRUPT_DATA',
        `no record at CommitLog position ${position}, where a ConsumeQueue entry points`,
      );
    }
    return timestamp;
  }

  /**
   * Flushes the CommitLog, then ConsumeQueue and index files, then writes the checkpoint: everything
   * below the CommitLog position taken at the start is durable and dispatched.
   */
  async #checkpointFlush(): Promise<void> {
    const target = this.#commitLog.maxPosition;
    const lastStoreTimestamp = this.#lastStoreTimestamp;
    await this.#commitLog.flush();
    await this.#queues.flush();
    await this.#index.flush();
    // Metadata shares the flush: in async mode this bounds what a power loss can take from it too.
    await this.#metadataLog.flush();
    await writeCheckpoint(this.#options.fileSystem, this.#paths.checkpoint, {
      version: 1,
      // In sync mode group commit may have synced past the target meanwhile: the more recovery knows is
      // flushed, the more of a bad record it can call corruption rather than a torn tail.
      commitLogFlushed: Math.max(target, this.#commitLog.flushedPosition),
      dispatchFlushed: target,
      lastStoreTimestamp,
    });
  }

  async #retain(storedBefore: number, diskMaxUsedRatio: number | undefined): Promise<RetentionReport> {
    const commitLog = this.#commitLog;
    const starts = [...commitLog.segmentStarts];
    let cut = commitLog.minPosition;
    // A segment's newest record is no newer than the next segment's first (store times never decrease).
    for (let i = 0; i + 1 < starts.length; i++) {
      const nextFirst = commitLog.firstTimestampOf(starts[i + 1] as number);
      if (nextFirst === undefined || nextFirst >= storedBefore) break;
      cut = starts[i + 1] as number;
    }
    if (diskMaxUsedRatio !== undefined && diskMaxUsedRatio < 1) {
      const usage = this.#options.fileSystem.diskUsage(this.#options.dir);
      let excess = usage.total - usage.free - diskMaxUsedRatio * usage.total;
      for (let i = 0; excess > 0 && i + 1 < starts.length; i++) {
        const start = starts[i] as number;
        if (start >= cut) {
          cut = starts[i + 1] as number;
          this.#options.logger.warn('disk usage is over diskMaxUsedRatio: deleting the oldest CommitLog segment', {
            segment: commitLog.segmentPath(start),
            diskMaxUsedRatio,
          });
        }
        excess -= commitLog.segmentSize;
      }
    }
    if (cut <= commitLog.minPosition) return { queues: [] };
    const moved: (QueueRange & { topic: string })[] = [];
    const changed: ConsumeQueue[] = [];
    for (const queue of this.#queues.allQueues()) {
      if (queue.minOffset >= queue.maxOffset) continue;
      if (this.#queues.entry(queue, queue.minOffset).position >= cut) continue;
      queue.minOffset = this.#queues.search(queue, queue.minOffset, queue.maxOffset, (entry) => entry.position >= cut);
      changed.push(queue);
      moved.push({ topic: queue.topic, ...rangeOf(queue) });
    }
    for (const [topic, position] of [...this.#state.tombstones]) {
      if (position <= cut) this.#state.tombstones.delete(topic);
    }
    // The new minimum offsets are durable before the segments go, so no reader is ever sent below them.
    await this.#persistState();
    const removed = commitLog.removeSegmentsBefore(cut);
    this.#index.deleteBefore(commitLog.minPosition);
    for (const queue of changed) this.#queues.removeFilesBelow(queue, queue.minOffset);
    if (removed.length > 0) {
      this.#options.logger.info('retention deleted CommitLog segments', {
        segments: removed.map((start) => commitLog.segmentPath(start)),
        storedBefore,
      });
    }
    moved.sort((left, right) => compareKeys(left.topic, right.topic) || left.queueId - right.queueId);
    return { queues: moved };
  }

  /** Writes `state.json` from memory; writes are serialised and each one writes the state as it is then. */
  #persistState(): Promise<void> {
    return this.#stateWriter.run(async () => {
      const minOffsets = new Map<string, Map<number, number>>();
      for (const queue of this.#queues.allQueues()) {
        if (queue.minOffset <= (queue.files[0] ?? 0)) continue;
        let queues = minOffsets.get(queue.topic);
        if (queues === undefined) {
          queues = new Map();
          minOffsets.set(queue.topic, queues);
        }
        queues.set(queue.queueId, queue.minOffset);
      }
      this.#state.minOffsets.clear();
      for (const [topic, queues] of minOffsets) this.#state.minOffsets.set(topic, queues);
      await writeState(this.#options.fileSystem, this.#paths.state, this.#state);
    });
  }

  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer = this.#options.clock.schedule(this.#options.flushIntervalMs, () => {
      this.#flushTimer = undefined;
      if (this.#closed) return;
      this.#maintenance
        .run(() => this.#checkpointFlush())
        .catch((error: unknown) => this.#options.logger.error('periodic flush failed', { error: String(error) }))
        .finally(() => this.#scheduleFlush());
    });
  }

  #scheduleClean(): void {
    if (this.#closed) return;
    this.#cleanTimer = this.#options.clock.schedule(this.#options.cleanIntervalMs, () => {
      this.#cleanTimer = undefined;
      if (this.#closed) return;
      const storedBefore = this.#options.clock.now() - this.#options.retentionMs;
      this.#maintenance
        .run(() => this.#retain(storedBefore, this.#options.diskMaxUsedRatio))
        .catch((error: unknown) => this.#options.logger.error('periodic retention failed', { error: String(error) }))
        .finally(() => this.#scheduleClean());
    });
  }

  async #shutDown(): Promise<void> {
    this.#flushTimer?.cancel();
    this.#cleanTimer?.cancel();
    // Appends accepted before close are written first, so the final checkpoint covers them.
    while (this.#groupCommit !== undefined) await this.#groupCommit;
    await Promise.allSettled([...this.#deleting.values()]);
    let failure: unknown;
    try {
      if (this.#broken === undefined) await this.#maintenance.run(() => this.#checkpointFlush());
      else await this.#maintenance.idle();
      await this.#stateWriter.idle();
    } catch (error) {
      failure = error;
    }
    await this.#metadataLog.close().catch((error: unknown) => {
      failure ??= error;
    });
    this.#index.close();
    this.#queues.close();
    await this.#commitLog.close();
    if (failure !== undefined || this.#broken !== undefined) {
      // The abort marker stays, so the next open recovers from the files.
      if (failure !== undefined) throw failure;
      return;
    }
    this.#options.fileSystem.remove(this.#paths.abort);
    await this.#options.fileSystem.syncDirectory(this.#options.dir);
  }

  #breakDown(error: unknown, what: string): EddyError {
    this.#broken ??= new EddyError(
      'IO_ERROR',
      `${what}: ${(error as Error)?.message ?? String(error)}; the store refuses further writes until it is reopened`,
      { cause: error },
    );
    this.#options.logger.error(this.#broken.message);
    return this.#broken;
  }

  #ensureOpen(): void {
    if (this.#closed) throw storeClosedError(ENGINE);
  }
}

function rangeOf(queue: ConsumeQueue): QueueRange {
  return { queueId: queue.queueId, minOffset: queue.minOffset, maxOffset: queue.maxOffset };
}

function keyHashKey(topic: string, key: string): string {
  return `k${topic}\0${key}`;
}

/** The running index hash of {@link keyHashKey}'s prefix: the part every key of a topic shares. */
function keyHashSeed(topic: string): number {
  return indexHashUpdate(indexHashUpdate(INDEX_HASH_SEED, `k${topic}`), '\0');
}

/** The running index hash of `"i"`, the prefix of every message-id key. */
const ID_HASH_SEED = indexHashUpdate(INDEX_HASH_SEED, 'i');

/**
 * Indexes a record under `"i" + messageId` and `"k" + topic + "\0" + key` for each distinct key,
 * hashing the parts in turn rather than joining strings (the same hashes; see `indexHashUpdate`).
 */
function indexRecord(
  index: KeyIndex,
  keySeed: number,
  message: Pick<Message, 'messageId' | 'keys'>,
  position: number,
): void {
  index.addHash(indexHashFinish(indexHashUpdate(ID_HASH_SEED, message.messageId)), position);
  const keys = message.keys;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string;
    if (k === 0 || keys.indexOf(key) === k) index.addHash(indexHashFinish(indexHashUpdate(keySeed, key)), position);
  }
}

/** The running index hash of `"b"`, the prefix of every batch-record key. */
const BATCH_ID_HASH_SEED = indexHashUpdate(INDEX_HASH_SEED, 'b');

/** What a batch record is indexed under: the time and random parts of its ids (all but the sequence). */
function batchIdKey(messageId: string): string {
  return messageId.slice(0, 12) + messageId.slice(20);
}

/** Indexes a batch record under `"b" + batchIdKey(firstMessageId)` and `"k" + topic + "\0" + key` for each distinct key of its records. */
function indexBatch(
  index: KeyIndex,
  keySeed: number,
  firstMessageId: string,
  keys: readonly (readonly string[] | undefined)[] | undefined,
  position: number,
): void {
  index.addHash(indexHashFinish(indexHashUpdate(BATCH_ID_HASH_SEED, batchIdKey(firstMessageId))), position);
  if (keys === undefined) return;
  const seen = new Set<string>();
  for (const list of keys) {
    if (list === undefined) continue;
    for (const key of list) {
      if (seen.has(key)) continue;
      seen.add(key);
      index.addHash(indexHashFinish(indexHashUpdate(keySeed, key)), position);
    }
  }
}

function checkTimestamp(name: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new EddyError('INVALID_ARGUMENT', `${name} must be a number of ms since the epoch, got ${value}`);
  }
}

/** The metadata store, rejecting every call with `STORE_CLOSED` once the engine is closed. */
function guardMetadata(inner: MetadataStore, ensureOpen: () => void): MetadataStore {
  return {
    get: async (key) => {
      ensureOpen();
      return inner.get(key);
    },
    put: async (key, value) => {
      ensureOpen();
      return inner.put(key, value);
    },
    delete: async (key) => {
      ensureOpen();
      return inner.delete(key);
    },
    scan: async (prefix, options) => {
      ensureOpen();
      return inner.scan(prefix, options);
    },
    batch: async (operations) => {
      ensureOpen();
      return inner.batch(operations);
    },
  };
}

/** True when the segment files hold at least `end` bytes of log: a clean stop's checkpoint can be trusted. */
function segmentsReach(commitLog: CommitLog, fileSystem: FileSystem, end: number): boolean {
  if (end === 0) return true;
  const start = commitLog.segmentStartOf(end - 1);
  if (!commitLog.segmentStarts.includes(start)) return false;
  const handle = fileSystem.open(commitLog.segmentPath(start));
  try {
    return handle.size() >= end - start;
  } finally {
    handle.close();
  }
}

/**
 * Removes ConsumeQueue directories of deleted topics that a crash left behind (their entries all point
 * below the tombstone; a topic made again after the deletion only has entries above it).
 */
function removeDeletedTopicLeftovers(queues: ConsumeQueueStore, state: EngineState, logger: Logger): boolean {
  let changed = false;
  for (const [topic, tombstone] of state.tombstones) {
    const topicQueues = queues.queuesOf(topic);
    if (topicQueues === undefined) continue;
    for (const queue of [...topicQueues.values()]) {
      const last = queue.maxOffset - 1;
      const stale = last < (queue.files[0] ?? 0) || queues.entry(queue, last).position < tombstone;
      if (stale) {
        logger.warn('removing ConsumeQueue files of a deleted topic left by an interrupted deletion', {
          topic,
          queueId: queue.queueId,
        });
        queues.removeQueue(queue);
        changed = true;
      }
    }
  }
  return changed;
}

function applyMinOffsets(queues: ConsumeQueueStore, state: EngineState): void {
  for (const [topic, saved] of state.minOffsets) {
    for (const [queueId, minOffset] of saved) {
      const queue = queues.queue(topic, queueId);
      if (queue !== undefined) queue.minOffset = Math.min(Math.max(queue.minOffset, minOffset), queue.maxOffset);
    }
  }
}

/**
 * Crash recovery: scans the CommitLog from the checkpoint's dispatched position, re-dispatching every
 * good record, and decides what a bad record means: past the flushed position it is a torn tail (cut
 * and logged); before it, corruption (`CORRUPT_DATA`, or with `repair` cut and logged).
 */
function recover(parts: {
  options: Resolved;
  commitLog: CommitLog;
  queues: ConsumeQueueStore;
  index: KeyIndex;
  state: EngineState;
  checkpoint: Checkpoint | undefined;
}): { lastStoreTimestamp: number; stateChanged: boolean; needsCheckpoint: boolean } {
  const { options, commitLog, queues, index, state, checkpoint } = parts;
  const { logger } = options;
  const flushed = checkpoint?.commitLogFlushed ?? 0;
  const from = index.rebuilt ? 0 : Math.min(checkpoint?.dispatchFlushed ?? 0, flushed);
  let scanFrom = Math.max(from, commitLog.segmentStarts[0] ?? 0);
  // When the files end before that point, bytes the checkpoint counted are gone: scan from the start of
  // the last segment that is there (a record boundary), so that the end found is one too.
  const dataEnd = commitLog.dataEnd();
  if (dataEnd < scanFrom) {
    scanFrom = [...commitLog.segmentStarts].reverse().find((start) => start <= dataEnd) ?? 0;
  }
  index.truncateAfter(scanFrom);
  let lastStoreTimestamp = 0;
  let stateChanged = false;
  let seedTopic: string | undefined;
  let seed = 0;
  const started = Date.now();
  /** The queue a recovered record (or batch record) of `count` offsets from `offset` belongs to, made ready for its entries; undefined when they are all below the queue's start. */
  const queueFor = (topic: string, queueId: number, offset: number, count: number, position: number) => {
    let queue = queues.queue(topic, queueId);
    if (queue === undefined) {
      if (offset > 0) {
        logger.warn('recovery found a queue without ConsumeQueue files past its first offset; it starts there', {
          topic,
          queueId,
          offset,
        });
      }
      queue = queues.create(topic, queueId, offset);
      stateChanged ||= offset > 0;
    }
    if (offset + count <= queue.minOffset) return undefined;
    if (offset > queue.maxOffset) {
      if (queue.minOffset < queue.maxOffset && !options.repair) {
        const start = commitLog.segmentStartOf(position);
        throw new EddyError(
          'CORRUPT_DATA',
          `${commitLog.segmentPath(start)} at ${position - start} holds ${topic}/${queueId}@${offset}, but its ConsumeQueue ends at ${queue.maxOffset}: entries are missing (open with repair to drop the older ones)`,
          { details: { path: commitLog.segmentPath(start), position: position - start } },
        );
      }
      logger.warn('recovery: ConsumeQueue has a gap; the queue now starts at the recovered record', {
        topic,
        queueId,
        from: queue.maxOffset,
        to: offset,
      });
      queue.minOffset = offset;
      queue.maxOffset = offset;
      queue.tailOffset = offset;
      stateChanged = true;
    }
    const from = Math.max(offset, queue.minOffset);
    if (from < queue.maxOffset) {
      // The entries from here on were dispatched before the crash. A queue's records lie in CommitLog
      // order, so the scan brings every one of them again: cut them and append, rather than overwrite
      // each in place with a write of its own.
      queues.truncate(queue, from);
    }
    return queue;
  };
  const result = commitLog.scan(
    scanFrom,
    (record, position, size) => {
      lastStoreTimestamp = Math.max(lastStoreTimestamp, record.storeTimestamp);
      const tombstone = state.tombstones.get(record.topic);
      if (tombstone !== undefined && position < tombstone) return;
      if (record.topic !== seedTopic) {
        seedTopic = record.topic;
        seed = keyHashSeed(seedTopic);
      }
      indexRecord(index, seed, record, position);
      const queue = queueFor(record.topic, record.queueId, record.queueOffset, 1, position);
      // Buffered like a live dispatch; the checkpoint after recovery (or the next flush) writes them out.
      if (queue !== undefined) queues.appendEntry(queue, position, size, tagCode(record.tag));
    },
    (batch, position, size) => {
      lastStoreTimestamp = Math.max(lastStoreTimestamp, batch.storeTimestamp);
      const tombstone = state.tombstones.get(batch.topic);
      if (tombstone !== undefined && position < tombstone) return;
      if (batch.topic !== seedTopic) {
        seedTopic = batch.topic;
        seed = keyHashSeed(seedTopic);
      }
      indexBatch(index, seed, batch.firstMessageId, batch.keys, position);
      const queue = queueFor(batch.topic, batch.queueId, batch.baseOffset, batch.count, position);
      if (queue === undefined) return;
      for (let offset = queue.maxOffset; offset < batch.baseOffset + batch.count; offset++) {
        const i = offset - batch.baseOffset;
        queues.appendEntry(queue, position, size, batch.tagCodes[i] as number, i + 1);
      }
    },
  );
  const fault: ScanFault | undefined =
    result.fault ??
    (result.end < flushed
      ? {
          position: result.end,
          path: commitLog.segmentPath(commitLog.segmentStartOf(result.end)),
          filePosition: result.end - commitLog.segmentStartOf(result.end),
          fault: 'missing',
          detail: `the CommitLog ends at ${result.end}, but the checkpoint says ${flushed} bytes were flushed`,
        }
      : undefined);
  if (fault !== undefined) {
    const dropped = {
      path: fault.path,
      position: fault.filePosition,
      fault: fault.fault,
      detail: fault.detail,
      bytesDropped: result.bytesAfterEnd,
    };
    if (fault.position < flushed) {
      if (!options.repair) {
        throw new EddyError(
          'CORRUPT_DATA',
          `corrupt CommitLog record in ${fault.path} at ${fault.filePosition} (${fault.detail}), before the flushed position ${flushed}: open with repair to truncate there`,
          { details: dropped },
        );
      }
      logger.error('repair: truncating the CommitLog at a corrupt record before the flushed position', dropped);
    } else {
      logger.warn('recovery: truncating a torn tail of the CommitLog', dropped);
    }
  }
  commitLog.setEnd(result.end);
  // ConsumeQueue entries written before the crash may point at what was just cut off.
  for (const queue of [...queues.allQueues()]) {
    if (queue.maxOffset <= (queue.files[0] ?? 0) || queue.maxOffset === queue.minOffset) continue;
    const last = queues.entry(queue, queue.maxOffset - 1);
    if (last.position + last.size <= result.end) continue;
    const low = Math.max(queue.minOffset, queue.files[0] ?? 0);
    const cut = queues.search(queue, low, queue.maxOffset, (found) => found.position + found.size > result.end);
    logger.warn('recovery: cutting back a ConsumeQueue past the recovered CommitLog end', {
      topic: queue.topic,
      queueId: queue.queueId,
      from: queue.maxOffset,
      to: cut,
    });
    queues.truncate(queue, cut);
  }
  logger.info('recovered the CommitLog', {
    from: scanFrom,
    end: result.end,
    records: result.records,
    milliseconds: Date.now() - started,
  });
  // A new checkpoint only when the old one would mislead the next recovery (it claims flushed bytes that
  // were cut off, or there is none); otherwise the next periodic flush writes one, and open stays fast.
  const needsCheckpoint = checkpoint === undefined || result.end < flushed || index.rebuilt;
  return { lastStoreTimestamp, stateChanged, needsCheckpoint };
}
