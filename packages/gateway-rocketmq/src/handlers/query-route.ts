import { resolvePlacements } from '../cluster-route.js';
import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { QueryRouteRequest, QueryRouteResponse } from '../proto/wire-types.js';
import { readableTopicName } from '../resource-names.js';
import { routeQueues } from '../route.js';
import { OK_STATUS } from '../status.js';

/**
 * QueryRoute: the topic's queues on every live broker that holds it, each broker with its own gRPC
 * endpoint (as RocketMQ's proxy answers from the name server's `TopicRouteData`), so that clients send
 * to and receive from each broker directly and a producer retries on another broker when one fails.
 * Without name servers, or when none of them knows the topic, the route is this broker's alone: an
 * unknown topic is created when the broker auto-creates topics, else TOPIC_NOT_FOUND (the client
 * throws NotFoundException). The request's `endpoints` (the client's access point) are not needed.
 */
export async function queryRoute(
  context: GatewayContext,
  request: QueryRouteRequest,
  _call: CallInfo,
): Promise<QueryRouteResponse> {
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return { status: topic.status, messageQueues: [] };
  const placements = await resolvePlacements(context, topic.name);
  const messageQueues = placements.flatMap(({ config, broker }) => routeQueues(config, broker));
  return { status: OK_STATUS, messageQueues };
}
