import { EddyError, validateTopicName } from '@eddy/message';
import {
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  createTopicsCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { retentionMsOf, type TopicOverrides, validateTopicConfigs, writeTopicOverrides } from './topic-configs.js';

// Eddy's queue-count limit (QueueCountSchema).
const MAX_PARTITIONS = 65_536;

type Plan =
  | { readonly ok: true; readonly partitions: number; readonly overrides: TopicOverrides }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

function fail(errorCode: number, message: string): Plan {
  return { ok: false, errorCode, message };
}

/** Checks one topic of the request against a single-node cluster, without touching the broker. */
function plan(topic: CreatableTopic, context: KafkaHandlerContext): Plan {
  const nameError = validateTopicName(topic.name);
  if (nameError !== undefined) return fail(KafkaErrorCode.INVALID_TOPIC_EXCEPTION, nameError.message);
  const nodeId = context.state.config.nodeId;
  let partitions = topic.numPartitions;
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      return fail(
        KafkaErrorCode.INVALID_REQUEST,
        'give either num_partitions and replication_factor or a replica assignment, not both',
      );
    }
    const indexes = topic.assignments.map((assignment) => assignment.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((index, position) => index !== position)) {
      return fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, 'assigned partitions must be numbered 0, 1, 2, …');
    }
    const misplaced = topic.assignments.find((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId);
    if (misplaced !== undefined) {
      return fail(
        KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `partition ${misplaced.partitionIndex} is assigned to [${misplaced.brokerIds.join(', ')}]; this cluster has one broker, ${nodeId}`,
      );
    }
    partitions = topic.assignments.length;
  } else {
    // -1 means "the broker's default" (KIP-464). Kafka brokers take it at every version, and kafkajs 2.2.4
    // sends it with v3 when a topic gives no counts, so it is not limited to v4+.
    if (partitions === -1) partitions = context.state.config.defaultPartitions;
    if (topic.replicationFactor === 0 || topic.replicationFactor < -1) {
      return fail(
        KafkaErrorCode.INVALID_REPLICATION_FACTOR,
        `replication factor ${topic.replicationFactor} is not valid`,
      );
    }
    if (topic.replicationFactor > 1) {
      return fail(
        KafkaErrorCode.INVALID_REPLICATION_FACTOR,
        `replication factor ${topic.replicationFactor} is larger than the 1 available broker`,
      );
    }
  }
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    return fail(
      KafkaErrorCode.INVALID_PARTITIONS,
      `number of partitions must be in [1, ${MAX_PARTITIONS}], got ${partitions}`,
    );
  }
  const configs = validateTopicConfigs(topic.configs);
  if (configs.status === 'invalid') return fail(KafkaErrorCode.INVALID_CONFIG, configs.message);
  return { ok: true, partitions, overrides: configs.overrides };
}

function errorCodeOf(error: unknown): number {
  if (EddyError.is(error, 'TOPIC_EXISTS')) return KafkaErrorCode.TOPIC_ALREADY_EXISTS;
  if (EddyError.is(error, 'INVALID_NAME') || EddyError.is(error, 'RESERVED_NAME')) {
    return KafkaErrorCode.INVALID_TOPIC_EXCEPTION;
  }
  if (EddyError.is(error, 'INVALID_ARGUMENT')) return KafkaErrorCode.INVALID_REQUEST;
  return KafkaErrorCode.UNKNOWN_SERVER_ERROR;
}

async function createOne(
  topic: CreatableTopic,
  validateOnly: boolean,
  context: KafkaHandlerContext,
): Promise<CreatableTopicResult> {
  const checked = plan(topic, context);
  if (!checked.ok) return { name: topic.name, errorCode: checked.errorCode, errorMessage: checked.message };
  const { broker } = context;
  if ((await broker.topics.get(topic.name)) !== undefined) {
    return {
      name: topic.name,
      errorCode: KafkaErrorCode.TOPIC_ALREADY_EXISTS,
      errorMessage: `topic '${topic.name}' already exists`,
    };
  }
  if (validateOnly) return { name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  try {
    await broker.topics.create({
      name: topic.name,
      queueCount: checked.partitions,
      retentionMs: retentionMsOf(checked.overrides),
    });
    // Always written (an empty set deletes the key): drops overrides left by a topic of the same name that
    // was deleted outside Kafka (the RocketMQ or HTTP admin).
    await writeTopicOverrides(broker.store.metadata, topic.name, checked.overrides);
    // Likewise batches kept from such a topic: the new one starts again at offset 0.
    context.state.batches?.invalidateTopic(topic.name);
    return { name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  } catch (error) {
    return {
      name: topic.name,
      errorCode: errorCodeOf(error),
      errorMessage: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * CreateTopics: one node, so replication factor 1 (or -1) only; `num_partitions` -1 takes the gateway's
 * `defaultPartitions`. Configs are checked against `topic-configs.ts`. A name given twice in one request
 * fails every entry with INVALID_REQUEST, as Kafka does.
 */
export const createTopicsHandler: KafkaApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  codec: createTopicsCodec,
  async handle(request, context) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const topics: CreatableTopicResult[] = [];
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) {
        topics.push({
          name: topic.name,
          errorCode: KafkaErrorCode.INVALID_REQUEST,
          errorMessage: `topic '${topic.name}' appears more than once in the request`,
        });
        continue;
      }
      topics.push(await createOne(topic, request.validateOnly, context));
    }
    return { throttleTimeMs: 0, topics };
  },
};
