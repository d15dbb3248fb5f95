import {
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  deleteRecordsCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { partitionCountOf } from './topic-configs.js';

/**
 * DeleteRecords: moves each partition's log start offset up to the given offset (-1 = the high watermark)
 * with `store.deleteRecordsBefore`; the low watermark answered is the new start. An offset above the high
 * watermark is OFFSET_OUT_OF_RANGE. A partition never written to has range [0, 0).
 */
export const deleteRecordsHandler: KafkaApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  codec: deleteRecordsCodec,
  async handle(request, { broker, state }) {
    const topics = [];
    for (const topic of request.topics) {
      const config = await broker.topics.get(topic.name);
      const partitions: DeleteRecordsPartitionResult[] = [];
      for (const { partitionIndex, offset } of topic.partitions) {
        const failed = (errorCode: number) => ({ partitionIndex, lowWatermark: -1n, errorCode });
        if (config === undefined || partitionIndex < 0 || partitionIndex >= partitionCountOf(config)) {
          partitions.push(failed(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        const range = (await broker.store.queueRange(topic.name, partitionIndex)) ?? { minOffset: 0, maxOffset: 0 };
        const highWatermark = BigInt(range.maxOffset);
        const target = offset === -1n ? highWatermark : offset;
        if (target < 0n || target > highWatermark) {
          partitions.push(failed(KafkaErrorCode.OFFSET_OUT_OF_RANGE));
          continue;
        }
        const after = await broker.store.deleteRecordsBefore(topic.name, partitionIndex, Number(target));
        const lowWatermark = BigInt((after ?? range).minOffset);
        // Fetch answers OFFSET_OUT_OF_RANGE below the log start anyway; the kept batches there go too.
        state.batches?.dropBefore(topic.name, partitionIndex, Number(lowWatermark));
        partitions.push({ partitionIndex, lowWatermark, errorCode: KafkaErrorCode.NONE });
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
};
