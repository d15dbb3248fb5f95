import {
  type AckResult,
  type ChangeInvisibleDurationResult,
  type ConsumerGroupRegistry,
  type ConsumerOffsetStore,
  DEFAULT_CONSUME_FROM_WHERE,
  type DelayLevelScheduler,
  decodeReceiptHandle,
  type LongPollRegistry,
  type LongPollWait,
  type OffsetAdmin,
  type PopResult,
  type PopService,
  type PullRequest,
  type PullResult,
  type PushConsumer,
  type RetryService,
  type TimerScheduler,
  type TransactionService,
  type WatchedQueue,
} from '@eddy/consume';
import {
  type Clock,
  EddyError,
  type Logger,
  type Message,
  Permission,
  type StoredMessage,
  type TopicConfig,
} from '@eddy/message';
import type { AppendResult, EncodedBatch, MessageStore } from '@eddy/store';
import type { ClientContext } from './client-context.js';
import type { BrokerConfig } from './config.js';
import type { DeadLetters } from './dead-letters.js';
import type { DelayBacklog } from './delay-backlog.js';
import type { FilterCache } from './filter-cache.js';
import { InProcessProducerClient } from './in-process-producer.js';
import { createInProcessPushConsumer, type InProcessPushConsumerOptions } from './in-process-push-consumer.js';
import { InProcessSimpleConsumerClient } from './in-process-simple-consumer.js';
import type { MessageSender } from './message-sender.js';
import type { MeteredPullService } from './metered-pull-service.js';
import type { ProducerRegistry } from './producer-registry.js';
import type { DurableTopicManager } from './topic-manager.js';
import type { TrafficMeter } from './traffic-meter.js';
import type {
  Broker,
  BrokerMetricsSnapshot,
  BrokerPopRequest,
  EndTransactionResult,
  ForwardToDeadLetterOptions,
  ForwardToDeadLetterResult,
  InProcessProducer,
  InProcessProducerOptions,
  InProcessSimpleConsumer,
  InProcessSimpleConsumerOptions,
  ProducerRegistration,
  QueueLagReport,
  ResendDeadLetterOptions,
  SendOptions,
  SendResult,
  TopicDeletedListener,
  TopicManager,
  TransactionResolution,
} from './types.js';

/** Every part of a broker, built by `createBroker`. */
export interface BrokerParts {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly topics: DurableTopicManager;
  readonly groups: ConsumerGroupRegistry;
  readonly offsets: ConsumerOffsetStore;
  readonly offsetAdmin: OffsetAdmin;
  readonly longPoll: LongPollRegistry;
  readonly pulls: MeteredPullService;
  readonly pops: PopService;
  readonly delays: DelayLevelScheduler;
  readonly backlog: DelayBacklog;
  readonly timers: TimerScheduler;
  readonly transactions: TransactionService;
  readonly producers: ProducerRegistry;
  readonly sender: MessageSender;
  readonly deadLetters: DeadLetters;
  readonly filters: FilterCache;
  readonly meter: TrafficMeter;
  readonly retries: RetryService;
}

