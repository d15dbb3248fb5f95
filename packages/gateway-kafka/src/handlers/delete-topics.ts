import {
  type DeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  deleteTopicsCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';

/** DeleteTopics: removes the topic, its messages and its Kafka overrides; unknown → UNKNOWN_TOPIC_OR_PARTITION. */
export const deleteTopicsHandler: KafkaApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  codec: deleteTopicsCodec,
  async handle(request, { broker }) {
    const responses: DeletableTopicResult[] = [];
    for (const name of request.topicNames) {
      // Only configured topics: system topics resolve without a config and are not the client's to delete.
      if ((await broker.topics.get(name)) === undefined) {
        responses.push({ name, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      // The gateway's onTopicDeleted listener drops the overrides, offset metadata and cached batches.
      await broker.topics.delete(name);
      responses.push({ name, errorCode: KafkaErrorCode.NONE });
    }
    return { throttleTimeMs: 0, responses };
  },
};
