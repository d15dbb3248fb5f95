import {
  type AllocateMessageQueueStrategy,
  allocateAveragely,
  compareMessageQueues,
  type MessageQueue,
  sortMessageQueues,
} from '@eddy/routing';
import type { MessageModel } from './consumer-group-registry.js';

/** What {@link assignQueues} needs of a member: a registry `ConsumerMember` fits. */
export interface AssignableMember {
  readonly clientId: string;
  readonly messageModel: MessageModel;
  readonly subscriptions: readonly { readonly topic: string }[];
}

/** The input of {@link assignQueues}. */
export interface AssignQueuesRequest<Queue extends MessageQueue | number> {
  readonly group: string;
  readonly topic: string;
  /** The member asking for its share. */
  readonly clientId: string;
  /** The topic's queues: queue ids of this broker, or full queues across brokers. */
  readonly queues: readonly Queue[];
  /** The group's live members (e.g. `ConsumerGroupRegistry.members(group)`), in any order. */
  readonly members: readonly AssignableMember[];
  /** How CLUSTERING members share the queues. Default: {@link allocateAveragely}. */
  readonly strategy?: AllocateMessageQueueStrategy;
}

// Queue ids stand for queues of one broker; the name only has to be the same for every member.
const LOCAL_BROKER = '';

/**
 * The queues of `topic` that `clientId` consumes, sorted, in the same kind as given (queue ids in, queue
 * ids out). Pure: every member and the broker compute the same answer from the same inputs, whatever
 * their order.
 *
 * - A BROADCASTING member gets every queue.
 * - A CLUSTERING member gets its share under `strategy`, shared among the CLUSTERING members that
 *   subscribe to `topic` (RocketMQ rebalances per topic, so a member of an inconsistent group that does
 *   not subscribe takes no share). With the default strategy each queue goes to exactly one of them.
 * - A client that is not a member, or does not subscribe to `topic`, gets nothing.
 */
export function assignQueues(request: AssignQueuesRequest<number>): number[];
export function assignQueues(request: AssignQueuesRequest<MessageQueue>): MessageQueue[];
export function assignQueues(request: AssignQueuesRequest<MessageQueue | number>): (MessageQueue | number)[] {
  const { group, topic, clientId, members, strategy = allocateAveragely } = request;
  const byId = request.queues.every((queue) => typeof queue === 'number');
  const queues = request.queues.map(
    (queue): MessageQueue => (typeof queue === 'number' ? { topic, brokerName: LOCAL_BROKER, queueId: queue } : queue),
  );
  const subscribes = (member: AssignableMember): boolean =>
    member.subscriptions.some((subscription) => subscription.topic === topic);
  const self = members.find((member) => member.clientId === clientId);
  if (self === undefined || !subscribes(self)) return [];

  let mine: MessageQueue[];
  if (self.messageModel === 'BROADCASTING') {
    mine = dedupe(queues);
  } else {
    const clientIds = members
      .filter((member) => member.messageModel === 'CLUSTERING' && subscribes(member))
      .map((member) => member.clientId);
    mine = strategy(group, clientId, queues, clientIds);
  }
  return byId ? mine.map((queue) => queue.queueId) : mine;
}

function dedupe(queues: readonly MessageQueue[]): MessageQueue[] {
  return sortMessageQueues(queues).filter(
    (queue, index, sorted) => index === 0 || compareMessageQueues(sorted[index - 1] as MessageQueue, queue) !== 0,
  );
}
