import {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopic,
  type CreatePartitionsTopicResult,
  createPartitionsCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { partitionCountOf } from './topic-configs.js';

// Eddy's queue-count limit (QueueCountSchema).
const MAX_PARTITIONS = 65_536;

async function grow(
  topic: CreatePartitionsTopic,
  validateOnly: boolean,
  { broker, state }: KafkaHandlerContext,
): Promise<CreatePartitionsTopicResult> {
  const result = (errorCode: number, errorMessage: string | null) => ({ name: topic.name, errorCode, errorMessage });
  const current = await broker.topics.get(topic.name);
  if (current === undefined) {
    return result(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic.name}' does not exist`);
  }
  const existing = partitionCountOf(current);
  if (topic.count <= existing) {
    // Kafka cannot shrink a topic (keys would move to other partitions); the same count is an error too.
    return result(
      KafkaErrorCode.INVALID_PARTITIONS,
      `topic '${topic.name}' has ${existing} partitions; the new count ${topic.count} must be larger`,
    );
  }
  if (topic.count > MAX_PARTITIONS) {
    return result(
      KafkaErrorCode.INVALID_PARTITIONS,
      `partition count ${topic.count} is above the limit ${MAX_PARTITIONS}`,
    );
  }
  if (topic.assignments !== null) {
    const added = topic.count - existing;
    if (topic.assignments.length !== added) {
      return result(
        KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `${topic.assignments.length} assignments given for ${added} new partitions`,
      );
    }
    const nodeId = state.config.nodeId;
    if (topic.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId)) {
      return result(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `this cluster has one broker, ${nodeId}`);
    }
  }
  if (validateOnly) return result(KafkaErrorCode.NONE, null);
  try {
    await broker.topics.update(topic.name, { queueCount: topic.count });
    state.batches?.invalidateTopic(topic.name);
    return result(KafkaErrorCode.NONE, null);
  } catch (error) {
    return result(KafkaErrorCode.INVALID_PARTITIONS, error instanceof Error ? error.message : String(error));
  }
}

/** CreatePartitions: grows topics (never shrinks); one result per requested topic, always. */
export const createPartitionsHandler: KafkaApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  codec: createPartitionsCodec,
  async handle(request, context) {
    const results: CreatePartitionsTopicResult[] = [];
    const seen = new Set<string>();
    for (const topic of request.topics) {
      if (seen.has(topic.name)) {
        results.push({
          name: topic.name,
          errorCode: KafkaErrorCode.INVALID_REQUEST,
          errorMessage: `topic '${topic.name}' appears more than once in the request`,
        });
        continue;
      }
      seen.add(topic.name);
      results.push(await grow(topic, request.validateOnly, context));
    }
    return { throttleTimeMs: 0, results };
  },
};
