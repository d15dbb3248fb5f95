import type {
  AckResult,
  ChangeInvisibleDurationResult,
  ConsumerGroupRegistry,
  ConsumerOffsetStore,
  FilterExpression,
  LongPollWait,
  OffsetAdmin,
  PopResult,
  PullRequest,
  PullResult,
  PushConsumer,
  PushConsumerOptions,
  WatchedQueue,
} from '@eddy/consume';
import type { Clock, Logger, Message, MessageInit, StoredMessage, TopicConfig, TopicMessageType } from '@eddy/message';
import type { AppendResult, EncodedBatch, MessageStore } from '@eddy/store';
import type { BrokerConfig } from './config.js';

/** What {@link createBroker} needs: the configuration plus what code injects. */
export interface BrokerOptions extends Partial<BrokerConfig> {
  /** An opened storage engine. The broker never closes it: whoever opened it does, after `broker.close()`. */
  readonly store: MessageStore;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
}

/** What a topic is created with; every field but the name has a default from the broker config. */
export interface TopicInit {
  readonly name: string;
  /** Sets both read and write queue counts unless they are given. Default `defaultQueueCount`. */
  readonly queueCount?: number;
  readonly readQueueNums?: number;
  readonly writeQueueNums?: number;
  /** Permission bits (`Permission`). Default read + write. */
  readonly perm?: number;
  /** Default `MIXED` (accepts every message type). */
  readonly messageType?: TopicMessageType;
  readonly retentionMs?: number | undefined;
}

/** A change to a topic; absent fields keep their value. Queue counts may grow or shrink (reads keep old queues readable). */
export type TopicPatch = Partial<Omit<TopicInit, 'name'>>;

/**
 * Clean-up after a topic deletion (see {@link Broker.onTopicDeleted}): removes state kept for the topic
 * outside the broker, e.g. a gateway's per-topic settings. Must be idempotent; awaited.
 */
export type TopicDeletedListener = (topic: string) => void | Promise<void>;

/** Topic administration. Topic configs are durable (store metadata) and survive restarts. */
export interface TopicManager {
  get(name: string): Promise<TopicConfig | undefined>;
  list(): Promise<TopicConfig[]>;
  /** @throws `TOPIC_EXISTS`, `INVALID_NAME`, `RESERVED_NAME`, `INVALID_ARGUMENT`. */
  create(init: TopicInit): Promise<TopicConfig>;
  /** @throws `UNKNOWN_TOPIC`, `INVALID_ARGUMENT`. */
  update(name: string, patch: TopicPatch): Promise<TopicConfig>;
  /**
   * Deletes the config, the stored messages, every group's committed offsets and pop state on the topic,
   * then runs the {@link Broker.onTopicDeleted} listeners, so that a re-created topic starts afresh for
   * every group. False when there was no such topic (the clean-up still runs, so deleting again finishes
   * one a crash cut short).
   * @throws `INTERNAL` (retriable) when a clean-up step failed after the topic itself was deleted.
   */
  delete(name: string): Promise<boolean>;
  /**
   * The topic's config, creating it with the defaults when it does not exist and auto-create is on
   * (config `autoCreateTopics`, or `options.autoCreate` when given). System topics (`%RETRY%…`,
   * `%DLQ%…`, `RMQ_SYS_…`) resolve without a config.
   * @throws `UNKNOWN_TOPIC` when it does not exist and may not be created; `INVALID_NAME` for a bad name.
   */
  resolve(name: string, options?: { readonly autoCreate?: boolean }): Promise<TopicConfig>;
}

/** Per-send choices that are not part of the message. */
export interface SendOptions {
  /** Write to this queue (must be a write queue of the topic). Ignored for FIFO messages (`messageGroup` picks the queue). */
  readonly queueId?: number;
  /** A RocketMQ 4.x delay level (1 … levels); the message goes through `SCHEDULE_TOPIC_XXXX`. */
  readonly delayLevel?: number;
}

/** What kind of send it was; decided by the message, see {@link Broker.send}. */
export type SendKind = 'normal' | 'fifo' | 'delay' | 'timer' | 'transaction';

