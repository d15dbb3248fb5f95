import type { Broker } from '@eddy/broker';
import type { Logger, ScheduledTask } from '@eddy/message';
import { KafkaErrorCode, KafkaProtocolError } from '@eddy/protocol-kafka';
import type { TransactionCoordinator } from './gateway-state.js';
import { partitionCountOf } from './handlers/topic-configs.js';
import { KafkaProducerStateManager, MAX_PRODUCER_EPOCH, type ProducerStateOptions } from './producer-state.js';
import { controlMessage, KafkaProperty } from './record-mapping.js';
import { decodeJson, encodeJson } from './txn-json.js';
import {
  ABORTED_PREFIX,
  type AbortedRange,
  AbortedRangeSchema,
  abortedKey,
  isOpen,
  type PendingOffset,
  TRANSACTION_PREFIX,
  type TransactionRecord,
  TransactionRecordSchema,
} from './txn-state.js';

/** An offset commit as the group side stores it. */
export interface TransactionalOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
}

/** Options of {@link KafkaTransactionCoordinator}. */
export interface TransactionCoordinatorOptions {
  readonly broker: Broker;
  readonly producers: KafkaProducerStateManager;
  /** Largest transaction timeout a producer may ask for (Kafka `transaction.max.timeout.ms`). */
  readonly transactionMaxTimeoutMs: number;
  /** Called after every marker append, to wake fetches held on the partition. */
  readonly onAppended?: (topic: string, partition: number) => void;
  /**
   * Stores a committed transaction's offsets for a group. Default: `broker.offsets.commitMany` (forced,
   * as Kafka commits may move backwards); the gateway passes the group coordinator's offset writer so
   * metadata strings are kept too.
   */
  readonly commitOffsets?: (group: string, offsets: readonly TransactionalOffset[]) => Promise<void>;
  readonly logger?: Logger;
}

/** A topic's partitions in a request. */
export interface TopicPartitions {
  readonly name: string;
  readonly partitions: readonly number[];
}

/** Per-partition outcomes, in request order. */
export interface TopicPartitionErrors {
  readonly name: string;
  readonly results: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
}

/** What {@link KafkaTransactionCoordinator.initProducerId} answers. */
export interface InitProducerIdResult {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** What InitProducerId asks. */
export interface InitProducerIdInput {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** v3+: the id and epoch the producer holds (-1 when it holds none). */
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** PRODUCER_FENCED exists from InitProducerId v4; older versions get INVALID_PRODUCER_EPOCH. */
  readonly producerFencedSupported: boolean;
}

interface AbortedEntry {
  readonly producerId: bigint;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

const NO_PRODUCER: InitProducerIdResult = {
  errorCode: KafkaErrorCode.NONE,
  producerId: -1n,
  producerEpoch: -1,
};

/**
 * Kafka's transaction coordinator (KIP-98) over the broker: transactional ids, epochs and fencing, the
 * partitions and groups of each open transaction, commit and abort markers, the last stable offset
 * and the aborted-transaction index that `read_committed` fetches need.
 *
 * **Durability.** Each transactional id's state is one metadata entry (`kafka/txn/<id>`), written before
 * the request that changed it is answered. EndTxn writes `Prepare*` first, then appends a control
 * message (`__KAFKA_CONTROL`) to every partition of the transaction, records aborted ranges
 * (`kafka/aborted/…`) and commits pending offsets, then writes `Complete*`. {@link start} finishes any
 * transaction found in `Prepare*` (a marker is appended only when the partition holds none of that
 * producer and epoch above the offset noted at prepare, so markers are written exactly once), keeps open
 * transactions open with the first offsets they wrote (or, when those were not yet stored, the end
 * offset at the time the partition joined: a conservative last stable offset), and arms one timer on the
 * broker clock that aborts transactions older than their timeout.
 *
 * **Fencing.** InitProducerId of a transactional id bumps its epoch and aborts an open transaction with
 * the new epoch (the markers carry it, so the partitions fence the old epoch too); requests with an older
 * epoch get INVALID_PRODUCER_EPOCH (or PRODUCER_FENCED where the version has it). A timed-out
 * transaction is aborted the same way.
 *
 * Requests for one transactional id run one at a time; a request arriving while markers are being
 * written waits for them (clients never see a half-written transaction).
 */
export class KafkaTransactionCoordinator implements TransactionCoordinator {
  readonly #broker: Broker;
  readonly #producers: KafkaProducerStateManager;
  readonly #maxTimeoutMs: number;
  readonly #onAppended: (topic: string, partition: number) => void;
  readonly #commitOffsets: (group: string, offsets: readonly TransactionalOffset[]) => Promise<void>;
  readonly #logger: Logger | undefined;
  readonly #records = new Map<string, TransactionRecord>();
  readonly #byProducerId = new Map<bigint, TransactionRecord>();
  // partition key → producer id → first offset of its open transaction there.
  readonly #open = new Map<string, Map<bigint, number>>();
  // partition key → aborted ranges in marker order.
  readonly #aborted = new Map<string, AbortedEntry[]>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #timer: ScheduledTask | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: TransactionCoordinatorOptions) {
    this.#broker = options.broker;
    this.#producers = options.producers;
    this.#maxTimeoutMs = options.transactionMaxTimeoutMs;
    this.#onAppended = options.onAppended ?? (() => {});
    this.#logger = options.logger;
    this.#commitOffsets =
      options.commitOffsets ??
      (async (group, offsets) => {
        await this.#broker.offsets.commitMany(
          group,
          offsets.map(({ topic, partition, offset }) => ({ topic, queueId: partition, offset })),
          { force: true },
        );
      });
  }

