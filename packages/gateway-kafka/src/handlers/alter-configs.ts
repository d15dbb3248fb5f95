import {
  type AlterConfigsRequest,
  type AlterConfigsResource,
  type AlterConfigsResourceResponse,
  type AlterConfigsResponse,
  alterConfigsCodec,
  ConfigResourceType,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler, KafkaHandlerContext } from '../handler.js';
import { isThisBroker, retentionMsOf, validateTopicConfigs, writeTopicOverrides } from './topic-configs.js';

async function alter(
  resource: AlterConfigsResource,
  validateOnly: boolean,
  { broker, state }: KafkaHandlerContext,
): Promise<AlterConfigsResourceResponse> {
  const { resourceType, resourceName } = resource;
  const result = (errorCode: number, errorMessage: string | null) => ({
    errorCode,
    errorMessage,
    resourceType,
    resourceName,
  });
  if (resourceType === ConfigResourceType.TOPIC) {
    if ((await broker.topics.get(resourceName)) === undefined) {
      return result(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resourceName}' does not exist`);
    }
    const checked = validateTopicConfigs(resource.configs);
    if (checked.status === 'invalid') return result(KafkaErrorCode.INVALID_CONFIG, checked.message);
    if (validateOnly) return result(KafkaErrorCode.NONE, null);
    // AlterConfigs replaces the whole set: what is not given goes back to its default.
    await broker.topics.update(resourceName, { retentionMs: retentionMsOf(checked.overrides) });
    await writeTopicOverrides(broker.store.metadata, resourceName, checked.overrides);
    return result(KafkaErrorCode.NONE, null);
  }
  if (resourceType === ConfigResourceType.BROKER) {
    if (!isThisBroker(resourceName, state.config.nodeId)) {
      return result(
        KafkaErrorCode.INVALID_REQUEST,
        `broker '${resourceName}' is not this broker (${state.config.nodeId})`,
      );
    }
    const first = resource.configs[0];
    if (first !== undefined) {
      return result(
        KafkaErrorCode.INVALID_CONFIG,
        `broker config '${first.name}' is read-only: set it in the gateway's config`,
      );
    }
    return result(KafkaErrorCode.NONE, null);
  }
  return result(
    KafkaErrorCode.INVALID_REQUEST,
    `resource type ${resourceType} is not supported; topics (2) and brokers (4) are`,
  );
}

/**
 * AlterConfigs (the non-incremental one): a topic's configs are replaced as a whole, unlisted ones revert to
 * their defaults; broker configs are read-only (INVALID_CONFIG).
 */
export const alterConfigsHandler: KafkaApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  codec: alterConfigsCodec,
  async handle(request, context) {
    const responses: AlterConfigsResourceResponse[] = [];
    for (const resource of request.resources) responses.push(await alter(resource, request.validateOnly, context));
    return { throttleTimeMs: 0, responses };
  },
};
