import { EddyError } from '@eddy/message';
import { decodeRecordBatches, KafkaProtocolError } from '@eddy/protocol-kafka';
import { type DecodedKafkaRecord, recordToDecoded } from './record-mapping.js';

/** The format name under which Produce stores Kafka record batches v2 as they came. */
export const KAFKA_RECORD_BATCH_FORMAT = 'kafka-record-batch-v2';

/**
 * Reads a stored Kafka batch back as messages; the shape of `EncodedBatchDecoder` in `@eddy/store`
 * (spelled out here: the gateway does not depend on the store package).
 */
export interface KafkaRecordBatchDecoder {
  readonly format: typeof KAFKA_RECORD_BATCH_FORMAT;
  /**
   * The batch's `count` records mapped as {@link recordToMessage} maps them.
   *
   * @throws `CORRUPT_DATA` when `bytes` are not one valid v2 batch of `count` records.
   */
  decode(bytes: Uint8Array, count: number): DecodedKafkaRecord[];
}

/**
 * The decoder of {@link KAFKA_RECORD_BATCH_FORMAT}, for a store that keeps encoded batches
 * (`openCommitLogStore({ batchDecoders: [kafkaRecordBatchDecoder] })`): it is how the RocketMQ side,
 * `findById` / `findByKey` and anything else reading messages see each record of a batch Kafka produced.
 * The stored bytes may have any baseOffset and partitionLeaderEpoch (both outside the CRC).
 */
export const kafkaRecordBatchDecoder: KafkaRecordBatchDecoder = {
  format: KAFKA_RECORD_BATCH_FORMAT,
  decode(bytes, count) {
    let decoded: ReturnType<typeof decodeRecordBatches>;
    try {
      decoded = decodeRecordBatches(bytes);
    } catch (error) {
      if (!KafkaProtocolError.isKafka(error)) throw error;
      throw new EddyError('CORRUPT_DATA', `stored Kafka record batch: ${error.message}`, { cause: error });
    }
    const [batch, ...more] = decoded;
    if (batch === undefined || more.length > 0 || batch.records.length !== count) {
      const records = decoded.map((each) => each.records.length).join(' + ');
      throw new EddyError(
        'CORRUPT_DATA',
        `stored Kafka record batch holds ${decoded.length} batches of ${records || 0} records; the store says 1 of ${count}`,
      );
    }
    return batch.records.map((record, index) => recordToDecoded(batch, record, index));
  },
};
