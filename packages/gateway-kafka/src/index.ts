/**
 * The Kafka wire-protocol front of Eddy: `startKafkaGateway({ broker, port })` listens on TCP and serves
 * Kafka clients (kafkajs, librdkafka/kcat, @platformatic/kafka, Java) over the protocol-agnostic broker.
 *
 * - Framing (bounded `int32 size` frames), version negotiation from the handler table, strictly
 *   in-order responses per connection, and no crash on any client input: bad input closes that
 *   connection only.
 * - One handler per API ({@link KAFKA_HANDLERS}); Kafka partitions are the broker's queues and Kafka
 *   offsets are queue offsets. {@link recordToMessage} / {@link messagesToRecordBatches} map records to
 *   messages and back, so RocketMQ and Kafka clients share topics.
 *
 * It does not replicate (one node, leader of every partition), authenticate (no SASL) or compress on
 * the way out: Fetch serves produced batches as they came (compressed or not) while they are in the
 * {@link ProducedBatchCache}, and otherwise re-encodes uncompressed batches from the stored messages.
 *
 * @packageDocumentation
 */
export { AppendSignals, type AppendWait } from './append-signals.js';
export {
  type CachedBatch,
  DEFAULT_PRODUCED_BATCH_CACHE_BYTES,
  ProducedBatchCache,
} from './batch-cache.js';
export type {
  GroupCoordinator,
  KafkaGatewayConfig,
  KafkaGatewayState,
  ProducerStateManager,
  TransactionCoordinator,
} from './gateway-state.js';
export type { KafkaApiHandler, KafkaConnection, KafkaHandlerContext } from './handler.js';
export { KAFKA_HANDLERS } from './handlers/index.js';
export { type KafkaGateway, type KafkaGatewayOptions, startKafkaGateway } from './kafka-gateway.js';
export {
  controlMessage,
  KafkaProperty,
  messagesToRecordBatches,
  recordToMessage,
  TAG_HEADER,
} from './record-mapping.js';