/** What {@link Broker.send} did. */
export interface SendResult {
  readonly kind: SendKind;
  readonly messageId: string;
  /** The real topic. */
  readonly topic: string;
  /** The real queue the message is (or will be, once due or committed) in. */
  readonly queueId: number;
  /**
   * Offset in the real queue for normal and FIFO sends; for delayed, timer and transactional sends the
   * offset in the system topic that holds the message until it is due or committed.
   */
  readonly queueOffset: number;
  /** Set for transactional sends: pass it to {@link Broker.endTransaction}. */
  readonly transactionId?: string;
  /** Set for delayed and timer sends: when it becomes visible, ms since the epoch. */
  readonly deliverAt?: number;
}

/** The two ends of a transaction. */
export type TransactionResolution = 'commit' | 'rollback';

/** What {@link Broker.endTransaction} did. */
export interface EndTransactionResult {
  /** `not-found`: no pending half message with that id (unknown, or already resolved). */
  readonly status: 'ok' | 'not-found';
}

/** A check-back question the broker sends to a live producer of the half message's group. */
export interface TransactionCheck {
  readonly transactionId: string;
  readonly producerGroup: string;
  /** The message as it will be delivered (real topic), with its id, keys, tag, properties and body. */
  readonly message: StoredMessage;
  /** How many times this half message has been checked before, this one included. */
  readonly checkTimes: number;
}

/** A producer the broker knows about, so that it can check back transactions of its group. */
export interface ProducerRegistration {
  readonly clientId: string;
  readonly group: string;
  /** Topics the producer publishes to (informational; RocketMQ 5 uses the topic as the producer group). */
  readonly topics?: readonly string[];
  /**
   * Asked to resolve a transaction; answer later with {@link Broker.endTransaction} (`fromCheck: true`),
   * or not at all (the broker asks again next check interval).
   */
  readonly checkTransaction?: (check: TransactionCheck) => void;
}

/** A pop (RocketMQ 5 ReceiveMessage) as the broker takes it. */
export interface BrokerPopRequest {
  readonly group: string;
  readonly topic: string;
  readonly clientId: string;
  readonly maxMessages: number;
  readonly invisibleDurationMs: number;
  /** Default `*` (everything). */
  readonly filter?: FilterExpression;
  /** Long-poll wait, ms. Default 0. */
  readonly pollTimeoutMs?: number;
  /** Queue ids to pop from; default every read queue of the topic. */
  readonly queueIds?: readonly number[];
  /** FIFO (the group consumes orderly). */
  readonly fifo?: boolean;
}

/** What {@link Broker.forwardToDeadLetter} did. */
export interface ForwardToDeadLetterResult {
  readonly status: 'ok' | 'invalid-handle' | 'expired';
  /** Where the message went, when ok. */
  readonly deadLetterTopic?: string;
}

/** Extra facts a client gives when it dead-letters a popped message (RocketMQ 5's request carries them). */
export interface ForwardToDeadLetterOptions {
  /** Why the client gave up; kept as `DLQ_FAILURE_REASON`. */
  readonly reason?: string;
  /** The delivery that failed last (1 on the first); the dead letter's `RECONSUME_TIME` is this. */
  readonly deliveryAttempt?: number;
  /** The limit the message ran out of; kept as `MAX_RECONSUME_TIMES`. */
  readonly maxDeliveryAttempts?: number;
}

/** Where {@link Broker.resendDeadLetter} sends a dead letter. */
export interface ResendDeadLetterOptions {
  /**
   * `'retry'` (default): the group's retry topic `%RETRY%<group>`, so that only the group that failed
   * gets it again. `'origin'`: the topic it was first sent to (a write queue picked as for a send),
   * where every group subscribed to that topic gets it again.
   */
  readonly target?: 'retry' | 'origin';
}

/** Counters per topic, as the metrics endpoint shows them. */
export interface TopicTraffic {
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
}

/** A snapshot of the broker's counters. */
export interface BrokerMetricsSnapshot {
  readonly topics: Readonly<Record<string, TopicTraffic>>;
  /** Pending scheduled (delay level + timer) and half (transactional) messages. */
  readonly scheduledPending: number;
  readonly transactionsPending: number;
}

