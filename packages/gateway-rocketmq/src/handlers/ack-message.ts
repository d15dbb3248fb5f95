import { isServerFault, statusOfError } from '../error-status.js';
import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { AckMessageRequest, AckMessageResponse, WireStatus } from '../proto/wire-types.js';
import { groupName, readableTopicName } from '../resource-names.js';
import { combineStatuses, statusOf } from '../status.js';
import { receiptStatus } from './receipt-status.js';

/**
 * AckMessage: each entry's handle (the original one for renewed deliveries) is acked with the broker.
 * Each entry has its own status and the top-level status sums them up, since the SimpleConsumer reads
 * only that one. INVALID_RECEIPT_HANDLE for stale handles (the push consumer then stops retrying).
 */
export async function ackMessage(
  context: GatewayContext,
  request: AckMessageRequest,
  _call: CallInfo,
): Promise<AckMessageResponse> {
  const requested = request.entries ?? [];
  const refuseAll = (status: WireStatus): AckMessageResponse => ({
    status,
    entries: requested.map((entry) => ({
      messageId: entry.messageId ?? '',
      receiptHandle: entry.receiptHandle ?? '',
      status,
    })),
  });
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return refuseAll(topic.status);
  const group = groupName(request.group);
  if ('status' in group) return refuseAll(group.status);
  if (requested.length === 0) return { status: statusOf('BAD_REQUEST', 'AckMessage carries no entry'), entries: [] };
  const entries: NonNullable<AckMessageResponse['entries']> = [];
  for (const entry of requested) {
    const receiptHandle = entry.receiptHandle ?? '';
    let status: WireStatus;
    try {
      if (receiptHandle === '') {
        status = statusOf('INVALID_RECEIPT_HANDLE', 'receipt handle is empty');
      } else {
        const current = await context.renewer.settle(receiptHandle);
        status = receiptStatus((await context.broker.ack(group.name, topic.name, current)).status);
      }
    } catch (error) {
      if (isServerFault(error)) context.logger.error('rocketmq gateway: ack failed', { error: String(error) });
      status = statusOfError(error);
    }
    entries.push({ messageId: entry.messageId ?? '', receiptHandle, status });
  }
  return { status: combineStatuses(entries.map((entry) => entry.status)), entries };
}
