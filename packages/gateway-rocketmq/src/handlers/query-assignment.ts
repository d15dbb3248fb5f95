import { resolvePlacements } from '../cluster-route.js';
import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { QueryAssignmentRequest, QueryAssignmentResponse } from '../proto/wire-types.js';
import { groupName, readableTopicName } from '../resource-names.js';
import { assignmentQueues, isReadable } from '../route.js';
import { OK_STATUS, statusOf } from '../status.js';

/**
 * QueryAssignment (push consumers, every 5 s): which queues to receive from, on every broker that holds
 * the topic (see QueryRoute). The answer always has a status (the client throws without one);
 * FORBIDDEN when no broker has a readable queue, as RocketMQ's proxy answers. A group consuming a FIFO
 * topic gets one assignment per read queue; any other one queue −1 per broker, meaning "all queues of
 * that broker" (see `assignmentQueues`).
 */
export async function queryAssignment(
  context: GatewayContext,
  request: QueryAssignmentRequest,
  _call: CallInfo,
): Promise<QueryAssignmentResponse> {
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return { status: topic.status, assignments: [] };
  const group = groupName(request.group);
  if ('status' in group) return { status: group.status, assignments: [] };
  const readable = (await resolvePlacements(context, topic.name)).filter(({ config }) => isReadable(config));
  if (readable.length === 0) {
    return { status: statusOf('FORBIDDEN', `topic '${topic.name}' has no readable queue`), assignments: [] };
  }
  const queues = readable.flatMap(({ config, broker }) =>
    assignmentQueues(config, broker, config.messageType === 'FIFO'),
  );
  return { status: OK_STATUS, assignments: queues.map((messageQueue) => ({ messageQueue })) };
}
