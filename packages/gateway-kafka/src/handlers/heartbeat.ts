import { type HeartbeatRequest, type HeartbeatResponse, heartbeatCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler } from '../handler.js';

/** Heartbeat: keeps a member's session; REBALANCE_IN_PROGRESS asks it to rejoin. */
export const heartbeatHandler: KafkaApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  codec: heartbeatCodec,
  async handle(request, context) {
    return { throttleTimeMs: 0, errorCode: requireGroupCoordinator(context.state).heartbeat(request) };
  },
};
