import type { RecordBatchHeader } from '@eddy/protocol-kafka';
import type { AppendSignals } from './append-signals.js';
import type { ProducedBatchCache } from './batch-cache.js';

/** The Kafka gateway's settings; `startKafkaGateway` fills in the defaults. */
export interface KafkaGatewayConfig {
  /** This broker's node id in Metadata and FindCoordinator. Default 0. */
  nodeId: number;
  /** Interface the listener binds. Default 127.0.0.1. */
  host: string;
  /** Listening port; 0 picks a free one. */
  port: number;
  /** Host given to clients in Metadata and FindCoordinator. Default `host` (127.0.0.1 for a wildcard). */
  advertisedHost: string;
  /** Metadata v2+ `cluster_id`. */
  clusterId: string;
  /** Create unknown topics on Metadata requests that allow it (Kafka `auto.create.topics.enable`). */
  autoCreateTopics: boolean;
  /** Partitions of an auto-created topic (Kafka `num.partitions`, 1). */
  defaultPartitions: number;
  /** Largest record batch accepted on Produce, bytes (Kafka `message.max.bytes`, 1 MiB). */
  maxMessageBytes: number;
  /** How long a new group waits for more members before the first rebalance completes (3000; tests use 0). */
  groupInitialRebalanceDelayMs: number;
  /** Smallest session timeout a member may ask for (6000). */
  groupMinSessionTimeoutMs: number;
  /** Largest session timeout a member may ask for (1800000). */
  groupMaxSessionTimeoutMs: number;
  /** Largest transaction timeout a producer may ask for (900000). */
  transactionMaxTimeoutMs: number;
  /**
   * Bound of the produced-batch cache, bytes (64 MiB): Fetch serves batches kept as they were produced
   * while they are in it, else re-encodes stored messages. 0 turns the cache off.
   */
  producedBatchCacheBytes: number;
}

/** What every handler shares: the config and the coordinators. */
export interface KafkaGatewayState {
  readonly config: KafkaGatewayConfig;
  readonly groups: GroupCoordinator;
  readonly producers: ProducerStateManager;
  readonly transactions: TransactionCoordinator;
  /**
   * Wakes held fetches after the gateway appends to a partition; call `notify` after every append the
   * gateway makes (Produce, transaction markers). Set by `startKafkaGateway`; a state built by hand for
   * a test may leave it out, and fetches then wait their whole `max_wait_ms`.
   */
  readonly appends?: AppendSignals;
  /**
   * Produced batches kept as they came (see {@link ProducedBatchCache}); Produce adds, Fetch serves,
   * topic and partition changes drop. Absent (a state built by hand) means Fetch always re-encodes.
   */
  readonly batches?: ProducedBatchCache;
}

/** The header fields of a produced batch that idempotence needs (a decoded batch or a scan has them). */
export type ProducedBatchHeader = Pick<
  RecordBatchHeader,
  'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta'
>;

/** Idempotent-producer bookkeeping per (producer, partition). */
export interface ProducerStateManager {
  /** Before appending a batch whose producerId ≥ 0: a duplicate of one of the last 5 batches → its original base offset; a sequence gap → OUT_OF_ORDER_SEQUENCE_NUMBER; an old epoch → INVALID_PRODUCER_EPOCH. */
  checkBatch(
    topic: string,
    partition: number,
    batch: ProducedBatchHeader,
  ): { status: 'append' } | { status: 'duplicate'; baseOffset: number } | { status: 'error'; errorCode: number };
  recordAppended(topic: string, partition: number, batch: ProducedBatchHeader, baseOffset: number): void;
}

/** Transaction state the Produce and Fetch paths consult. */
export interface TransactionCoordinator {
  /** 0 when a transactional batch may be appended (the partition was added to the producer's open transaction, epoch current), else an error code. */
  checkTransactionalProduce(topic: string, partition: number, producerId: bigint, producerEpoch: number): number;
  recordTransactionalAppend(topic: string, partition: number, producerId: bigint, firstOffset: number): void;
  /** The last stable offset: the first offset of the earliest open transaction on the partition, else the high watermark. */
  lastStableOffset(topic: string, partition: number, highWatermark: number): number;
  /** Aborted transactions whose data overlaps [fromOffset, toOffset). */
  abortedTransactions(
    topic: string,
    partition: number,
    fromOffset: number,
    toOffset: number,
  ): { producerId: bigint; firstOffset: bigint }[];
}

/** The consumer-group coordinator; its implementation adds what the group handlers need. */
export interface GroupCoordinator {
  close(): Promise<void>;
}
