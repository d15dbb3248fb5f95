import { Permission } from '@eddy/message';
import { compareStrings } from './compare-strings.js';
import type { LatencyFaultTolerance } from './latency-fault-tolerance.js';
import { MASTER_ID, type MessageQueue, type TopicRouteData } from './route-data.js';
import { stringHashCode } from './stable-hash.js';

/**
 * The queues a producer may send to (RocketMQ's `topicRouteData2TopicPublishInfo`): for each broker
 * (by name) whose queue data has {@link Permission.WRITE} and which has a live master, queue ids
 * `0..writeQueueNums-1`.
 */
export function writableQueuesOf(route: TopicRouteData): MessageQueue[] {
  const masters = new Set(
    route.brokerDatas
      .filter((broker) => broker.brokerAddrs[MASTER_ID] !== undefined)
      .map((broker) => broker.brokerName),
  );
  return queuesOf(route, (queueData) =>
    (queueData.perm & Permission.WRITE) !== 0 && masters.has(queueData.brokerName) ? queueData.writeQueueNums : 0,
  );
}

/**
 * The queues a consumer may read (RocketMQ's `topicRouteData2TopicSubscribeInfo`): for each broker whose
 * queue data has {@link Permission.READ}, queue ids `0..readQueueNums-1`. Slaves can serve reads, so a
 * master is not required.
 */
export function readableQueuesOf(route: TopicRouteData): MessageQueue[] {
  return queuesOf(route, (queueData) => ((queueData.perm & Permission.READ) !== 0 ? queueData.readQueueNums : 0));
}

function queuesOf(route: TopicRouteData, countOf: (queueData: TopicRouteData['queueDatas'][number]) => number) {
  const queues: MessageQueue[] = [];
  const queueDatas = [...route.queueDatas].sort((a, b) => compareStrings(a.brokerName, b.brokerName));
  for (const queueData of queueDatas) {
    const count = countOf(queueData);
    for (let queueId = 0; queueId < count; queueId++) {
      queues.push({ topic: route.topic, brokerName: queueData.brokerName, queueId });
    }
  }
  return queues;
}

/** Options of {@link QueueSelector}. */
export interface QueueSelectorOptions {
  /** Brokers to avoid after slow or failed sends; without it only the retry rule avoids brokers. */
  readonly faultTolerance?: LatencyFaultTolerance;
  /** Uniform in [0, 1), for each topic's starting point (`Math.random` in production). */
  readonly random: () => number;
}

/**
 * Picks the queue for each send (RocketMQ's `MQFaultStrategy.selectOneMessageQueue` with
 * `sendLatencyFaultEnable`): round robin per topic over the writable queues, from a random start
 * (`sendWhichQueue`), skipping brokers the fault tolerance avoids and, on a retry, the broker that
 * just failed.
 *
 * When every queue is ruled out it falls back in order: a queue on another broker than the last one,
 * on the least-bad broker ({@link LatencyFaultTolerance.pickOneAtLeast}); then plain round robin.
 */
export class QueueSelector {
  readonly #faultTolerance: LatencyFaultTolerance | undefined;
  readonly #random: () => number;
  readonly #sendWhichQueue = new Map<string, number>();

  /** @param options the fault tolerance to consult (optional) and the random source for start points. */
  constructor(options: QueueSelectorOptions) {
    this.#faultTolerance = options.faultTolerance;
    this.#random = options.random;
  }

  /**
   * The next value of a topic's `sendWhichQueue` counter: a random start, then +1 per call, kept
   * non-negative with `& 0x7fffffff` as RocketMQ's `ThreadLocalIndex`.
   */
  nextIndex(topic: string): number {
    const current = this.#sendWhichQueue.get(topic);
    const next =
      current === undefined ? Math.floor(this.#random() * 0x7fffffff) & 0x7fffffff : (current + 1) & 0x7fffffff;
    this.#sendWhichQueue.set(topic, next);
    return next;
  }

  /**
   * The queue for the next send of a topic, or `undefined` when there is no writable queue.
   *
   * @param target the topic's route, or its writable queues (as {@link writableQueuesOf} gives them).
   * @param lastBrokerName on a retry, the broker the previous attempt went to.
   */
  selectOneMessageQueue(
    target: TopicRouteData | readonly MessageQueue[],
    lastBrokerName?: string,
  ): MessageQueue | undefined {
    const queues = isQueueList(target) ? target : writableQueuesOf(target);
    const first = queues[0];
    if (first === undefined) return undefined;
    const count = queues.length;
    const start = this.nextIndex(isQueueList(target) ? first.topic : target.topic);
    const fault = this.#faultTolerance;

    for (let offset = 0; offset < count; offset++) {
      const queue = queues[(start + offset) % count] as MessageQueue;
      if (queue.brokerName === lastBrokerName) continue;
      if (fault === undefined || fault.isAvailable(queue.brokerName)) return queue;
    }

    // Every queue is ruled out: prefer a broker other than the one that just failed, the least bad first.
    const others = new Set(queues.map((queue) => queue.brokerName).filter((name) => name !== lastBrokerName));
    const preferred = fault === undefined ? undefined : fault.pickOneAtLeast([...others].sort(compareStrings));
    for (let offset = 0; offset < count; offset++) {
      const queue = queues[(start + offset) % count] as MessageQueue;
      if (preferred === undefined ? others.has(queue.brokerName) : queue.brokerName === preferred) return queue;
    }
    return queues[start % count];
  }
}

function isQueueList(target: TopicRouteData | readonly MessageQueue[]): target is readonly MessageQueue[] {
  return Array.isArray(target);
}

/**
 * Chooses a queue for a message by a key the producer gives (RocketMQ's `MessageQueueSelector`), e.g.
 * an order id, so that related messages share a queue and stay in order.
 */
export interface MessageQueueSelector {
  /**
   * @param queues the topic's writable queues, in a stable order ({@link writableQueuesOf}).
   * @param key what the messages that must stay together share.
   * @returns a member of `queues`, or `undefined` when it is empty.
   */
  select(queues: readonly MessageQueue[], key: string): MessageQueue | undefined;
}

/**
 * RocketMQ's `SelectMessageQueueByHash`: `|hashCode(key)| mod queues.length` with Java's
 * `String.hashCode` ({@link stringHashCode}). The same key gives the same queue as long as the queue
 * list is unchanged; adding or removing queues remaps most keys. Unlike Java, a hash of -2³¹ does not
 * yield a negative index.
 */
export function selectByHash(queues: readonly MessageQueue[], key: string): MessageQueue | undefined {
  if (queues.length === 0) return undefined;
  return queues[Math.abs(stringHashCode(key)) % queues.length];
}

/** RocketMQ's `SelectMessageQueueByRandom`: any queue, uniformly, using the injected `random`. */
export function selectByRandom(queues: readonly MessageQueue[], random: () => number): MessageQueue | undefined {
  if (queues.length === 0) return undefined;
  return queues[Math.min(queues.length - 1, Math.floor(random() * queues.length))];
}

/** {@link selectByHash} as a {@link MessageQueueSelector}. */
export const selectMessageQueueByHash: MessageQueueSelector = { select: selectByHash };

/** {@link selectByRandom} as a {@link MessageQueueSelector}; the key is ignored. */
export function selectMessageQueueByRandom(random: () => number): MessageQueueSelector {
  return { select: (queues) => selectByRandom(queues, random) };
}
