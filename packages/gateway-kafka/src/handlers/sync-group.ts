import { type SyncGroupRequest, type SyncGroupResponse, syncGroupCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** SyncGroup: the leader hands out assignments; followers wait for theirs. */
export const syncGroupHandler: KafkaApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  codec: syncGroupCodec,
  async handle(request, context) {
    const result = await requireGroupCoordinator(context.state).syncGroup(request);
    return { throttleTimeMs: 0, ...result };
  },
};
