import { type DeleteGroupsRequest, type DeleteGroupsResponse, deleteGroupsCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** DeleteGroups: groups without members only (NON_EMPTY_GROUP otherwise); their offsets are deleted. */
export const deleteGroupsHandler: KafkaApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  codec: deleteGroupsCodec,
  async handle(request, context) {
    return {
      throttleTimeMs: 0,
      results: await requireGroupCoordinator(context.state).deleteGroups(request.groupsNames),
    };
  },
};
