import {
  type Clock,
  DEFAULT_MESSAGE_LIMITS,
  EddyError,
  encodedRecordSize,
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
import { MemoryMetadataStore } from './memory-metadata-store.js';
import { MemoryQueue, type QueueEntry } from './memory-queue.js';
import { IdIndex, KeyIndex } from './message-index.js';
import { type MemoryStoreOptions, MemoryStoreOptionsSchema } from './options.js';

const ENGINE = 'memory';
const DEFAULT_FIND_BY_KEY_LIMIT = 64;
const CAPABILITIES: StoreCapabilities = Object.freeze({ durable: false, retention: 'message' });

interface MemoryTopic {
  readonly queues: Map<number, MemoryQueue>;
  readonly keys: KeyIndex;
}

/**
 * Opens an empty store that keeps everything in this process's memory: the reference engine, whose
 * behaviour defines the storage contract's for every other engine. Nothing survives `close()` or the
 * process.
 *
 * @throws `INVALID_CONFIG` when `maxBodySize` is not a positive integer of at most 1 GiB.
 */
export async function openMemoryStore(options: MemoryStoreOptions = {}): Promise<MessageStore> {
  const { maxBodySize } = parseWithSchema(
    MemoryStoreOptionsSchema,
    options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize },
    'memory store options',
  );
  return new MemoryStore(options.clock ?? systemClock, maxBodySize);
}

/**
 * The memory engine. Every method runs to completion before it returns its promise, so calls take
 * effect in the order they are made, appends never interleave, and what resolved is readable at once.
 * Stored messages are private copies; readers get fresh copies of bodies, so neither a producer reusing
 * its buffers nor a consumer writing into what it read can change stored data.
 */
export class MemoryStore implements MessageStore {
  readonly specificationVersion = 'v1';
  readonly engine = ENGINE;
  readonly capabilities = CAPABILITIES;
  readonly metadata: MemoryMetadataStore;
  readonly #clock: Clock;
  readonly #maxBodySize: number;
  readonly #topics = new Map<string, MemoryTopic>();
  readonly #ids = new IdIndex();
  #closed = false;

  constructor(clock: Clock = systemClock, maxBodySize: number = DEFAULT_MESSAGE_LIMITS.maxBodySize) {
    this.#clock = clock;
    this.#maxBodySize = maxBodySize;
    this.metadata = new MemoryMetadataStore(() => this.#ensureOpen());
  }

  async append(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult> {
    this.#ensureOpen();
    checkAppend(topic, queueId, messages, this.#maxBodySize);
    const memoryTopic = this.#topics.get(topic);
    const queue = memoryTopic?.queues.get(queueId) ?? new MemoryQueue(queueId);
    const storeTimestamp = queue.nextStoreTimestamp(this.#clock.now());
    const baseOffset = queue.maxOffset;
    // Every entry is built before the queue changes, so a message that fails to copy leaves nothing behind.
    const bodies = copyBodies(messages);
    const entries = messages.map((message, index) =>
      createEntry(message, bodies[index] as Uint8Array, queueId, baseOffset + index, storeTimestamp),
    );
    const target = memoryTopic ?? this.#createTopic(topic);
    target.queues.set(queueId, queue);
    queue.append(entries, storeTimestamp);
    for (const entry of entries) {
      this.#ids.add(entry);
      target.keys.add(entry);
    }
    return { baseOffset, nextOffset: queue.maxOffset, storeTimestamp };
  }

  async read(topic: string, queueId: number, offset: number, options?: ReadOptions): Promise<ReadResult> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkOffset(offset);
    const { maxMessages, maxBytes, maxScan, filter } = resolveReadOptions(options);
    const queue = this.#queue(topic, queueId);
    if (queue === undefined) return { status: 'unknown-queue' };
    const { minOffset, maxOffset } = queue;
    if (offset < minOffset || offset > maxOffset) return { status: 'offset-out-of-range', minOffset, maxOffset };
    const found: QueueEntry[] = [];
    let bytes = 0;
    let next = offset;
    // Without a filter every entry looked at is returned, so maxMessages alone bounds the walk.
    const scanEnd = filter === undefined ? maxOffset : Math.min(maxOffset, offset + maxScan);
    while (next < scanEnd && found.length < maxMessages) {
      const entry = queue.entryAt(next) as QueueEntry;
      if (filter === undefined || filter.matches(entry.message.tag)) {
        // The first message goes out whatever its size, so that a reader always makes progress; a later one
        // that does not fit stays for the next read, which must start at it.
        if (found.length > 0 && bytes + entry.size > maxBytes) break;
        bytes += entry.size;
        found.push(entry);
      }
      next++;
    }
    return { status: 'ok', messages: copyOut(found), nextOffset: next, minOffset, maxOffset };
  }

  async queueRange(topic: string, queueId: number): Promise<QueueRange | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    return this.#queue(topic, queueId)?.range();
  }

  async offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkTimestamp('timestamp', timestamp);
    const queue = this.#queue(topic, queueId);
    if (queue === undefined) return undefined;
    const offset = queue.firstOffsetStoredAtOrAfter(timestamp);
    return offset < queue.maxOffset ? offset : undefined;
  }

  async findById(messageId: string): Promise<StoredMessage | undefined> {
    this.#ensureOpen();
    const entry = this.#ids.newest(messageId);
    return entry === undefined ? undefined : copyOut([entry])[0];
  }

  async findByKey(topic: string, key: string, options: { readonly limit?: number } = {}): Promise<StoredMessage[]> {
    this.#ensureOpen();
    const limit = options.limit ?? DEFAULT_FIND_BY_KEY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new EddyError('INVALID_ARGUMENT', `limit must be a positive integer, got ${options.limit}`);
    }
    const memoryTopic = this.#topics.get(topic);
    if (memoryTopic === undefined) return [];
    return copyOut(memoryTopic.keys.newest(key, limit));
  }

