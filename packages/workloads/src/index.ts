/**
 * Workload clients for Eddy's test harness: real kafkajs and official RocketMQ 5 (`rocketmq-client-nodejs`)
 * producers and consumers that write every operation they settle into a {@link Recorder} as
 * `@eddy/checker` history events.
 *
 * - Producers ({@link kafkaProducer}, {@link rocketProducer}) send one JSON {@link Payload}
 *   `{id, producer, seq}` at a time to {@link TOPIC} and record the send as acked, failed (a definite
 *   refusal) or unknown (anything that may still have been written).
 * - Consumers ({@link kafkaConsumer}, {@link rocketConsumer}) read {@link TOPIC} in one consumer group and
 *   record every message they see, duplicates included.
 *
 * - {@link FeatureWorkloads} runs what plain traffic does not reach, each on a topic and consumer group of its
 *   own: a RocketMQ FIFO topic with message groups, a RocketMQ DELAY topic with delivery times, and kafkajs
 *   transactions (some aborted on purpose) read under read_committed. It keeps its own history, for the
 *   group-order, delay and transaction checkers.
 *
 * It does not start brokers, inject faults or judge the history (that is `@eddy/cluster`, the harness and
 * `@eddy/checker`). Guarantees: a send is recorded as acked only after the client's acknowledgement; a
 * workload's `stop` resolves after its last operation was recorded and its client closed, and never rejects.
 *
 * @packageDocumentation
 */
export {
  FEATURE_TOPICS,
  type FeatureOptions,
  type FeatureSummary,
  type FeatureTarget,
  FeatureWorkloads,
} from './feature-workloads.js';
export {
  kafkaReadCommittedConsumer,
  kafkaTransactionalProducer,
  type TransactionalProducerOptions,
} from './kafka-transaction-workloads.js';
export { kafkaConsumer, kafkaProducer } from './kafka-workloads.js';
export { tolerateLateStreamErrors } from './late-stream-errors.js';
export { Recorder } from './recorder.js';
export { rocketDelayProducer, rocketFifoProducer, rocketTopicConsumer } from './rocketmq-feature-workloads.js';
export { rocketConsumer, rocketProducer } from './rocketmq-workloads.js';
export { type Payload, parsePayload, sleep, TOPIC, type Workload } from './workload.js';