  /** Loads durable state, finishes prepared transactions and arms the timeout timer. Call once, before serving. */
  async start(): Promise<void> {
    const { metadata } = this.#broker.store;
    for (const { key, value } of await metadata.scan(ABORTED_PREFIX)) {
      const parsed = AbortedRangeSchema.safeParse(safeJson(value));
      const rest = key.slice(ABORTED_PREFIX.length);
      const cut = rest.lastIndexOf('/');
      const partitionCut = rest.lastIndexOf('/', cut - 1);
      if (!parsed.success || partitionCut < 0) {
        this.#logger?.warn('kafka: unreadable aborted-transaction entry skipped', { key });
        continue;
      }
      this.#addAborted(rest.slice(0, partitionCut), Number(rest.slice(partitionCut + 1, cut)), parsed.data);
    }
    for (const { key, value } of await metadata.scan(TRANSACTION_PREFIX)) {
      const parsed = TransactionRecordSchema.safeParse(safeJson(value));
      if (!parsed.success) {
        this.#logger?.warn('kafka: unreadable transaction state skipped', { key });
        continue;
      }
      const record = parsed.data;
      this.#records.set(record.transactionalId, record);
      this.#byProducerId.set(BigInt(record.producerId), record);
      if (isOpen(record.state)) {
        for (const partition of record.partitions) {
          this.#markOpen(record, partition.topic, partition.partition, partition.firstOffset ?? partition.addedAt);
        }
      }
    }
    for (const record of this.#records.values()) {
      if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
        await this.#serially(record.transactionalId, () => this.#complete(record, true));
      }
    }
    this.#armTimer();
  }

  /** Stops the timer and waits for transactions being completed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.whenIdle();
  }

  /** Resolves when no request or timeout abort is running (tests await it after moving a fake clock). */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** The stored state of a transactional id (a copy), for tests and diagnostics. */
  describe(transactionalId: string): TransactionRecord | undefined {
    const record = this.#records.get(transactionalId);
    return record === undefined ? undefined : structuredClone(record);
  }

  // ---- InitProducerId --------------------------------------------------------------------------

  /**
   * InitProducerId: a new idempotent producer id, or for a transactional id its producer id with the
   * epoch bumped (fencing older producers), after aborting a transaction left open.
   */
  async initProducerId(input: InitProducerIdInput): Promise<InitProducerIdResult> {
    if (input.transactionalId === null || input.transactionalId === '') {
      // Kafka hands an idempotent producer a fresh id even when it asks to bump (KIP-360).
      return { ...NO_PRODUCER, producerId: await this.#producers.allocateProducerId(), producerEpoch: 0 };
    }
    if (input.transactionTimeoutMs <= 0 || input.transactionTimeoutMs > this.#maxTimeoutMs) {
      return { ...NO_PRODUCER, errorCode: KafkaErrorCode.INVALID_TRANSACTION_TIMEOUT };
    }
    const transactionalId = input.transactionalId;
    return this.#serially(transactionalId, async () => {
      const existing = this.#records.get(transactionalId);
      if (existing === undefined) {
        const producerId = await this.#producers.allocateProducerId();
        const record: TransactionRecord = {
          transactionalId,
          producerId: producerId.toString(),
          producerEpoch: 0,
          state: 'Empty',
          timeoutMs: input.transactionTimeoutMs,
          startedAt: null,
          partitions: [],
          groups: [],
          pendingOffsets: [],
          updatedAt: this.#broker.clock.now(),
        };
        await this.#persist(record);
        this.#records.set(transactionalId, record);
        this.#byProducerId.set(producerId, record);
        return { errorCode: KafkaErrorCode.NONE, producerId, producerEpoch: 0 };
      }
      if (
        input.producerId >= 0n &&
        (input.producerId.toString() !== existing.producerId || input.producerEpoch !== existing.producerEpoch)
      ) {
        return {
          ...NO_PRODUCER,
          errorCode: input.producerFencedSupported
            ? KafkaErrorCode.PRODUCER_FENCED
            : KafkaErrorCode.INVALID_PRODUCER_EPOCH,
        };
      }
      if (existing.state === 'PrepareCommit' || existing.state === 'PrepareAbort') {
        await this.#complete(existing, true);
      }
      await this.#bumpEpoch(existing);
      if (existing.state === 'Ongoing') {
        // The markers carry the new epoch, which fences the old producer on every partition it wrote.
        await this.#prepare(existing, 'abort');
        await this.#complete(existing, false);
      }
      existing.state = 'Empty';
      existing.timeoutMs = input.transactionTimeoutMs;
      await this.#persist(existing);
      this.#armTimer();
      return {
        errorCode: KafkaErrorCode.NONE,
        producerId: BigInt(existing.producerId),
        producerEpoch: existing.producerEpoch,
      };
    });
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit -----------------------------------

  /** AddPartitionsToTxn: adds partitions to the producer's transaction, opening it if needed. */
  async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topics: readonly TopicPartitions[],
  ): Promise<TopicPartitionErrors[]> {
    const everywhere = (errorCode: number): TopicPartitionErrors[] =>
      topics.map(({ name, partitions }) => ({
        name,
        results: partitions.map((partitionIndex) => ({ partitionIndex, errorCode })),
      }));
    return this.#serially(transactionalId, async () => {
      const found = this.#current(transactionalId, producerId, producerEpoch);
      if (typeof found === 'number') return everywhere(found);
      const record = found;
      const unknown = new Set<string>();
      for (const { name, partitions } of topics) {
        const config = await this.#broker.topics.get(name);
        const count = config === undefined ? 0 : partitionCountOf(config);
        for (const partition of partitions)
          if (partition < 0 || partition >= count) unknown.add(keyOf(name, partition));
      }
      if (unknown.size > 0) {
        return topics.map(({ name, partitions }) => ({
          name,
          results: partitions.map((partitionIndex) => ({
            partitionIndex,
            errorCode: unknown.has(keyOf(name, partitionIndex))
              ? KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : KafkaErrorCode.OPERATION_NOT_ATTEMPTED,
          })),
        }));
      }
      this.#begin(record);
      for (const { name, partitions } of topics) {
        for (const partition of partitions) {
          if (record.partitions.some((p) => p.topic === name && p.partition === partition)) continue;
          const range = await this.#broker.store.queueRange(name, partition);
          const addedAt = range?.maxOffset ?? 0;
          record.partitions.push({ topic: name, partition, addedAt, firstOffset: null, markerFrom: null });
          // Open from here at once: the transaction's first append becomes readable before the produce
          // path can call recordTransactionalAppend, and a read_committed fetch in between must not see it.
          this.#markOpen(record, name, partition, addedAt, true);
        }
      }
      await this.#persist(record);
      this.#armTimer();
      return everywhere(KafkaErrorCode.NONE);
    });
  }

  /** AddOffsetsToTxn: the transaction will commit offsets of `group`; returns an error code. */
  async addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, group: string): Promise<number> {
    if (group === '' || group.includes('/')) return KafkaErrorCode.INVALID_GROUP_ID;
    return this.#serially(transactionalId, async () => {
      const found = this.#current(transactionalId, producerId, producerEpoch);
      if (typeof found === 'number') return found;
      this.#begin(found);
      if (!found.groups.includes(group)) found.groups.push(group);
      await this.#persist(found);
      this.#armTimer();
      return KafkaErrorCode.NONE;
    });
  }

  /**
   * TxnOffsetCommit: keeps the offsets with the transaction; they reach the group's committed offsets
   * only when it commits (and are dropped when it aborts).
   */
  async commitOffsets(
    transactionalId: string,
    group: string,
    producerId: bigint,
    producerEpoch: number,
    topics: readonly {
      readonly name: string;
      readonly partitions: readonly { partitionIndex: number; offset: number; metadata: string | null }[];
    }[],
  ): Promise<TopicPartitionErrors[]> {
    const everywhere = (errorCode: (partition: { offset: number }) => number): TopicPartitionErrors[] =>
      topics.map(({ name, partitions }) => ({
        name,
        results: partitions.map((partition) => ({
          partitionIndex: partition.partitionIndex,
          errorCode: errorCode(partition),
        })),
      }));
    if (group === '' || group.includes('/')) return everywhere(() => KafkaErrorCode.INVALID_GROUP_ID);
    return this.#serially(transactionalId, async () => {
      const found = this.#current(transactionalId, producerId, producerEpoch);
      if (typeof found === 'number') return everywhere(() => found);
      // The group must have been added with AddOffsetsToTxn, which opened the transaction.
      if (found.state !== 'Ongoing' || !found.groups.includes(group)) {
        return everywhere(() => KafkaErrorCode.INVALID_TXN_STATE);
      }
      const pending = new Map<string, PendingOffset>(
        found.pendingOffsets.map((entry) => [`${entry.group}/${entry.topic}/${entry.partition}`, entry]),
      );
      for (const { name, partitions } of topics) {
        for (const { partitionIndex, offset, metadata } of partitions) {
          if (!Number.isSafeInteger(offset) || offset < 0 || partitionIndex < 0 || name === '' || name.includes('/')) {
            continue;
          }
          pending.set(`${group}/${name}/${partitionIndex}`, {
            group,
            topic: name,
            partition: partitionIndex,
            offset,
            metadata,
          });
        }
      }
      found.pendingOffsets = [...pending.values()];
      await this.#persist(found);
      return everywhere(({ offset }) =>
        Number.isSafeInteger(offset) && offset >= 0 ? KafkaErrorCode.NONE : KafkaErrorCode.INVALID_COMMIT_OFFSET_SIZE,
      );
    });
  }

  // ---- EndTxn -----------------------------------------------------------------------------------

  /** EndTxn: commits or aborts the producer's transaction; returns an error code. */
  async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
  ): Promise<number> {
    return this.#serially(transactionalId, async () => {
      const record = this.#records.get(transactionalId);
      if (record === undefined || record.producerId !== producerId.toString()) {
        return KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING;
      }
      if (producerEpoch !== record.producerEpoch) return KafkaErrorCode.INVALID_PRODUCER_EPOCH;
      switch (record.state) {
        case 'Ongoing':
          await this.#prepare(record, commit ? 'commit' : 'abort');
          await this.#complete(record, false);
          return KafkaErrorCode.NONE;
        case 'CompleteCommit':
          // A retried EndTxn whose answer was lost is answered again; the other outcome is a client bug.
          return commit ? KafkaErrorCode.NONE : KafkaErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return commit ? KafkaErrorCode.INVALID_TXN_STATE : KafkaErrorCode.NONE;
        case 'Empty':
          // Nothing was added: there is nothing to end (librdkafka and kafkajs skip EndTxn then anyway).
          return KafkaErrorCode.NONE;
        default:
          // Prepared but not completed (an earlier completion failed): finish it when asked for the same outcome.
          if ((record.state === 'PrepareCommit') !== commit) return KafkaErrorCode.INVALID_TXN_STATE;
          await this.#complete(record, true);
          return KafkaErrorCode.NONE;
      }
    });
  }

  // ---- The Produce and Fetch paths (TransactionCoordinator) -------------------------------------

  checkTransactionalProduce(topic: string, partition: number, producerId: bigint, producerEpoch: number): number {
    const record = this.#byProducerId.get(producerId);
    if (record === undefined) return KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== record.producerEpoch) return KafkaErrorCode.INVALID_PRODUCER_EPOCH;
    if (record.state !== 'Ongoing') return KafkaErrorCode.INVALID_TXN_STATE;
    if (!record.partitions.some((p) => p.topic === topic && p.partition === partition)) {
      return KafkaErrorCode.INVALID_TXN_STATE;
    }
    return KafkaErrorCode.NONE;
  }

  recordTransactionalAppend(topic: string, partition: number, producerId: bigint, firstOffset: number): void {
    const record = this.#byProducerId.get(producerId);
    if (record === undefined || !isOpen(record.state)) return;
    const entry = record.partitions.find((p) => p.topic === topic && p.partition === partition);
    if (entry === undefined) return;
    if (entry.firstOffset === null || firstOffset < entry.firstOffset) {
      // The first append moves the open mark from `addedAt` up to where the transaction really starts
      // (what lies between is other producers'); later ones can only lower it.
      const first = entry.firstOffset === null;
      entry.firstOffset = firstOffset;
      // The first offset is kept in memory at once and stored with the next state write; until then a
      // restart falls back to `addedAt`, which is lower, so never wrong.
      this.#markOpen(record, topic, partition, firstOffset, !first);
    }
  }

  lastStableOffset(topic: string, partition: number, highWatermark: number): number {
    const open = this.#open.get(keyOf(topic, partition));
    if (open === undefined) return highWatermark;
    let lowest = highWatermark;
    for (const offset of open.values()) if (offset < lowest) lowest = offset;
    return lowest;
  }

  abortedTransactions(
    topic: string,
    partition: number,
    fromOffset: number,
    toOffset: number,
  ): { producerId: bigint; firstOffset: bigint }[] {
    const entries = this.#aborted.get(keyOf(topic, partition));
    if (entries === undefined) return [];
    const result: { producerId: bigint; firstOffset: bigint }[] = [];
    for (const entry of entries) {
      if (entry.lastOffset >= fromOffset && entry.firstOffset < toOffset) {
        result.push({ producerId: entry.producerId, firstOffset: BigInt(entry.firstOffset) });
      }
    }
    return result;
  }

  // ---- Internals --------------------------------------------------------------------------------

  /** The record when `producerId`/`producerEpoch` are current and no end is in progress, else an error code. */
  #current(transactionalId: string, producerId: bigint, producerEpoch: number): TransactionRecord | number {
    const record = this.#records.get(transactionalId);
    if (record === undefined || record.producerId !== producerId.toString()) {
      return KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING;
    }
    if (producerEpoch !== record.producerEpoch) return KafkaErrorCode.INVALID_PRODUCER_EPOCH;
    if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
      return KafkaErrorCode.CONCURRENT_TRANSACTIONS;
    }
    return record;
  }

  /** Opens a transaction on a record that has none open. */
  #begin(record: TransactionRecord): void {
    if (record.state === 'Ongoing') return;
    record.state = 'Ongoing';
    record.startedAt = this.#broker.clock.now();
    record.partitions = [];
    record.groups = [];
    record.pendingOffsets = [];
  }

  async #bumpEpoch(record: TransactionRecord): Promise<void> {
    if (record.producerEpoch + 1 < MAX_PRODUCER_EPOCH) {
      record.producerEpoch++;
      return;
    }
    // The epoch is exhausted: continue with a new producer id (Kafka does the same).
    this.#byProducerId.delete(BigInt(record.producerId));
    const producerId = await this.#producers.allocateProducerId();
    record.producerId = producerId.toString();
    record.producerEpoch = 0;
    this.#byProducerId.set(producerId, record);
  }

  /** Writes `Prepare*` with, per partition, the offset its marker will lie at or above. */
  async #prepare(record: TransactionRecord, kind: 'commit' | 'abort'): Promise<void> {
    for (const partition of record.partitions) {
      const range = await this.#broker.store.queueRange(partition.topic, partition.partition);
      partition.markerFrom = range?.maxOffset ?? 0;
    }
    record.state = kind === 'commit' ? 'PrepareCommit' : 'PrepareAbort';
    await this.#persist(record);
  }

  /** Writes the markers, aborted ranges and offsets of a prepared transaction, then `Complete*`. */
  async #complete(record: TransactionRecord, recovering: boolean): Promise<void> {
    const kind = record.state === 'PrepareCommit' ? 'commit' : 'abort';
    const producerId = BigInt(record.producerId);
    const abortedWrites: { key: string; value: AbortedRange; topic: string; partition: number }[] = [];
    for (const partition of record.partitions) {
      const { topic } = partition;
      // A topic deleted since it joined gets no marker: appending would bring its queue back.
      if ((await this.#broker.topics.get(topic)) === undefined) continue;
      let markerOffset = recovering ? await this.#findMarker(record, partition.topic, partition.partition) : undefined;
      if (markerOffset === undefined) {
        const message = controlMessage(topic, producerId, record.producerEpoch, kind, this.#broker.clock.now());
        markerOffset = (await this.#broker.store.append(topic, partition.partition, [message])).baseOffset;
        this.#onAppended(topic, partition.partition);
      }
      this.#producers.recordMarker(topic, partition.partition, producerId, record.producerEpoch);
      // Without a first offset (none written here, or the broker restarted before the state write that
      // would have kept it) the range starts where the partition joined: lower, so never wrong, since a
      // read_committed reader drops only this producer's batches within it.
      const firstOffset = partition.firstOffset ?? partition.addedAt;
      if (kind === 'abort' && firstOffset < markerOffset) {
        const value = { producerId: record.producerId, firstOffset, lastOffset: markerOffset };
        abortedWrites.push({
          key: abortedKey(topic, partition.partition, markerOffset),
          value,
          topic,
          partition: partition.partition,
        });
      }
    }
    if (abortedWrites.length > 0) {
      await this.#broker.store.metadata.batch(
        abortedWrites.map(({ key, value }) => ({ type: 'put', key, value: encodeJson(value) })),
      );
      for (const { topic, partition, value } of abortedWrites) this.#addAborted(topic, partition, value);
    }
    if (kind === 'commit') {
      const byGroup = new Map<string, TransactionalOffset[]>();
      for (const { group, topic, partition, offset, metadata } of record.pendingOffsets) {
        let offsets = byGroup.get(group);
        if (offsets === undefined) {
          offsets = [];
          byGroup.set(group, offsets);
        }
        offsets.push({ topic, partition, offset, metadata: metadata ?? '' });
      }
      for (const [group, offsets] of byGroup) await this.#commitOffsets(group, offsets);
    }
    for (const partition of record.partitions)
      this.#open.get(keyOf(partition.topic, partition.partition))?.delete(producerId);
    record.state = kind === 'commit' ? 'CompleteCommit' : 'CompleteAbort';
    record.startedAt = null;
    record.partitions = [];
    record.groups = [];
    record.pendingOffsets = [];
    await this.#persist(record);
    this.#armTimer();
  }

  /** The offset of this transaction's marker if one was already appended (a crash between append and Complete). */
  async #findMarker(record: TransactionRecord, topic: string, partition: number): Promise<number | undefined> {
    const entry = record.partitions.find((p) => p.topic === topic && p.partition === partition);
    if (entry?.markerFrom === null || entry?.markerFrom === undefined) return undefined;
    const kind = record.state === 'PrepareCommit' ? 'commit' : 'abort';
    const epoch = String(record.producerEpoch);
    let offset = entry.markerFrom;
    for (;;) {
      const read = await this.#broker.store.read(topic, partition, offset, { maxMessages: 1024 });
      if (read.status !== 'ok' || read.messages.length === 0) return undefined;
      for (const message of read.messages) {
        const { properties } = message;
        if (
          properties[KafkaProperty.CONTROL] === kind &&
          properties[KafkaProperty.PRODUCER_ID] === record.producerId &&
          properties[KafkaProperty.PRODUCER_EPOCH] === epoch
        ) {
          return message.queueOffset;
        }
      }
      offset = read.nextOffset;
    }
  }

  #markOpen(record: TransactionRecord, topic: string, partition: number, offset: number, lowerOnly = false): void {
    const key = keyOf(topic, partition);
    let open = this.#open.get(key);
    if (open === undefined) {
      open = new Map();
      this.#open.set(key, open);
    }
    const producerId = BigInt(record.producerId);
    const current = open.get(producerId);
    if (!lowerOnly || current === undefined || offset < current) open.set(producerId, offset);
  }

  #addAborted(topic: string, partition: number, range: AbortedRange): void {
    const key = keyOf(topic, partition);
    let entries = this.#aborted.get(key);
    if (entries === undefined) {
      entries = [];
      this.#aborted.set(key, entries);
    }
    if (entries.some((entry) => entry.lastOffset === range.lastOffset)) return;
    entries.push({
      producerId: BigInt(range.producerId),
      firstOffset: range.firstOffset,
      lastOffset: range.lastOffset,
    });
    entries.sort((a, b) => a.lastOffset - b.lastOffset);
  }

  async #persist(record: TransactionRecord): Promise<void> {
    record.updatedAt = this.#broker.clock.now();
    await this.#broker.store.metadata.put(`${TRANSACTION_PREFIX}${record.transactionalId}`, encodeJson(record));
  }

  /** Runs `task` after every earlier task of the same transactional id. */
  #serially<T>(transactionalId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(transactionalId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(transactionalId, settled);
    this.#inFlight.add(settled);
    void settled.then(() => {
      this.#inFlight.delete(settled);
      if (this.#locks.get(transactionalId) === settled) this.#locks.delete(transactionalId);
    });
    return run;
  }

  /** One timer, at the earliest deadline of an open transaction. */
  #armTimer(): void {
    if (this.#closed) return;
    let due = Number.POSITIVE_INFINITY;
    for (const record of this.#records.values()) {
      if (record.state === 'Ongoing' && record.startedAt !== null)
        due = Math.min(due, record.startedAt + record.timeoutMs);
    }
    if (due === this.#timerDue && this.#timer !== undefined) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = due;
    if (due === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#broker.clock.schedule(due - this.#broker.clock.now(), () => {
      this.#timer = undefined;
      this.#timerDue = Number.POSITIVE_INFINITY;
      this.#abortExpired();
    });
  }

  #abortExpired(): void {
    const now = this.#broker.clock.now();
    for (const record of this.#records.values()) {
      if (record.state !== 'Ongoing' || record.startedAt === null || record.startedAt + record.timeoutMs > now)
        continue;
      void this.#serially(record.transactionalId, async () => {
        // Re-checked under the lock: the producer may have ended it meanwhile.
        if (
          record.state !== 'Ongoing' ||
          record.startedAt === null ||
          record.startedAt + record.timeoutMs > this.#broker.clock.now()
        ) {
          return;
        }
        this.#logger?.info('kafka: transaction timed out; aborting', { transactionalId: record.transactionalId });
        await this.#bumpEpoch(record);
        await this.#prepare(record, 'abort');
        await this.#complete(record, false);
      }).catch((error: unknown) => {
        this.#logger?.error('kafka: aborting a timed-out transaction failed', {
          transactionalId: record.transactionalId,
          error,
        });
      });
    }
    this.#armTimer();
  }
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return decodeJson(bytes);
  } catch {
    return undefined;
  }
}

