import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { HeartbeatRequest, StatusOnlyResponse } from '../proto/wire-types.js';
import { groupName } from '../resource-names.js';
import { OK_STATUS, statusOf } from '../status.js';

/**
 * Heartbeat (every 10 s from each client): keeps the client alive here and, for consumers, keeps it a
 * member of its group in `broker.groups` (with the subscriptions its last settings named).
 */
export function heartbeat(context: GatewayContext, request: HeartbeatRequest, call: CallInfo): StatusOnlyResponse {
  if (call.clientId === undefined)
    return { status: statusOf('CLIENT_ID_REQUIRED', 'x-mq-client-id header is missing') };
  switch (request.clientType) {
    case 'PRODUCER':
      context.clients.touch(call.clientId).clientType = 'PRODUCER';
      return { status: OK_STATUS };
    case 'PUSH_CONSUMER':
    case 'SIMPLE_CONSUMER': {
      const group = groupName(request.group);
      if ('status' in group) return { status: group.status };
      context.clients.touch(call.clientId).clientType = request.clientType;
      context.clients.joinGroup(call.clientId, group.name);
      return { status: OK_STATUS };
    }
    default:
      return {
        status: statusOf('UNRECOGNIZED_CLIENT_TYPE', `client type ${String(request.clientType)} is not served here`),
      };
  }
}
