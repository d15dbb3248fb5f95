import { filterFromWire } from '../filter.js';
import { type CallInfo, endpointOf, type GatewayContext } from '../gateway-context.js';
import { messageToWire } from '../message-to-wire.js';
import type { ReceiveMessageRequest, ReceiveMessageResponse, WireStatus } from '../proto/wire-types.js';
import { batchSizeOf, longPollingMs, popQueueIds, receiveInvisibleDuration } from '../receive-options.js';
import { groupName, readableTopicName } from '../resource-names.js';
import { OK_STATUS, statusOf } from '../status.js';
import { durationToMs, msToTimestamp } from '../time.js';

/** Where a receive writes its stream; the caller ends the stream after the handler returns. */
export type ReceiveWriter = (response: ReceiveMessageResponse) => void;

/**
 * ReceiveMessage: pops up to `batch_size` messages for the group, waiting up to the long-polling time
 * (see `longPollingMs`), and writes them as the client expects: one status (OK, or MESSAGE_NOT_FOUND
 * when none came), then one response per message, then the delivery timestamp. The caller then ENDS
 * the stream: the client collects it until the end and fails the whole receive at its deadline.
 *
 * Push consumers (`auto_renew`) get a 60 s invisible time, renewed while they live (see
 * `InvisibilityRenewer`). A call cancelled while it waited hands its messages back at once (invisible
 * time 0) instead of leaving them invisible for the whole duration.
 *
 * Topics typed FIFO or MIXED are popped in FIFO mode: a message of a message group waits until the
 * earlier ones of its group are acked, so FIFO messages keep their order whatever the consumer;
 * messages without a group are unaffected.
 *
 * @returns the status code written (`CANCELLED` when none was), for metrics.
 */
export async function receiveMessage(
  context: GatewayContext,
  request: ReceiveMessageRequest,
  call: CallInfo,
  write: ReceiveWriter,
): Promise<string> {
  const refuse = (status: WireStatus): string => {
    write({ status });
    return status.code;
  };
  if (call.clientId === undefined) return refuse(statusOf('CLIENT_ID_REQUIRED', 'x-mq-client-id header is missing'));
  const clientId = call.clientId;
  // A receiving consumer is alive: its renewals go on (see InvisibilityRenewer).
  context.clients.touch(clientId);
  const group = groupName(request.group);
  if ('status' in group) return refuse(group.status);
  const topic = readableTopicName(request.messageQueue?.topic);
  if ('status' in topic) return refuse(topic.status);
  const autoRenew = request.autoRenew === true;
  const invisible = receiveInvisibleDuration(durationToMs(request.invisibleDuration));
  if ('status' in invisible) return refuse(invisible.status);

  const { broker } = context;
  const config = await broker.topics.resolve(topic.name);
  const result = await broker.pop({
    group: group.name,
    topic: topic.name,
    clientId,
    maxMessages: batchSizeOf(request.batchSize),
    invisibleDurationMs: invisible.ms,
    filter: filterFromWire(request.filterExpression),
    pollTimeoutMs: longPollingMs(durationToMs(request.longPollingTimeout), call.deadlineInMs, context.maxLongPollingMs),
    queueIds: popQueueIds(request.messageQueue?.id, autoRenew),
    fifo: config.messageType === 'FIFO' || config.messageType === 'MIXED',
  });

  if (call.cancelled()) {
    await Promise.allSettled(
      result.messages.map((popped) => broker.changeInvisibleDuration(group.name, topic.name, popped.receiptHandle, 0)),
    );
    return 'CANCELLED';
  }
  const status = result.messages.length > 0 ? OK_STATUS : statusOf('MESSAGE_NOT_FOUND', 'no new message');
  write({ status });
  const storeHost = endpointOf(context.advertised);
  for (const popped of result.messages) {
    if (autoRenew) {
      context.renewer.track(clientId, group.name, topic.name, popped.receiptHandle, popped.invisibleUntil);
    }
    write({
      message: messageToWire(popped.message, storeHost, {
        receiptHandle: popped.receiptHandle,
        deliveryAttempt: popped.deliveryAttempt,
        invisibleDurationMs: invisible.ms,
      }),
    });
  }
  write({ deliveryTimestamp: msToTimestamp(broker.clock.now()) });
  return status.code;
}
