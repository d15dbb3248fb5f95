import { type JoinGroupRequest, type JoinGroupResponse, joinGroupCodec } from '@eddy/protocol-kafka';
import { requireGroupCoordinator } from '../group-coordinator.js';
import type { KafkaApiHandler, KafkaConnection } from '../handler.js';

/** JoinGroup: held until the group's rebalance completes (up to the rebalance timeout). */
export const joinGroupHandler: KafkaApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  codec: joinGroupCodec,
  async handle(request, context) {
    const result = await requireGroupCoordinator(context.state).joinGroup({
      ...request,
      clientId: context.clientId ?? '',
      clientHost: clientHost(context.connection),
      // KIP-394: from v4 the client handles MEMBER_ID_REQUIRED by rejoining with the id it carries.
      requireKnownMemberId: context.apiVersion >= 4,
    });
    return { throttleTimeMs: 0, ...result };
  },
};

/** The peer's address as Kafka shows member hosts: `/127.0.0.1`. */
export function clientHost(connection: KafkaConnection): string {
  const address = connection.remoteAddress;
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon) : address;
  return `/${host.replace(/^\[|\]$/g, '')}`;
}
