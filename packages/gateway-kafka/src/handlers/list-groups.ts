import { type ListGroupsRequest, type ListGroupsResponse, listGroupsCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/**
 * ListGroups: Kafka groups plus groups that only have committed offsets (RocketMQ groups among them).
 * v4+ carries each group's state (offset-only groups are `Empty`) and filters by state.
 */
export const listGroupsHandler: KafkaApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  codec: listGroupsCodec,
  async handle(request, context) {
    const coordinator = requireGroupCoordinator(context.state);
    const groups = await coordinator.listGroups();
    if (context.apiVersion < 4) return { throttleTimeMs: 0, errorCode: 0, groups };
    const wanted = new Set((request.statesFilter ?? []).map((state) => state.toLowerCase()));
    const withState = groups.map((group) => {
      const state = coordinator.groupState(group.groupId);
      return { ...group, groupState: state === 'Dead' ? 'Empty' : state };
    });
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: wanted.size === 0 ? withState : withState.filter((group) => wanted.has(group.groupState.toLowerCase())),
    };
  },
};
