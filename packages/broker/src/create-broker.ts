import {
  ConsumerGroupRegistry,
  ConsumerOffsetStore,
  DelayLevelScheduler,
  LongPollRegistry,
  OffsetAdmin,
  PopService,
  RetryService,
  TimerScheduler,
  TransactionService,
} from '@eddy/consume';
import { parseWithSchema, silentLogger, systemClock } from '@eddy/message';
import { BrokerKernel } from './broker-kernel.js';
import { BrokerConfigSchema } from './config.js';
import { DeadLetters } from './dead-letters.js';
import { DelayBacklog } from './delay-backlog.js';
import { FilterCache } from './filter-cache.js';
import { MessageSender } from './message-sender.js';
import { MeteredPullService } from './metered-pull-service.js';
import { ProducerRegistry } from './producer-registry.js';
import { QueueSelector } from './queue-selector.js';
import { DurableTopicManager } from './topic-manager.js';
import { TrafficMeter } from './traffic-meter.js';
import type { Broker, BrokerOptions } from './types.js';

/**
 * Makes a broker kernel over an opened store. Nothing runs until {@link Broker.start}; call
 * {@link Broker.close} before closing the store.
 *
 * @throws `INVALID_CONFIG` naming the field, for configuration that does not fit {@link BrokerConfigSchema}.
 */
export function createBroker(options: BrokerOptions): Broker {
  const { store, clock = systemClock, logger = silentLogger, ...rest } = options;
  const config = parseWithSchema(BrokerConfigSchema, rest, 'broker config');
  const meter = new TrafficMeter();
  const longPoll = new LongPollRegistry({ clock });
  const pulls = new MeteredPullService({ store, longPoll, clock, meter });
  const notifyAppended = (topic: string, queueId: number): void => {
    pulls.notifyAppended(topic, queueId);
  };
  const delays = new DelayLevelScheduler({
    store,
    clock,
    logger,
    levels: config.delayLevels,
    onAppended: notifyAppended,
  });
  const topics = new DurableTopicManager({
    store,
    defaultQueueCount: config.defaultQueueCount,
    autoCreateTopics: config.autoCreateTopics,
    delayLevelCount: delays.levelCount,
    logger,
  });
  const offsets = new ConsumerOffsetStore(store.metadata);
  const pops = new PopService({
    store,
    offsets,
    longPoll,
    clock,
    logger,
    consumeFromWhere: config.popConsumeFromWhere,
  });
  // First listener: every group's pop state, then committed offsets, so a re-created topic starts afresh.
  topics.onDeleted(async (topic) => {
    // A name that cannot be a key segment (empty, holding `/`) has nothing stored under it.
    if (topic.length === 0 || topic.includes('/')) return;
    await pops.deleteTopic(topic);
    await offsets.deleteTopic(topic);
  });
  const retries = new RetryService({ store, scheduler: delays, onAppended: notifyAppended });
  const producers = new ProducerRegistry(logger);
  const timers = new TimerScheduler({
    store,
    clock,
    logger,
    onAppended: notifyAppended,
    maxDelayMs: config.timerMaxDelayMs,
  });
  const transactions = new TransactionService({
    store,
    clock,
    logger,
    onAppended: notifyAppended,
    timeoutMs: config.transactionTimeoutMs,
    checkIntervalMs: config.transactionCheckIntervalMs,
    maxChecks: config.transactionMaxChecks,
    // The check-back goes to a live producer of the group, which answers through endTransaction.
    onCheck: (check) => {
      producers.dispatch(check);
    },
  });
  const backlog = new DelayBacklog(delays);
  const selector = new QueueSelector();
  const sender = new MessageSender({
    store,
    clock,
    topics,
    selector,
    delays,
    backlog,
    timers,
    transactions,
    meter,
    notifyAppended,
    maxMessageSize: config.maxMessageSize,
    timerMaxDelayMs: config.timerMaxDelayMs,
  });
  const deadLetters = new DeadLetters({ store, pops, retries, topics, selector, meter, notifyAppended });
  return new BrokerKernel({
    config,
    clock,
    logger,
    store,
    topics,
    groups: new ConsumerGroupRegistry({ clock, logger }),
    offsets,
    offsetAdmin: new OffsetAdmin({ store, offsets }),
    longPoll,
    pulls,
    pops,
    delays,
    backlog,
    timers,
    transactions,
    producers,
    sender,
    deadLetters,
    filters: new FilterCache(),
    meter,
    retries,
  });
}
