import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { NotifyClientTerminationRequest, StatusOnlyResponse } from '../proto/wire-types.js';
import { OK_STATUS } from '../status.js';

/**
 * NotifyClientTermination (a client's `shutdown()`, which fails unless this answers OK): the client
 * leaves its group at once, its producer registrations end and its messages are no longer renewed.
 */
export function notifyClientTermination(
  context: GatewayContext,
  _request: NotifyClientTerminationRequest,
  call: CallInfo,
): StatusOnlyResponse {
  if (call.clientId !== undefined) context.clients.terminate(call.clientId);
  return { status: OK_STATUS };
}
