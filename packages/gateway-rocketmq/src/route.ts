import { isIPv4, isIPv6 } from 'node:net';
import { Permission, type TopicConfig } from '@eddy/message';
import { acceptedMessageTypes } from './message-type.js';
import type { WireBroker, WireEndpoints, WireMessageQueue, WirePermission } from './proto/wire-types.js';

/** The queue id of an assignment that stands for every queue of a broker (RocketMQ's proxy uses it too). */
export const WHOLE_BROKER_QUEUE_ID = -1;

/** Where clients reach this broker: its name in routes and the advertised host and port. */
export interface AdvertisedBroker {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** `Endpoints` for one `host:port`, with the scheme the host is written in. */
export function wireEndpoints(host: string, port: number): WireEndpoints {
  const scheme = isIPv4(host) ? 'IPv4' : isIPv6(host) ? 'IPv6' : 'DOMAIN_NAME';
  return { scheme, addresses: [{ host, port }] };
}

function wireBroker(broker: AdvertisedBroker): WireBroker {
  // Id 0: the master. The broker is its own only replica.
  return { name: broker.name, id: 0, endpoints: wireEndpoints(broker.host, broker.port) };
}

/**
 * The permission of queue `id` of a topic. Ids run over max(read, write) queues with the read-and-write
 * queues FIRST, then read-only, then write-only, masked by the topic's permission bits. RocketMQ's proxy
 * lists read-only queues first; this order is deliberate: the Node client 1.0.8 sends to and receives
 * from queue id 0 only (it compares the queue id where it means the broker id), so queue 0 must be
 * READ_WRITE whenever the topic is.
 */
export function queuePermission(topic: TopicConfig, id: number): WirePermission {
  // With read-and-write queues first, queue `id` is readable below the read count and writable below
  // the write count: the extra queues of the larger count are read-only or write-only.
  const readable = id >= 0 && id < topic.readQueueNums && (topic.perm & Permission.READ) !== 0;
  const writable = id >= 0 && id < topic.writeQueueNums && (topic.perm & Permission.WRITE) !== 0;
  if (readable && writable) return 'READ_WRITE';
  if (readable) return 'READ';
  if (writable) return 'WRITE';
  return 'NONE';
}

/**
 * The `message_queues` of a QueryRoute answer: one entry per queue of the topic on this broker, with
 * `topic`, `broker` and `broker.endpoints` always set (the client dereferences them unchecked) and the
 * topic's accepted message types. The queue a message goes to is chosen by the server anyway (see
 * the SendMessage handler): these ids tell clients how many queues there are, and where.
 */
export function routeQueues(topic: TopicConfig, broker: AdvertisedBroker): WireMessageQueue[] {
  const count = Math.max(topic.readQueueNums, topic.writeQueueNums);
  const queues: WireMessageQueue[] = [];
  for (let id = 0; id < count; id += 1) {
    queues.push(queueOf(topic, broker, id, queuePermission(topic, id)));
  }
  return queues;
}

/** True when consumers may read the topic at all. */
export function isReadable(topic: TopicConfig): boolean {
  return topic.readQueueNums > 0 && (topic.perm & Permission.READ) !== 0;
}

/**
 * The assignments of a QueryAssignment answer (for push consumers). An orderly group gets one per read
 * queue, so that its consumers work on queues in parallel while each queue stays in order; any other
 * group gets one queue {@link WHOLE_BROKER_QUEUE_ID} per broker: the broker balances the group's
 * consumers itself, message by message (pop). Empty when the topic is not readable.
 */
export function assignmentQueues(topic: TopicConfig, broker: AdvertisedBroker, orderly: boolean): WireMessageQueue[] {
  if (!isReadable(topic)) return [];
  if (!orderly) {
    const permission = (topic.perm & Permission.WRITE) !== 0 ? 'READ_WRITE' : 'READ';
    return [queueOf(topic, broker, WHOLE_BROKER_QUEUE_ID, permission)];
  }
  const queues: WireMessageQueue[] = [];
  for (let id = 0; id < topic.readQueueNums; id += 1) {
    queues.push(queueOf(topic, broker, id, queuePermission(topic, id)));
  }
  return queues;
}

function queueOf(
  topic: TopicConfig,
  broker: AdvertisedBroker,
  id: number,
  permission: WirePermission,
): WireMessageQueue {
  return {
    topic: { resourceNamespace: '', name: topic.name },
    id,
    permission,
    broker: wireBroker(broker),
    acceptMessageTypes: acceptedMessageTypes(topic.messageType),
  };
}
