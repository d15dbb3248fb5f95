import { type OffsetCommitRequest, type OffsetCommitResponse, offsetCommitCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** OffsetCommit: durable in the broker's offset store (shared with RocketMQ groups) when answered. */
export const offsetCommitHandler: KafkaApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  codec: offsetCommitCodec,
  async handle(request, context) {
    return { throttleTimeMs: 0, topics: await requireGroupCoordinator(context.state).commitOffsets(request) };
  },
};
