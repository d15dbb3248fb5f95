import {
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  offsetFetchCodec,
} from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** OffsetFetch: committed offsets with their metadata, -1 where none (v8+: for each group asked for). */
export const offsetFetchHandler: KafkaApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  codec: offsetFetchCodec,
  async handle(request, context) {
    const coordinator = requireGroupCoordinator(context.state);
    if (context.apiVersion < 8) {
      const result = await coordinator.fetchOffsets(request.groupId, request.topics);
      return { throttleTimeMs: 0, ...result };
    }
    const groups: OffsetFetchResponseGroup[] = [];
    for (const group of request.groups ?? [{ groupId: request.groupId, topics: request.topics }]) {
      groups.push({ groupId: group.groupId, ...(await coordinator.fetchOffsets(group.groupId, group.topics)) });
    }
    return { throttleTimeMs: 0, topics: groups[0]?.topics ?? [], errorCode: groups[0]?.errorCode ?? 0, groups };
  },
};
