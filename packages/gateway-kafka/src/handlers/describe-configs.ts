import {
  ConfigResourceType,
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  describeConfigsCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { describeBrokerConfigs, describeTopicConfigs, isThisBroker, readTopicOverrides } from './topic-configs.js';

async function describe(
  resource: DescribeConfigsResource,
  includeSynonyms: boolean,
  { broker, state }: KafkaHandlerContext,
): Promise<DescribeConfigsResult> {
  const { resourceType, resourceName } = resource;
  const failed = (errorCode: number, errorMessage: string): DescribeConfigsResult => ({
    errorCode,
    errorMessage,
    resourceType,
    resourceName,
    configs: [],
  });
  if (resourceType === ConfigResourceType.TOPIC) {
    const topic = await broker.topics.get(resourceName);
    if (topic === undefined) {
      return failed(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resourceName}' does not exist`);
    }
    const overrides = await readTopicOverrides(broker.store.metadata, resourceName);
    const configs = describeTopicConfigs(topic, overrides, state.config, resource.configurationKeys, includeSynonyms);
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs };
  }
  if (resourceType === ConfigResourceType.BROKER) {
    if (!isThisBroker(resourceName, state.config.nodeId)) {
      return failed(
        KafkaErrorCode.INVALID_REQUEST,
        `broker '${resourceName}' is not this broker (${state.config.nodeId})`,
      );
    }
    const configs = describeBrokerConfigs(state.config, resource.configurationKeys, includeSynonyms);
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs };
  }
  return failed(
    KafkaErrorCode.INVALID_REQUEST,
    `resource type ${resourceType} is not supported; topics (2) and brokers (4) are`,
  );
}

/**
 * DescribeConfigs: every known topic config with its default and source (librdkafka and admin tools do
 * read-modify-write with AlterConfigs), and a few read-only broker configs.
 */
export const describeConfigsHandler: KafkaApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  codec: describeConfigsCodec,
  async handle(request, context) {
    const results: DescribeConfigsResult[] = [];
    for (const resource of request.resources) results.push(await describe(resource, request.includeSynonyms, context));
    return { throttleTimeMs: 0, results };
  },
};
