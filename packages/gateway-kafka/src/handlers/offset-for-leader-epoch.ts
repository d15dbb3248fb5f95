import {
  type EpochEndOffset,
  KafkaErrorCode,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  offsetForLeaderEpochCodec,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';
import { partitionCountOf } from './topic-configs.js';

/** The only leader epoch there is: one node has led every partition since it was created. */
const LEADER_EPOCH = 0;

/**
 * OffsetForLeaderEpoch: with a single epoch 0, any requested epoch ≥ 0 ends at the high watermark (Kafka
 * answers the largest epoch ≤ the requested one); an undefined epoch (-1) gets -1/-1 as in Kafka. A current
 * leader epoch above 0 is UNKNOWN_LEADER_EPOCH (the client knows a newer leader than exists).
 */
export const offsetForLeaderEpochHandler: KafkaApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  codec: offsetForLeaderEpochCodec,
  async handle(request, { broker }) {
    const topics = [];
    for (const { topic, partitions } of request.topics) {
      const config = await broker.topics.get(topic);
      const results: EpochEndOffset[] = [];
      for (const { partition, currentLeaderEpoch, leaderEpoch } of partitions) {
        const failed = (errorCode: number) => ({ errorCode, partition, leaderEpoch: -1, endOffset: -1n });
        if (config === undefined || partition < 0 || partition >= partitionCountOf(config)) {
          results.push(failed(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } else if (currentLeaderEpoch > LEADER_EPOCH) {
          results.push(failed(KafkaErrorCode.UNKNOWN_LEADER_EPOCH));
        } else if (leaderEpoch < 0) {
          results.push({ errorCode: KafkaErrorCode.NONE, partition, leaderEpoch: -1, endOffset: -1n });
        } else {
          const range = await broker.store.queueRange(topic, partition);
          const endOffset = BigInt(range?.maxOffset ?? 0);
          results.push({ errorCode: KafkaErrorCode.NONE, partition, leaderEpoch: LEADER_EPOCH, endOffset });
        }
      }
      topics.push({ topic, partitions: results });
    }
    return { throttleTimeMs: 0, topics };
  },
};