// Topic names cannot hold NUL, so the key is unambiguous.
function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * The coordinator the transaction handlers use: the state's when it is a {@link KafkaTransactionCoordinator},
 * else COORDINATOR_NOT_AVAILABLE (a gateway state built by hand without one).
 */
export function requireTransactionCoordinator(state: {
  readonly transactions: TransactionCoordinator;
}): KafkaTransactionCoordinator {
  if (state.transactions instanceof KafkaTransactionCoordinator) return state.transactions;
  throw new KafkaProtocolError(KafkaErrorCode.COORDINATOR_NOT_AVAILABLE, 'this gateway has no transaction coordinator');
}

/** Options of {@link openTransactionState}. */
export interface TransactionStateOptions extends Omit<TransactionCoordinatorOptions, 'producers'> {
  readonly producerState?: ProducerStateOptions;
}

/**
 * Builds and starts the idempotent-producer state and the transaction coordinator over a broker: rebuilds
 * producer state from the partition tails, then recovers transactions. Await it before serving.
 */
export async function openTransactionState(
  options: TransactionStateOptions,
): Promise<{ producers: KafkaProducerStateManager; transactions: KafkaTransactionCoordinator }> {
  const producers = new KafkaProducerStateManager(options.broker, options.producerState);
  await producers.start();
  const transactions = new KafkaTransactionCoordinator({ ...options, producers });
  await transactions.start();
  return { producers, transactions };
}
