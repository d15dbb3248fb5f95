import {
  type ConsumerGroupRegistry,
  type ConsumerOffsetStore,
  type PullService,
  PushConsumer,
  type PushConsumerOptions,
  type PushMessageHandler,
  type RetryHook,
  type RetryService,
} from '@eddy/consume';
import { type Clock, EddyError, type Logger, retryTopicOf, type StoredMessage, SystemProperty } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import type { DelayBacklog } from './delay-backlog.js';
import type { TopicManager } from './types.js';

/** The broker parts a push consumer is wired to. */
export interface PushConsumerParts {
  readonly registry: ConsumerGroupRegistry;
  readonly offsets: ConsumerOffsetStore;
  readonly pulls: PullService;
  readonly store: MessageStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly topics: TopicManager;
  readonly retries: RetryService;
  readonly backlog: DelayBacklog;
}

/** What the caller gives `Broker.createPushConsumer`. */
export type InProcessPushConsumerOptions = Omit<
  PushConsumerOptions,
  'registry' | 'offsets' | 'pulls' | 'store' | 'clock'
>;

/**
 * A {@link PushConsumer} over the broker's registry, offsets, pull service and store.
 *
 * - Queues of a topic are its configured read queues (so every member sees the same list), none for
 *   a topic that does not exist.
 * - In CLUSTERING mode, not orderly and without an `onRetry` of the caller's, a failed message goes to
 *   `%RETRY%<group>` through the retry service (RocketMQ 4.x's send-back: delay levels 3…18, the DLQ
 *   after 16 retries). The consumer subscribes to that retry topic itself and hands its messages to the
 *   handler under the topic they were first sent to (`RETRY_TOPIC`), as RocketMQ's client does.
 */
export function createInProcessPushConsumer(
  parts: PushConsumerParts,
  options: InProcessPushConsumerOptions,
): PushConsumer {
  const clustering = (options.messageModel ?? 'CLUSTERING') === 'CLUSTERING';
  const sendsBack = clustering && options.orderly === undefined && options.onRetry === undefined;
  const retryTopic = retryTopicOf(options.group);
  let { subscriptions, handler, onRetry } = options;
  if (sendsBack) {
    if (!subscriptions.some(({ topic }) => topic === retryTopic))
      subscriptions = [...subscriptions, { topic: retryTopic }];
    handler = presentingRetries(options.handler, retryTopic);
    onRetry = sendingBack(parts, options.group);
  }
  return new PushConsumer({
    ...options,
    subscriptions,
    handler,
    ...(onRetry === undefined ? {} : { onRetry }),
    listQueueIds: options.listQueueIds ?? ((topic) => readQueueIds(parts.topics, topic)),
    logger: options.logger ?? parts.logger,
    registry: parts.registry,
    offsets: parts.offsets,
    pulls: parts.pulls,
    store: parts.store,
    clock: parts.clock,
  });
}

function presentingRetries(handler: PushMessageHandler, retryTopic: string): PushMessageHandler {
  return (messages, context) => {
    if (context.topic !== retryTopic) return handler(messages, context);
    const presented = messages.map(
      (message): StoredMessage => ({
        ...message,
        topic: message.properties[SystemProperty.RETRY_TOPIC] ?? message.topic,
      }),
    );
    return handler(presented, context);
  };
}

function sendingBack(parts: PushConsumerParts, group: string): RetryHook {
  return async (message) => {
    const result = await parts.retries.sendBack(group, message);
    if (result.action === 'retry') parts.backlog.scheduled(result.level);
  };
}

async function readQueueIds(topics: TopicManager, topic: string): Promise<number[]> {
  try {
    const config = await topics.resolve(topic, { autoCreate: false });
    return Array.from({ length: config.readQueueNums }, (_, queueId) => queueId);
  } catch (error) {
    // Subscribing creates nothing (as in RocketMQ): a topic made later is found by a later rebalance.
    if (EddyError.is(error, 'UNKNOWN_TOPIC')) return [];
    throw error;
  }
}