/** A consumer group's lag on one queue. */
export interface QueueLagReport {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly committedOffset: number | undefined;
  readonly maxOffset: number;
  readonly lag: number;
}

/** An in-process producer (embedded use and tests). */
export interface InProcessProducer {
  readonly clientId: string;
  readonly group: string;
  send(init: MessageInit, options?: SendOptions): Promise<SendResult>;
  /**
   * Sends a half message; the returned handle commits or rolls it back. `checker` answers check-backs
   * for this producer's group (the last registered checker of a producer is used).
   */
  sendInTransaction(init: MessageInit): Promise<InProcessTransaction>;
  close(): Promise<void>;
}

/** An open transaction of an {@link InProcessProducer}. */
export interface InProcessTransaction {
  readonly result: SendResult;
  commit(): Promise<EndTransactionResult>;
  rollback(): Promise<EndTransactionResult>;
}

/** Options of {@link Broker.createProducer}. */
export interface InProcessProducerOptions {
  readonly group: string;
  readonly topics?: readonly string[];
  /** Answers transaction check-backs; returning undefined means "unknown, ask again later". */
  readonly checker?: (
    check: TransactionCheck,
  ) => TransactionResolution | undefined | Promise<TransactionResolution | undefined>;
}

/** A received message of an {@link InProcessSimpleConsumer}. */
export interface ReceivedMessage extends StoredMessage {
  readonly receiptHandle: string;
  /** 1 on first delivery. */
  readonly deliveryAttempt: number;
}

/** An in-process RocketMQ 5 style simple consumer (pop / ack). */
export interface InProcessSimpleConsumer {
  readonly clientId: string;
  readonly group: string;
  receive(options?: {
    readonly topic?: string;
    readonly maxMessages?: number;
    readonly invisibleDurationMs?: number;
    readonly waitMs?: number;
  }): Promise<ReceivedMessage[]>;
  ack(message: ReceivedMessage): Promise<AckResult>;
  changeInvisibleDuration(
    message: ReceivedMessage,
    invisibleDurationMs: number,
  ): Promise<ChangeInvisibleDurationResult>;
  close(): Promise<void>;
}

/** Options of {@link Broker.createSimpleConsumer}. */
export interface InProcessSimpleConsumerOptions {
  readonly group: string;
  /** Topic → filter (a tag expression string means a TAG filter). */
  readonly subscriptions: Readonly<Record<string, string | FilterExpression>>;
  readonly fifo?: boolean;
}

/**
 * The protocol-agnostic broker kernel. Gateways (RocketMQ gRPC, Kafka) translate their protocol into
 * these calls; the in-process clients use them directly.
 */
export interface Broker {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly topics: TopicManager;
  readonly groups: ConsumerGroupRegistry;
  readonly offsets: ConsumerOffsetStore;
  readonly offsetAdmin: OffsetAdmin;

  /**
   * Registers a clean-up to run after each `topics.delete` (whichever protocol asked for it), once the
   * config, messages, offsets and pop state are gone and before any later create of the topic.
   * Listeners run in registration order; one that throws is logged and makes the delete reject.
   *
   * @returns a function that unregisters the listener.
   */
  onTopicDeleted(listener: TopicDeletedListener): () => void;

  /** Recovers durable state (pop, scheduled, transactions) and starts timers; resolves when ready. */
  start(): Promise<void>;
  /**
   * Stops the push consumers and simple consumers it created, timers and services, answers held
   * long polls empty, waits for work in flight, flushes the store. Does not close the store.
   */
  close(): Promise<void>;
  /**
   * Resolves when no scheduled delivery, timer delivery, transaction check or in-process check-back
   * answer is running (tests await it after moving a fake clock).
   */
  whenIdle(): Promise<void>;

