import type { Broker } from '@eddy/broker';
import { EddyError, type TopicConfig, validateTopicName } from '@eddy/message';
import {
  KafkaErrorCode,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataTopic,
  metadataCodec,
} from '@eddy/protocol-kafka';
import type { KafkaGatewayConfig } from '../gateway-state.js';
import type { KafkaApiHandler } from '../handler.js';

async function describeTopic(
  broker: Broker,
  config: KafkaGatewayConfig,
  name: string,
  autoCreate: boolean,
): Promise<MetadataTopic> {
  const none = (errorCode: number): MetadataTopic => ({ errorCode, name, isInternal: false, partitions: [] });
  const invalid = validateTopicName(name);
  if (invalid?.code === 'INVALID_NAME') return none(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
  let topic: TopicConfig | undefined = await broker.topics.get(name);
  if (topic === undefined && autoCreate && invalid === undefined) {
    try {
      topic = await broker.topics.create({ name, queueCount: config.defaultPartitions });
    } catch (error) {
      // Another request created it first.
      if (!EddyError.is(error, 'TOPIC_EXISTS')) throw error;
      topic = await broker.topics.get(name);
    }
  }
  if (topic === undefined) return none(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const node = config.nodeId;
  return {
    errorCode: KafkaErrorCode.NONE,
    name,
    isInternal: false,
    partitions: Array.from({ length: topic.readQueueNums }, (_, partitionIndex) => ({
      errorCode: KafkaErrorCode.NONE,
      partitionIndex,
      leaderId: node,
      // One node that never changes leadership: epoch 0 forever (Metadata v7+).
      leaderEpoch: 0,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
  };
}

/**
 * Metadata: this broker as the one node (at `advertisedHost:port`), leader of every partition; a
 * topic's partitions are its read queues. Unknown topics are created when both the request
 * (`allow_auto_topic_creation`) and the config allow it, with `defaultPartitions` partitions.
 */
export const metadataHandler: KafkaApiHandler<MetadataRequest, MetadataResponse> = {
  codec: metadataCodec,
  async handle(request, { broker, state }) {
    const { config } = state;
    const names = request.topics ?? (await broker.topics.list()).map((topic) => topic.name);
    const autoCreate = request.topics !== null && request.allowAutoTopicCreation && config.autoCreateTopics;
    const topics: MetadataTopic[] = [];
    for (const name of names) topics.push(await describeTopic(broker, config, name, autoCreate));
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: config.nodeId, host: config.advertisedHost, port: config.port, rack: null }],
      clusterId: config.clusterId,
      controllerId: config.nodeId,
      topics,
    };
  },
};
