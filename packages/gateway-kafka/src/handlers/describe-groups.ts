import { type DescribeGroupsRequest, type DescribeGroupsResponse, describeGroupsCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** DescribeGroups: state, protocol and members; unknown groups are `Dead` (Kafka's answer). */
export const describeGroupsHandler: KafkaApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  codec: describeGroupsCodec,
  async handle(request, context) {
    const coordinator = requireGroupCoordinator(context.state);
    const groups = [];
    for (const groupId of request.groups) {
      groups.push(await coordinator.describeGroup(groupId, request.includeAuthorizedOperations));
    }
    return { throttleTimeMs: 0, groups };
  },
};
