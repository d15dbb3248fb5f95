import type { Broker } from '@eddy/broker';
import type { StoredMessage } from '@eddy/message';
import { KafkaErrorCode } from '@eddy/protocol-kafka';
import { z } from 'zod';
import type { ProducedBatchHeader, ProducerStateManager } from './gateway-state.js';
import { KafkaProperty } from './record-mapping.js';
import { decodeJson, encodeJson } from './txn-json.js';

/** Metadata key of the next producer id to hand out. */
export const PRODUCER_ID_KEY = 'kafka/producer-id-next';

/** How many batches per (producer, partition) are remembered for duplicate detection (Kafka's 5 in flight). */
export const REMEMBERED_BATCHES = 5;

/** The largest sequence number; the next one is 0 (KIP-98). */
export const MAX_SEQUENCE = 2 ** 31 - 1;

/** The largest epoch a producer id may reach before the coordinator hands out a new id. */
export const MAX_PRODUCER_EPOCH = 32767;

/** Options of {@link KafkaProducerStateManager}. */
export interface ProducerStateOptions {
  /**
   * How many messages at the end of every partition {@link KafkaProducerStateManager.start} reads to
   * rebuild producer state. Default 4096: enough for 5 batches of every recently active producer.
   */
  readonly recoveryScanMessages?: number;
}

/** One remembered batch, or after a restart one run of consecutive records of a producer. */
interface SequencedRange {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}

/** What is known of one producer on one partition. */
interface PartitionProducer {
  epoch: number;
  /** Oldest first, at most {@link REMEMBERED_BATCHES}. */
  ranges: SequencedRange[];
}

const StoredCounterSchema = z.object({ next: z.string().regex(/^\d+$/) });

/** The sequence after `sequence`, wrapping at {@link MAX_SEQUENCE}. */
export function nextSequence(sequence: number): number {
  return sequence === MAX_SEQUENCE ? 0 : sequence + 1;
}

/** The sequence of the last record of a batch (sequences wrap, offsets do not). */
export function lastSequenceOf(batch: Pick<ProducedBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  return (batch.baseSequence + batch.lastOffsetDelta) % (MAX_SEQUENCE + 1);
}

/**
 * Idempotent-producer state (KIP-98): producer ids, and per (producer, partition) the epoch and the
 * last {@link REMEMBERED_BATCHES} batches, so a retried batch is answered with its first base offset
 * instead of being stored twice, a gap is refused and a fenced epoch is refused.
 *
 * **Durability.** Producer ids come from a counter in the store's metadata (`kafka/producer-id-next`),
 * written before an id is handed out, so ids are never reused. Per-partition state is not written
 * anywhere of its own: the log is the truth. Every stored record carries its producer id, epoch and
 * sequence (`__KAFKA_PID/EPOCH/SEQ`), so {@link start} rebuilds the state from the last
 * `recoveryScanMessages` messages of every partition. A producer that retries after a restart is then
 * still recognised (its batches are in that tail); a producer not seen in the tail is treated as new,
 * with any sequence accepted, as newer Kafka versions do for an unknown producer.
 *
 * After a restart, consecutive records of one producer form one remembered run (batch boundaries are
 * not stored), so a duplicate is recognised when its sequences lie inside a run; its base offset is
 * then the run's base offset plus the sequence distance.
 *
 * Checks and records are synchronous and in memory; the Produce path calls {@link checkBatch} before it
 * appends and {@link recordAppended} after.
 */
export class KafkaProducerStateManager implements ProducerStateManager {
  readonly #broker: Broker;
  readonly #scanMessages: number;
  // partition key → producer id → state.
  readonly #partitions = new Map<string, Map<bigint, PartitionProducer>>();
  #allocation: Promise<unknown> = Promise.resolve();

  constructor(broker: Broker, options: ProducerStateOptions = {}) {
    this.#broker = broker;
    this.#scanMessages = options.recoveryScanMessages ?? 4096;
  }

