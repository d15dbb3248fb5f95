import { isServerFault, statusOfError } from '../error-status.js';
import type { CallInfo, GatewayContext } from '../gateway-context.js';
import { messageFromWire } from '../message-from-wire.js';
import { topicAccepts } from '../message-type.js';
import type { SendMessageRequest, SendMessageResponse, SendResultEntry, WireMessage } from '../proto/wire-types.js';
import { combineStatuses, OK_STATUS, statusOf } from '../status.js';

/**
 * SendMessage: each message is checked (`messageFromWire`, the topic's message type) and stored with
 * `broker.send`, in request order. The queue is chosen here, never taken from the request: the Node
 * client always names queue 0 (see `queuePermission`), so the broker hashes the message group of a
 * FIFO message and round-robins the others, as RocketMQ's proxy re-selects queues too. A transactional
 * message becomes a half message; its entry carries the transaction id EndTransaction needs. Each entry
 * echoes the client's message id; the top-level status sums the entries up.
 */
export async function sendMessage(
  context: GatewayContext,
  request: SendMessageRequest,
  call: CallInfo,
): Promise<SendMessageResponse> {
  const messages = request.messages ?? [];
  if (messages.length === 0) return { status: statusOf('BAD_REQUEST', 'SendMessage carries no message'), entries: [] };
  const entries: SendResultEntry[] = [];
  for (const wire of messages) entries.push(await sendOne(context, wire, call));
  return { status: combineStatuses(entries.map((entry) => entry.status)), entries };
}

async function sendOne(context: GatewayContext, wire: WireMessage, call: CallInfo): Promise<SendResultEntry> {
  const messageId = wire.systemProperties?.messageId ?? '';
  const inbound = messageFromWire(wire, { now: context.broker.clock.now(), peerHost: call.peerHost });
  if (!inbound.ok) return { status: inbound.status, messageId };
  const { message, type } = inbound;
  try {
    const topic = await context.broker.topics.resolve(message.topic);
    if (!topicAccepts(topic.messageType, type)) {
      return {
        status: statusOf(
          'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
          `topic '${topic.name}' accepts ${topic.messageType} messages; this one is ${type}`,
        ),
        messageId,
      };
    }
    const result = await context.broker.send(message);
    return {
      status: OK_STATUS,
      messageId: result.messageId,
      transactionId: result.transactionId ?? '',
      offset: result.queueOffset,
      recallHandle: '',
    };
  } catch (error) {
    if (isServerFault(error)) {
      context.logger.error('rocketmq gateway: SendMessage failed', { topic: message.topic, error: String(error) });
    }
    return { status: statusOfError(error), messageId };
  }
}
