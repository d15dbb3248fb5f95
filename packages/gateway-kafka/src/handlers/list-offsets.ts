import {
  KafkaErrorCode,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  ListOffsetsTimestamp,
  listOffsetsCodec,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { partitionError, type TopicLookup, topicLookup } from './topic-lookup.js';

const READ_COMMITTED = 1;

async function offsetOf(
  request: ListOffsetsRequest,
  topic: string,
  partitionIndex: number,
  timestamp: bigint,
  lookup: TopicLookup,
  { broker, state }: KafkaHandlerContext,
): Promise<ListOffsetsPartitionResponse> {
  const answer = (errorCode: number, offset = -1, at = -1n): ListOffsetsPartitionResponse => ({
    partitionIndex,
    errorCode,
    timestamp: at,
    offset: BigInt(offset),
    leaderEpoch: 0,
  });
  const notServed = partitionError(lookup, partitionIndex);
  if (notServed !== KafkaErrorCode.NONE) return answer(notServed);
  const range = await broker.store.queueRange(topic, partitionIndex);
  const highWatermark = range?.maxOffset ?? 0;
  if (timestamp === ListOffsetsTimestamp.LATEST) {
    const committed = request.isolationLevel === READ_COMMITTED;
    return answer(
      KafkaErrorCode.NONE,
      committed ? state.transactions.lastStableOffset(topic, partitionIndex, highWatermark) : highWatermark,
    );
  }
  if (timestamp === ListOffsetsTimestamp.EARLIEST) return answer(KafkaErrorCode.NONE, range?.minOffset ?? 0);
  if (timestamp < 0n) return answer(KafkaErrorCode.INVALID_REQUEST);
  const offset = await broker.store.offsetForTimestamp(topic, partitionIndex, Number(timestamp));
  if (offset === undefined) return answer(KafkaErrorCode.NONE);
  const read = await broker.store.read(topic, partitionIndex, offset, { maxMessages: 1 });
  const found = read.status === 'ok' ? read.messages[0] : undefined;
  return answer(KafkaErrorCode.NONE, offset, BigInt(found?.storeTimestamp ?? -1));
}

/**
 * ListOffsets (v1–3): -1 → the high watermark (the last stable offset under read_committed), -2 → the
 * log start offset, a time → the first offset stored at or after it (the store's time index, by store
 * time), or -1 when every message is older.
 */
export const listOffsetsHandler: KafkaApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  codec: listOffsetsCodec,
  async handle(request, context) {
    const lookup = topicLookup(context.broker);
    const topics: ListOffsetsResponse['topics'][number][] = [];
    for (const { name, partitions } of request.topics) {
      const found = await lookup(name);
      const answers: ListOffsetsPartitionResponse[] = [];
      for (const { partitionIndex, timestamp } of partitions) {
        answers.push(await offsetOf(request, name, partitionIndex, timestamp, found, context));
      }
      topics.push({ name, partitions: answers });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    topics: request.topics.map(({ name, partitions }) => ({
      name,
      partitions: partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode, timestamp: -1n, offset: -1n })),
    })),
  }),
};
