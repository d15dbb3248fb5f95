/**
 * Eddy's broker kernel: `createBroker({ store, clock, logger, … })` composes topics, the producer path,
 * the consume engines, scheduled and transactional messages over an injected storage engine, with an
 * in-process producer and consumers. Protocol fronts (RocketMQ gRPC, Kafka) translate onto it.
 *
 * What it does not do: listen on a network, choose a storage engine, or close the store it was given.
 *
 * Guarantees: topic configs, committed offsets, pop state and scheduled messages are durable through
 * the store (they survive a restart on a durable engine); delivery is at least once; a FIFO message
 * group always maps to the same write queue while the topic's write queue count stays the same.
 *
 * @packageDocumentation
 */

// The encoded-batch part of the storage contract, for fronts that may depend on the broker but not the store.
export {
  type EncodedBatch,
  type EncodedBatchStore,
  type ReadEncodedResult,
  type StoredEntry,
  supportsEncodedBatches,
} from '@eddy/store';
export { type BrokerConfig, BrokerConfigSchema } from './config.js';
export { createBroker } from './create-broker.js';
export type { InProcessPushConsumerOptions } from './in-process-push-consumer.js';
export {
  DEFAULT_INVISIBLE_DURATION_MS,
  DEFAULT_RECEIVE_MAX_MESSAGES,
  SIMPLE_CONSUMER_HEARTBEAT_MS,
} from './in-process-simple-consumer.js';
export { messageGroupQueueId, QueueSelector } from './queue-selector.js';
export { TOPIC_CONFIG_PREFIX } from './topic-manager.js';
export type * from './types.js';