  /** Rebuilds per-partition producer state from the tail of every partition. Call once, before serving. */
  async start(): Promise<void> {
    const { store } = this.#broker;
    for (const topic of await store.listTopics()) {
      for (const queue of await store.listQueues(topic)) {
        let offset = Math.max(queue.minOffset, queue.maxOffset - this.#scanMessages);
        while (offset < queue.maxOffset) {
          const read = await store.read(topic, queue.queueId, offset, { maxMessages: 1024 });
          if (read.status !== 'ok' || read.messages.length === 0) break;
          for (const message of read.messages) this.#replay(topic, queue.queueId, message);
          offset = read.nextOffset;
        }
      }
    }
  }

  /** A new producer id, durable before it is returned. */
  allocateProducerId(): Promise<bigint> {
    const allocated = this.#allocation.then(async () => {
      const { metadata } = this.#broker.store;
      const stored = await metadata.get(PRODUCER_ID_KEY);
      const id = stored === undefined ? 0n : BigInt(StoredCounterSchema.parse(decodeJson(stored)).next);
      await metadata.put(PRODUCER_ID_KEY, encodeJson({ next: (id + 1n).toString() }));
      return id;
    });
    this.#allocation = allocated.catch(() => undefined);
    return allocated;
  }

  checkBatch(
    topic: string,
    partition: number,
    batch: ProducedBatchHeader,
  ): { status: 'append' } | { status: 'duplicate'; baseOffset: number } | { status: 'error'; errorCode: number } {
    if (batch.producerId < 0n || batch.baseSequence < 0) return { status: 'append' };
    const state = this.#partitions.get(keyOf(topic, partition))?.get(batch.producerId);
    if (state === undefined) return { status: 'append' };
    if (batch.producerEpoch < state.epoch) return { status: 'error', errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH };
    if (batch.producerEpoch > state.epoch) {
      return batch.baseSequence === 0
        ? { status: 'append' }
        : { status: 'error', errorCode: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    const firstSeq = batch.baseSequence;
    const lastSeq = lastSequenceOf(batch);
    for (const range of state.ranges) {
      const duplicate = offsetWithin(range, firstSeq, lastSeq);
      if (duplicate !== undefined) return { status: 'duplicate', baseOffset: duplicate };
    }
    const last = state.ranges.at(-1);
    // Only a marker of this epoch was seen (no data yet): any sequence starts the record.
    if (last === undefined) return { status: 'append' };
    if (firstSeq !== nextSequence(last.lastSeq)) {
      return { status: 'error', errorCode: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    }
    return { status: 'append' };
  }

  recordAppended(topic: string, partition: number, batch: ProducedBatchHeader, baseOffset: number): void {
    if (batch.producerId < 0n || batch.baseSequence < 0) return;
    const state = this.#stateOf(topic, partition, batch.producerId, batch.producerEpoch);
    state.ranges.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch), baseOffset });
    if (state.ranges.length > REMEMBERED_BATCHES) state.ranges.shift();
  }

  /**
   * A transaction marker of `producerId` at `producerEpoch` was written to the partition: a later
   * epoch fences the older one there too (Kafka does the same when it writes markers).
   */
  recordMarker(topic: string, partition: number, producerId: bigint, producerEpoch: number): void {
    this.#stateOf(topic, partition, producerId, producerEpoch);
  }

  /** The epoch last seen for the producer on the partition, if any (for tests and diagnostics). */
  epochOf(topic: string, partition: number, producerId: bigint): number | undefined {
    return this.#partitions.get(keyOf(topic, partition))?.get(producerId)?.epoch;
  }

  #stateOf(topic: string, partition: number, producerId: bigint, epoch: number): PartitionProducer {
    const key = keyOf(topic, partition);
    let producers = this.#partitions.get(key);
    if (producers === undefined) {
      producers = new Map();
      this.#partitions.set(key, producers);
    }
    let state = producers.get(producerId);
    if (state === undefined) {
      state = { epoch, ranges: [] };
      producers.set(producerId, state);
    } else if (epoch > state.epoch) {
      // A new epoch starts its sequences again at 0: the old epoch's batches can no longer be retried.
      state.epoch = epoch;
      state.ranges = [];
    }
    return state;
  }

  #replay(topic: string, partition: number, message: StoredMessage): void {
    const { properties } = message;
    const pid = properties[KafkaProperty.PRODUCER_ID];
    const epochText = properties[KafkaProperty.PRODUCER_EPOCH];
    if (pid === undefined || epochText === undefined) return;
    const producerId = BigInt(pid);
    const epoch = Number(epochText);
    if (properties[KafkaProperty.CONTROL] !== undefined) {
      this.recordMarker(topic, partition, producerId, epoch);
      return;
    }
    const sequenceText = properties[KafkaProperty.SEQUENCE];
    if (sequenceText === undefined) return;
    const sequence = Number(sequenceText);
    const state = this.#stateOf(topic, partition, producerId, epoch);
    if (epoch < state.epoch) return;
    const last = state.ranges.at(-1);
    // Extend the run when this record directly follows the run's last record, in sequence and offset.
    if (
      last !== undefined &&
      sequence === last.lastSeq + 1 &&
      message.queueOffset === last.baseOffset + (last.lastSeq - last.firstSeq) + 1
    ) {
      state.ranges[state.ranges.length - 1] = { ...last, lastSeq: sequence };
      return;
    }
    state.ranges.push({ firstSeq: sequence, lastSeq: sequence, baseOffset: message.queueOffset });
    if (state.ranges.length > REMEMBERED_BATCHES) state.ranges.shift();
  }
}

/** The base offset a batch `firstSeq…lastSeq` got when it lies inside `range`, else undefined. */
function offsetWithin(range: SequencedRange, firstSeq: number, lastSeq: number): number | undefined {
  // Ranges never wrap inside themselves except a batch crossing MAX_SEQUENCE, which is only matched exactly.
  if (range.firstSeq === firstSeq && range.lastSeq === lastSeq) return range.baseOffset;
  if (
    range.firstSeq <= range.lastSeq &&
    firstSeq <= lastSeq &&
    firstSeq >= range.firstSeq &&
    lastSeq <= range.lastSeq
  ) {
    return range.baseOffset + (firstSeq - range.firstSeq);
  }
  return undefined;
}

// Topic names cannot hold NUL, so the key is unambiguous.
function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
