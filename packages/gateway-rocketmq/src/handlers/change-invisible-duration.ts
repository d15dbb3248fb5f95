import type { CallInfo, GatewayContext } from '../gateway-context.js';
import type { ChangeInvisibleDurationRequest, ChangeInvisibleDurationResponse } from '../proto/wire-types.js';
import { clampInvisibleDuration } from '../receive-options.js';
import { groupName, readableTopicName } from '../resource-names.js';
import { durationToMs } from '../time.js';
import { receiptStatus } from './receipt-status.js';

/**
 * ChangeInvisibleDuration (a nack, or more time): the delivery becomes visible again after the new
 * duration (raised to at least 1 s, see `clampInvisibleDuration`). The answer always carries a receipt
 * handle, the new one on success and the given one otherwise: the SimpleConsumer overwrites its copy
 * with whatever comes back, and an empty handle would break its next ack.
 */
export async function changeInvisibleDuration(
  context: GatewayContext,
  request: ChangeInvisibleDurationRequest,
  _call: CallInfo,
): Promise<ChangeInvisibleDurationResponse> {
  const receiptHandle = request.receiptHandle ?? '';
  const topic = readableTopicName(request.topic);
  if ('status' in topic) return { status: topic.status, receiptHandle };
  const group = groupName(request.group);
  if ('status' in group) return { status: group.status, receiptHandle };
  const duration = clampInvisibleDuration(durationToMs(request.invisibleDuration) ?? 0);
  if ('status' in duration) return { status: duration.status, receiptHandle };
  const current = await context.renewer.settle(receiptHandle);
  const result = await context.broker.changeInvisibleDuration(group.name, topic.name, current, duration.ms);
  return {
    status: receiptStatus(result.status),
    receiptHandle: result.status === 'ok' ? result.receiptHandle : receiptHandle,
  };
}
