import { type LeaveGroupRequest, type LeaveGroupResponse, leaveGroupCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** LeaveGroup: members leave at once (v3+ in a batch, by instance id for static members). */
export const leaveGroupHandler: KafkaApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  codec: leaveGroupCodec,
  async handle(request, context) {
    const result = requireGroupCoordinator(context.state).leaveGroup(request.groupId, request.members);
    // Before v3 the one member's outcome is the response's only error code.
    const errorCode =
      context.apiVersion >= 3 || result.errorCode !== 0 ? result.errorCode : (result.members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode, members: result.members };
  },
};
