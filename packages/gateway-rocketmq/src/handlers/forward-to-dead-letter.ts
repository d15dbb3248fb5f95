import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { ForwardMessageToDeadLetterQueueRequest, StatusOnlyResponse } from '../proto/wire-types.js';
import { groupName, readableTopicName } from '../resource-names.js';
import { OK_STATUS, statusOf } from '../status.js';

/**
 * ForwardMessageToDeadLetterQueue (a FIFO push consumer out of attempts): the delivery moves to
 * `%DLQ%<group>` and is acked.
 *
 * A stale handle (expired, or replaced by a redelivery) answers OK with a message saying nothing moved,
 * not INVALID_RECEIPT_HANDLE: the Node push consumer retries any non-OK answer every second forever
 * and holds the rest of its FIFO batch behind it. Nothing is lost: the message is delivered again, and
 * its next failure is dead-lettered with a fresh handle. RocketMQ's proxy ends the same way in effect,
 * since it dead-letters by the handle's offset without checking expiry.
 */
export async function forwardToDeadLetter(
  context: GatewayContext,
  request: ForwardMessageToDeadLetterQueueRequest,
  _call: CallInfo,
): Promise<StatusOnlyResponse> {
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return { status: topic.status };
  const group = groupName(request.group);
  if ('status' in group) return { status: group.status };
  const receiptHandle = request.receiptHandle ?? '';
  if (receiptHandle === '') return { status: statusOf('INVALID_RECEIPT_HANDLE', 'receipt handle is empty') };
  const current = await context.renewer.settle(receiptHandle);
  const result = await context.broker.forwardToDeadLetter(group.name, topic.name, current, {
    reason: 'the consumer ran out of delivery attempts',
    ...(positive(request.deliveryAttempt) ? { deliveryAttempt: request.deliveryAttempt } : {}),
    ...(positive(request.maxDeliveryAttempts) ? { maxDeliveryAttempts: request.maxDeliveryAttempts } : {}),
  });
  if (result.status === 'ok') return { status: OK_STATUS };
  return {
    status: statusOf(
      'OK',
      `receipt handle is ${result.status === 'expired' ? 'expired' : 'no longer valid'}: nothing was dead-lettered; the message is delivered again`,
    ),
  };
}

function positive(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value >= 1;
}
