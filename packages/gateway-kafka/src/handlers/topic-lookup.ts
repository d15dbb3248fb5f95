import type { Broker } from '@eddy/broker';
import { type TopicConfig, validateTopicName } from '@eddy/message';
import { KafkaErrorCode } from '@eddy/protocol-kafka';

/** A topic as a Kafka request sees it: its config, or the partition-level error to answer with. */
export type TopicLookup = { readonly topic: TopicConfig } | { readonly errorCode: number };

/**
 * Looks topics up once per request: an invalid name is `INVALID_TOPIC_EXCEPTION`, a missing topic
 * `UNKNOWN_TOPIC_OR_PARTITION` (Kafka never auto-creates on Produce or Fetch).
 */
export function topicLookup(broker: Broker): (name: string) => Promise<TopicLookup> {
  const cache = new Map<string, Promise<TopicLookup>>();
  return (name) => {
    let found = cache.get(name);
    if (found === undefined) {
      found = lookUp(broker, name);
      cache.set(name, found);
    }
    return found;
  };
}

async function lookUp(broker: Broker, name: string): Promise<TopicLookup> {
  const invalid = validateTopicName(name);
  if (invalid !== undefined && invalid.code === 'INVALID_NAME')
    return { errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION };
  const topic = await broker.topics.get(name);
  return topic === undefined ? { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION } : { topic };
}

/** The error for `partition` of a looked-up topic, or 0 when it is one of the topic's partitions (read queues). */
export function partitionError(lookup: TopicLookup, partition: number): number {
  if ('errorCode' in lookup) return lookup.errorCode;
  const valid = Number.isInteger(partition) && partition >= 0 && partition < lookup.topic.readQueueNums;
  return valid ? KafkaErrorCode.NONE : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}
