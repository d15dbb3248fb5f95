import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { QueryRouteRequest, QueryRouteResponse } from '../proto/wire-types.js';
import { readableTopicName } from '../resource-names.js';
import { routeQueues } from '../route.js';
import { OK_STATUS } from '../status.js';

/**
 * QueryRoute: the topic's queues on this broker. An unknown topic is created when the broker
 * auto-creates topics, else TOPIC_NOT_FOUND (the client throws NotFoundException). The request's
 * `endpoints` (the client's access point) are not needed: this broker is the whole cluster.
 */
export async function queryRoute(
  context: GatewayContext,
  request: QueryRouteRequest,
  _call: CallInfo,
): Promise<QueryRouteResponse> {
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return { status: topic.status, messageQueues: [] };
  const config = await context.broker.topics.resolve(topic.name);
  return { status: OK_STATUS, messageQueues: routeQueues(config, context.advertised) };
}