  async listTopics(): Promise<string[]> {
    this.#ensureOpen();
    return [...this.#topics.keys()].sort(compareKeys);
  }

  async listQueues(topic: string): Promise<QueueRange[]> {
    this.#ensureOpen();
    const memoryTopic = this.#topics.get(topic);
    if (memoryTopic === undefined) return [];
    return [...memoryTopic.queues.values()]
      .sort((left, right) => left.queueId - right.queueId)
      .map((queue) => queue.range());
  }

  async deleteTopic(topic: string): Promise<boolean> {
    this.#ensureOpen();
    const memoryTopic = this.#topics.get(topic);
    if (memoryTopic === undefined) return false;
    this.#topics.delete(topic);
    // The topic's key index goes with it; only the global id index needs its entries taken out.
    for (const queue of memoryTopic.queues.values()) queue.dropAll((entry) => this.#ids.remove(entry));
    return true;
  }

  async deleteRecordsBefore(topic: string, queueId: number, offset: number): Promise<QueueRange | undefined> {
    this.#ensureOpen();
    checkQueueId(queueId);
    checkOffset(offset);
    const memoryTopic = this.#topics.get(topic);
    const queue = memoryTopic?.queues.get(queueId);
    if (memoryTopic === undefined || queue === undefined) return undefined;
    queue.dropBefore(offset, (entry) => this.#forget(memoryTopic, entry));
    return queue.range();
  }

  async enforceRetention(policy: RetentionPolicy): Promise<RetentionReport> {
    this.#ensureOpen();
    checkTimestamp('storedBefore', policy?.storedBefore);
    const queues: (QueueRange & { readonly topic: string })[] = [];
    for (const topic of [...this.#topics.keys()].sort(compareKeys)) {
      const memoryTopic = this.#topics.get(topic) as MemoryTopic;
      const byQueueId = [...memoryTopic.queues.values()].sort((left, right) => left.queueId - right.queueId);
      for (const queue of byQueueId) {
        const cutOff = queue.firstOffsetStoredAtOrAfter(policy.storedBefore);
        if (queue.dropBefore(cutOff, (entry) => this.#forget(memoryTopic, entry))) {
          queues.push({ topic, ...queue.range() });
        }
      }
    }
    return { queues };
  }

  async flush(): Promise<void> {
    this.#ensureOpen();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Let the memory go even if a caller keeps a reference to the closed store.
    this.#topics.clear();
    this.#ids.clear();
    this.metadata.clear();
  }

  /** Ids the id index holds: for tests that check it is cleaned up. */
  get indexedIdCount(): number {
    return this.#ids.size;
  }

  /** Entries the topic's key index holds, removed ones not yet compacted included; for tests. */
  retainedKeyEntries(topic: string): number {
    return this.#topics.get(topic)?.keys.retainedEntries ?? 0;
  }

  /** Slots the queue's array holds, dropped ones not yet reclaimed included; for tests. */
  retainedQueueSlots(topic: string, queueId: number): number {
    return this.#queue(topic, queueId)?.retainedSlots ?? 0;
  }

  #ensureOpen(): void {
    if (this.#closed) throw storeClosedError(ENGINE);
  }

  #queue(topic: string, queueId: number): MemoryQueue | undefined {
    return this.#topics.get(topic)?.queues.get(queueId);
  }

  #createTopic(topic: string): MemoryTopic {
    const memoryTopic: MemoryTopic = { queues: new Map(), keys: new KeyIndex() };
    this.#topics.set(topic, memoryTopic);
    return memoryTopic;
  }

  #forget(memoryTopic: MemoryTopic, entry: QueueEntry): void {
    this.#ids.remove(entry);
    memoryTopic.keys.remove(entry);
  }
}

function checkTimestamp(name: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new EddyError('INVALID_ARGUMENT', `${name} must be a number of ms since the epoch, got ${value}`);
  }
}

/**
 * Private copies of a batch's bodies, in one allocation: allocating a buffer per message costs more
 * than copying a kilobyte. A batch's buffer lives until its last message is dropped, the same
 * granularity at which a disk engine frees a segment.
 */
function copyBodies(messages: readonly Message[]): Uint8Array[] {
  if (messages.length === 1) return [new Uint8Array((messages[0] as Message).body)];
  let total = 0;
  for (const message of messages) total += message.body.byteLength;
  const shared = new Uint8Array(total);
  const bodies: Uint8Array[] = new Array(messages.length);
  let position = 0;
  for (let index = 0; index < messages.length; index++) {
    const body = (messages[index] as Message).body;
    shared.set(body, position);
    bodies[index] = shared.subarray(position, position + body.byteLength);
    position += body.byteLength;
  }
  return bodies;
}

const NO_KEYS: readonly string[] = Object.freeze([]);
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

// Fields are listed one by one rather than spread, so that whatever else the caller's object carries
// (a queue position from an earlier store, extra members) is not stored.
function createEntry(
  message: Message,
  body: Uint8Array,
  queueId: number,
  queueOffset: number,
  storeTimestamp: number,
): QueueEntry {
  const stored: StoredMessage = Object.freeze({
    topic: message.topic,
    body,
    keys: message.keys.length === 0 ? NO_KEYS : Object.freeze([...message.keys]),
    tag: message.tag,
    properties: isEmpty(message.properties) ? NO_PROPERTIES : Object.freeze({ ...message.properties }),
    messageId: message.messageId,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    producerGroup: message.producerGroup,
    messageGroup: message.messageGroup,
    deliveryTimestamp: message.deliveryTimestamp,
    transaction: message.transaction,
    reconsumeTimes: message.reconsumeTimes,
    queueId,
    queueOffset,
    storeTimestamp,
  });
  return { message: stored, size: encodedRecordSize(stored), removed: false };
}

function isEmpty(properties: Readonly<Record<string, string>>): boolean {
  for (const _ in properties) return false;
  return true;
}

/**
 * Messages for a reader: fresh objects sharing the frozen keys and properties, with the bodies (the one
 * part a reader could write into) copied into one new buffer per call.
 */
function copyOut(entries: readonly QueueEntry[]): StoredMessage[] {
  let total = 0;
  for (const entry of entries) total += entry.message.body.byteLength;
  const shared = new Uint8Array(total);
  let position = 0;
  return entries.map((entry) => {
    const body = entry.message.body;
    shared.set(body, position);
    const copy = shared.subarray(position, position + body.byteLength);
    position += body.byteLength;
    return { ...entry.message, body: copy };
  });
}