  /**
   * Stores a message. What happens is decided by the message: `transaction: 'prepared'` → a half message
   * (invisible until {@link Broker.endTransaction}); `options.delayLevel` → delay level; a
   * `deliveryTimestamp` in the future → timer message (at most `timerMaxDelayMs` ahead, else
   * `ILLEGAL_DELIVERY_TIME`; in the past or now → delivered at once); a `messageGroup` → FIFO, the queue
   * is chosen by hashing the group; otherwise `options.queueId` or round robin over the write queues.
   * Validates limits (`MESSAGE_TOO_LARGE` …), resolves the topic (auto-create) and checks write
   * permission (`PERMISSION_DENIED`).
   */
  send(message: Message, options?: SendOptions): Promise<SendResult>;
  /**
   * Appends a batch to one queue as it is, all or nothing, and wakes the long polls of the queue: the
   * Kafka produce path, where the client picked the partition and one record batch is one append
   * (contiguous offsets). No queue selection, kinds, auto-create or message-size rename: the topic must
   * exist and accept writes and `queueId` must be one of its write queues; the store checks the messages.
   *
   * @throws `UNKNOWN_TOPIC`, `PERMISSION_DENIED`, `INVALID_ARGUMENT`, and what `store.append` throws.
   */
  appendBatch(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult>;
  /**
   * Waits up to `timeoutMs` for an append to any of `queues` by any path (RocketMQ sends, Kafka
   * produces, schedulers' deliveries, `appendBatch`): what a front's long poll holds on. Register before
   * reading and cancel when the read finds data, so that an append in between is not missed.
   */
  waitForAppend(queues: readonly WatchedQueue[], timeoutMs: number): LongPollWait;
  /**
   * Like {@link Broker.appendBatch} for a front's encoded batch, stored as one entry (see
   * `EncodedBatchStore` of `@eddy/store`); only when `supportsEncodedBatches(broker.store)`.
   *
   * @throws `UNSUPPORTED` when the store cannot keep encoded batches, and what `appendBatch` throws.
   */
  appendEncodedBatch(topic: string, queueId: number, batch: EncodedBatch): Promise<AppendResult>;
  /** Commits or rolls back a half message, exactly once. */
  endTransaction(request: {
    readonly transactionId: string;
    readonly resolution: TransactionResolution;
    /** True when the answer comes from a check-back. */
    readonly fromCheck?: boolean;
  }): Promise<EndTransactionResult>;
  /** Makes the producer known for check-backs; call the returned function to forget it. */
  registerProducer(registration: ProducerRegistration): () => void;

  /** Pops (RocketMQ 5 receive); registers nothing, the gateway heartbeats the group. */
  pop(request: BrokerPopRequest): Promise<PopResult>;
  ack(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<ChangeInvisibleDurationResult>;
  /**
   * Moves a popped message to `%DLQ%<group>` (with its history in properties) and acks it (the client
   * gave up). A stale, expired or repeated handle writes no dead letter.
   */
  forwardToDeadLetter(
    group: string,
    topic: string,
    receiptHandle: string,
    options?: ForwardToDeadLetterOptions,
  ): Promise<ForwardToDeadLetterResult>;
  /** Pull by offset (4.x pull / Kafka fetch), long-polling when asked. */
  pull(request: PullRequest): Promise<PullResult>;

  findMessageById(messageId: string): Promise<StoredMessage | undefined>;
  findMessagesByKey(topic: string, key: string, limit?: number): Promise<StoredMessage[]>;
  /**
   * Re-sends a message of `%DLQ%<group>` to the group's retry topic (or, with `target: 'origin'`, to the
   * topic it was first sent to), its reconsume count back to 0; the dead letter stays. False when the
   * DLQ holds no message with that id (or, for `'origin'`, the dead letter records no origin topic).
   */
  resendDeadLetter(group: string, messageId: string, options?: ResendDeadLetterOptions): Promise<boolean>;
  /** Lag of `group` on every queue of `topic` (or of every topic it has offsets for). */
  lag(group: string, topic?: string): Promise<QueueLagReport[]>;
  metrics(): BrokerMetricsSnapshot;

  createProducer(options: InProcessProducerOptions): InProcessProducer;
  createSimpleConsumer(options: InProcessSimpleConsumerOptions): InProcessSimpleConsumer;
  /** A RocketMQ 4.x push consumer over this broker (clustering or broadcasting, concurrent or orderly). */
  createPushConsumer(
    options: Omit<PushConsumerOptions, 'registry' | 'offsets' | 'pulls' | 'store' | 'clock'>,
  ): PushConsumer;
}
