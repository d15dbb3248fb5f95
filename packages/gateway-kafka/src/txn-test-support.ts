import type { Broker } from '@eddy/broker';
import type { RecordBatch } from '@eddy/protocol-kafka';
import type { KafkaProducerStateManager } from './producer-state.js';
import { recordToMessage } from './record-mapping.js';

/** A decoded batch of `count` records as a producer would send it (test helper). */
export function testBatch(
  producerId: bigint,
  producerEpoch: number,
  baseSequence: number,
  count = 1,
  isTransactional = false,
): RecordBatch {
  return {
    baseOffset: 0n,
    partitionLeaderEpoch: -1,
    attributes: isTransactional ? 16 : 0,
    lastOffsetDelta: count - 1,
    baseTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_000n,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional,
    isControl: false,
    compression: 'none',
    records: Array.from({ length: count }, (_, index) => ({
      offsetDelta: index,
      timestampDelta: 0n,
      key: null,
      value: new TextEncoder().encode(`v${baseSequence + index}`),
      headers: [],
    })),
  };
}

/**
 * What the Produce path does with a batch: check it, append its records, record it. Returns the base
 * offset (the original one for a duplicate) or the error code.
 */
export async function produceTestBatch(
  broker: Broker,
  producers: KafkaProducerStateManager,
  topic: string,
  partition: number,
  batch: RecordBatch,
): Promise<{ baseOffset: number } | { errorCode: number }> {
  const check = producers.checkBatch(topic, partition, batch);
  if (check.status === 'error') return { errorCode: check.errorCode };
  if (check.status === 'duplicate') return { baseOffset: check.baseOffset };
  const messages = batch.records.map((record, index) => recordToMessage(topic, batch, record, index));
  const { baseOffset } = await broker.store.append(topic, partition, messages);
  producers.recordAppended(topic, partition, batch, baseOffset);
  return { baseOffset };
}
