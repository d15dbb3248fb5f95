import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { EndTransactionRequest, StatusOnlyResponse } from '../proto/wire-types.js';
import { OK_STATUS, statusOf } from '../status.js';

/**
 * EndTransaction: commits or rolls back a half message by the transaction id its SendMessage entry
 * returned, from the producer itself (SOURCE_CLIENT) or as the answer to a check-back
 * (SOURCE_SERVER_CHECK). INVALID_TRANSACTION_ID when no such transaction is pending any more.
 */
export async function endTransaction(
  context: GatewayContext,
  request: EndTransactionRequest,
  _call: CallInfo,
): Promise<StatusOnlyResponse> {
  const transactionId = request.transactionId ?? '';
  if (transactionId === '') return { status: statusOf('INVALID_TRANSACTION_ID', 'transaction id is empty') };
  if (request.resolution !== 'COMMIT' && request.resolution !== 'ROLLBACK') {
    return {
      status: statusOf('BAD_REQUEST', `resolution must be COMMIT or ROLLBACK, got ${String(request.resolution)}`),
    };
  }
  const result = await context.broker.endTransaction({
    transactionId,
    resolution: request.resolution === 'COMMIT' ? 'commit' : 'rollback',
    fromCheck: request.source === 'SOURCE_SERVER_CHECK',
  });
  if (result.status === 'ok') return { status: OK_STATUS };
  return {
    status: statusOf(
      'INVALID_TRANSACTION_ID',
      `no pending transaction '${transactionId}': unknown, already resolved, or rolled back after too many checks`,
    ),
  };
}