/** The broker kernel: `Broker` over the parts `createBroker` composes. */
export class BrokerKernel implements Broker {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly topics: TopicManager;
  readonly groups: ConsumerGroupRegistry;
  readonly offsets: ConsumerOffsetStore;
  readonly offsetAdmin: OffsetAdmin;
  readonly #parts: BrokerParts;
  readonly #background = new Set<Promise<unknown>>();
  readonly #pushConsumers = new Set<PushConsumer>();
  readonly #simpleConsumers = new Set<InProcessSimpleConsumer>();
  #clientCount = 0;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(parts: BrokerParts) {
    this.#parts = parts;
    this.config = parts.config;
    this.clock = parts.clock;
    this.logger = parts.logger;
    this.store = parts.store;
    this.topics = parts.topics;
    this.groups = parts.groups;
    this.offsets = parts.offsets;
    this.offsetAdmin = parts.offsetAdmin;
  }

  start(): Promise<void> {
    this.#starting ??= (async () => {
      const { pops, delays, backlog, timers, transactions, groups, store } = this.#parts;
      const recovered = await pops.recover();
      if (recovered.inFlight > 0) this.logger.info('pop state recovered', { ...recovered });
      await delays.start();
      await backlog.load(store);
      await timers.start();
      await transactions.start();
      groups.start();
    })();
    return this.#starting;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const { groups, longPoll, pops, delays, timers, transactions, store } = this.#parts;
      // Consumers first: their pulls and commits need the services below.
      await Promise.all([...this.#pushConsumers].map((consumer) => consumer.stop()));
      await Promise.all([...this.#simpleConsumers].map((consumer) => consumer.close()));
      groups.stop();
      longPoll.cancelAll();
      pops.close();
      await delays.stop();
      await timers.stop();
      await transactions.stop();
      await this.#settleBackground();
      await store.flush();
    })();
    return this.#closing;
  }

  async whenIdle(): Promise<void> {
    const { delays, timers, transactions } = this.#parts;
    do {
      await Promise.all([delays.whenIdle(), timers.whenIdle(), transactions.whenIdle(), this.#settleBackground()]);
    } while (this.#background.size > 0);
  }

  send(message: Message, options?: SendOptions): Promise<SendResult> {
    return this.#parts.sender.send(message, options);
  }

  async appendBatch(topic: string, queueId: number, messages: readonly Message[]): Promise<AppendResult> {
    const name = await this.#writableQueue(topic, queueId);
    const result = await this.#parts.pulls.appendAndNotify(name, queueId, messages);
    for (const message of messages) this.#parts.meter.countIn(name, message);
    return result;
  }

  waitForAppend(queues: readonly WatchedQueue[], timeoutMs: number): LongPollWait {
    return this.#parts.longPoll.register(queues, timeoutMs);
  }

  async appendEncodedBatch(topic: string, queueId: number, batch: EncodedBatch): Promise<AppendResult> {
    const name = await this.#writableQueue(topic, queueId);
    const result = await this.#parts.pulls.appendEncodedAndNotify(name, queueId, batch);
    this.#parts.meter.countBatchIn(name, batch.count, batch.bytes.byteLength);
    return result;
  }

  /** The topic's name when `queueId` is one of its write queues and it accepts writes; throws otherwise. */
  async #writableQueue(topic: string, queueId: number): Promise<string> {
    const config = await this.topics.resolve(topic, { autoCreate: false });
    if ((config.perm & Permission.WRITE) === 0) {
      throw new EddyError('PERMISSION_DENIED', `topic '${config.name}' does not accept writes (perm ${config.perm})`, {
        details: { topic: config.name, perm: config.perm },
      });
    }
    if (!Number.isInteger(queueId) || queueId < 0 || queueId >= config.writeQueueNums) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `queue ${String(queueId)} is not a write queue of topic '${config.name}'; it has ${config.writeQueueNums}`,
      );
    }
    return config.name;
  }

  async endTransaction(request: {
    readonly transactionId: string;
    readonly resolution: TransactionResolution;
    readonly fromCheck?: boolean;
  }): Promise<EndTransactionResult> {
    const { transactionId, resolution, fromCheck } = request;
    if (resolution !== 'commit' && resolution !== 'rollback') {
      throw new EddyError('INVALID_ARGUMENT', `resolution must be 'commit' or 'rollback', got '${String(resolution)}'`);
    }
    if (typeof transactionId !== 'string' || transactionId.length === 0) {
      throw new EddyError('INVALID_ARGUMENT', 'transactionId is empty');
    }
    const result = await this.#parts.transactions.end(transactionId, resolution, { fromCheck: fromCheck ?? false });
    return { status: result.status };
  }

  onTopicDeleted(listener: TopicDeletedListener): () => void {
    return this.#parts.topics.onDeleted(listener);
  }

  registerProducer(registration: ProducerRegistration): () => void {
    return this.#parts.producers.register(registration);
  }

  async pop(request: BrokerPopRequest): Promise<PopResult> {
    const { pops, filters, meter } = this.#parts;
    // Bad input is refused before the topic is resolved, which may create it.
    const filter = filters.get(request.filter);
    const topic = readable(await this.topics.resolve(request.topic));
    for (const queueId of request.queueIds ?? []) {
      if (!Number.isInteger(queueId) || queueId < 0 || queueId >= topic.readQueueNums) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `queue ${String(queueId)} is not a read queue of topic '${topic.name}'; it has ${topic.readQueueNums}`,
        );
      }
    }
    const result = await pops.pop({
      group: request.group,
      topic: topic.name,
      clientId: request.clientId,
      maxMessages: request.maxMessages,
      invisibleDurationMs: request.invisibleDurationMs,
      filter,
      pollTimeoutMs: request.pollTimeoutMs ?? 0,
      queueIds: request.queueIds ?? Array.from({ length: topic.readQueueNums }, (_, queueId) => queueId),
      fifo: request.fifo ?? false,
    });
    meter.countOut(
      topic.name,
      result.messages.map(({ message }) => message),
    );
    return result;
  }

  async ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    if (!handleOf(receiptHandle, group, topic)) return { status: 'invalid-handle' };
    return this.#parts.pops.ack(group, receiptHandle);
  }

  async changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<ChangeInvisibleDurationResult> {
    if (!handleOf(receiptHandle, group, topic)) return { status: 'invalid-handle', receiptHandle };
    return this.#parts.pops.changeInvisibleDuration(group, receiptHandle, invisibleDurationMs);
  }

  forwardToDeadLetter(
    group: string,
    topic: string,
    receiptHandle: string,
    options?: ForwardToDeadLetterOptions,
  ): Promise<ForwardToDeadLetterResult> {
    return this.#parts.deadLetters.forward(group, topic, receiptHandle, options);
  }

  async pull(request: PullRequest): Promise<PullResult> {
    readable(await this.topics.resolve(request.topic, { autoCreate: false }));
    return this.#parts.pulls.pull(request);
  }

  findMessageById(messageId: string): Promise<StoredMessage | undefined> {
    return this.store.findById(messageId);
  }

  findMessagesByKey(topic: string, key: string, limit?: number): Promise<StoredMessage[]> {
    return this.store.findByKey(topic, key, limit === undefined ? {} : { limit });
  }

  resendDeadLetter(group: string, messageId: string, options?: ResendDeadLetterOptions): Promise<boolean> {
    return this.#parts.deadLetters.resend(group, messageId, options);
  }

  async lag(group: string, topic?: string): Promise<QueueLagReport[]> {
    const topics =
      topic === undefined ? [...new Set((await this.offsets.forGroup(group)).map((offset) => offset.topic))] : [topic];
    // A group that never committed on a queue would start where its members say.
    const where = this.groups.members(group)[0]?.consumeFromWhere ?? DEFAULT_CONSUME_FROM_WHERE;
    const reports: QueueLagReport[] = [];
    for (const name of topics) {
      for (const lag of await this.offsetAdmin.lag(group, name, where)) {
        reports.push({
          group,
          topic: name,
          queueId: lag.queueId,
          committedOffset: lag.committed,
          maxOffset: lag.maxOffset,
          lag: lag.lag,
        });
      }
    }
    return reports;
  }

  metrics(): BrokerMetricsSnapshot {
    const { meter, backlog, timers, transactions } = this.#parts;
    return {
      topics: meter.snapshot(),
      scheduledPending: backlog.pending + timers.pending,
      transactionsPending: transactions.pending,
    };
  }

  createProducer(options: InProcessProducerOptions): InProcessProducer {
    return new InProcessProducerClient(this.#clientContext(), options);
  }

  createSimpleConsumer(options: InProcessSimpleConsumerOptions): InProcessSimpleConsumer {
    const consumer = new InProcessSimpleConsumerClient(this.#clientContext(), options);
    this.#simpleConsumers.add(consumer);
    return consumer;
  }

  createPushConsumer(options: InProcessPushConsumerOptions): PushConsumer {
    const { groups, offsets, pulls, store, clock, logger, topics, retries, backlog } = this.#parts;
    const consumer = createInProcessPushConsumer(
      { registry: groups, offsets, pulls, store, clock, logger, topics, retries, backlog },
      options,
    );
    this.#pushConsumers.add(consumer);
    return consumer;
  }

  #clientContext(): ClientContext {
    return {
      broker: this as Broker,
      groups: this.groups,
      clock: this.clock,
      logger: this.logger,
      nextClientId: (kind) => `${kind}-${++this.#clientCount}@${this.config.brokerName}`,
      track: (task) => {
        const settled = task.catch(() => undefined).finally(() => this.#background.delete(settled));
        this.#background.add(settled);
      },
    };
  }

  async #settleBackground(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }
}

function readable(topic: TopicConfig): TopicConfig {
  if ((topic.perm & Permission.READ) === 0) {
    throw new EddyError('PERMISSION_DENIED', `topic '${topic.name}' does not allow reads (perm ${topic.perm})`, {
      details: { topic: topic.name, perm: topic.perm },
    });
  }
  return topic;
}

// A handle of another group or topic is refused here, before the pop service looks it up.
function handleOf(receiptHandle: string, group: string, topic: string): boolean {
  const handle = decodeReceiptHandle(receiptHandle);
  return handle !== undefined && handle.group === group && handle.topic === topic;
}
