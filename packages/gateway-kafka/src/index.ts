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
 * Batches are first-class: over a store that keeps encoded batches (its capability `encodedBatches`,
 * opened with {@link kafkaRecordBatchDecoder} among its batch decoders), Produce stores each record
 * batch as it came — one entry taking one offset per record, checked but not decoded into messages —
 * and Fetch serves those bytes back with only baseOffset and partitionLeaderEpoch patched; the
 * RocketMQ side reads each record as a message through the decoder. Over other stores each record is
 * stored as a message, and Fetch serves produced batches as they came while they are in the
 * {@link ProducedBatchCache}.
 *
 * It does not replicate (one node, leader of every partition), authenticate (no SASL) or compress on
 * the way out: what is not served as produced is re-encoded as uncompressed batches from the stored
 * messages.
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
  ProducedBatchHeader,
  ProducerStateManager,
  TransactionCoordinator,
} from './gateway-state.js';
export type { KafkaApiHandler, KafkaConnection, KafkaHandlerContext } from './handler.js';
export { KAFKA_HANDLERS } from './handlers/index.js';
export { type KafkaGateway, type KafkaGatewayOptions, startKafkaGateway } from './kafka-gateway.js';
export { ReadBufferPool } from './read-buffer-pool.js';
export {
  KAFKA_RECORD_BATCH_FORMAT,
  type KafkaRecordBatchDecoder,
  kafkaRecordBatchDecoder,
} from './record-batch-decoder.js';
export {
  controlMessage,
  type DecodedKafkaRecord,
  KafkaProperty,
  messagesToRecordBatches,
  recordToDecoded,
  recordToMessage,
  TAG_HEADER,
} from './record-mapping.js';
