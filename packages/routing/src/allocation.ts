import { EddyError } from '@eddy/message';
import { compareStrings } from './compare-strings.js';
import { compareMessageQueues, type MessageQueue, messageQueueKey } from './route-data.js';
import { murmurHash3 } from './stable-hash.js';

/**
 * How a consumer group shares a topic's queues (RocketMQ's `AllocateMessageQueueStrategy`). Every client
 * of the group calls it with the same queues and client ids (in whatever order it learnt them) and takes
 * the queues it returns for `currentClientId`; the strategies below sort and de-duplicate their inputs,
 * so all clients agree without talking to each other. A client not in `allClientIds` gets nothing.
 */
export type AllocateMessageQueueStrategy = (
  consumerGroup: string,
  currentClientId: string,
  allQueues: readonly MessageQueue[],
  allClientIds: readonly string[],
) => MessageQueue[];

/** Sorted, without duplicates (a queue or client listed twice must not skew the shares). */
function normalise(allQueues: readonly MessageQueue[], allClientIds: readonly string[]) {
  const queues: MessageQueue[] = [];
  for (const queue of [...allQueues].sort(compareMessageQueues)) {
    const previous = queues[queues.length - 1];
    if (previous === undefined || compareMessageQueues(previous, queue) !== 0) queues.push(queue);
  }
  const clientIds = [...new Set(allClientIds)].sort(compareStrings);
  return { queues, clientIds };
}

/**
 * RocketMQ's default, `AllocateMessageQueueAveragely`: contiguous blocks of the sorted queues in the order
 * of the sorted client ids; the first `queues mod clients` clients take one extra. With more clients
 * than queues the last clients get nothing. Shares differ by at most one.
 */
export const allocateAveragely: AllocateMessageQueueStrategy = (_group, currentClientId, allQueues, allClientIds) => {
  const { queues, clientIds } = normalise(allQueues, allClientIds);
  const index = clientIds.indexOf(currentClientId);
  if (index < 0 || queues.length === 0) return [];
  const clients = clientIds.length;
  const mod = queues.length % clients;
  const averageSize =
    queues.length <= clients
      ? 1
      : mod > 0 && index < mod
        ? Math.floor(queues.length / clients) + 1
        : Math.floor(queues.length / clients);
  const startIndex = mod > 0 && index < mod ? index * averageSize : index * averageSize + mod;
  const range = Math.min(averageSize, queues.length - startIndex);
  return range > 0 ? queues.slice(startIndex, startIndex + range) : [];
};

/**
 * RocketMQ's `AllocateMessageQueueAveragelyByCircle`: queue `i` of the sorted queues goes to client
 * `i mod clients` of the sorted client ids, so each client's queues are spread over the brokers.
 * Shares differ by at most one.
 */
export const allocateAveragelyByCircle: AllocateMessageQueueStrategy = (
  _group,
  currentClientId,
  allQueues,
  allClientIds,
) => {
  const { queues, clientIds } = normalise(allQueues, allClientIds);
  const index = clientIds.indexOf(currentClientId);
  if (index < 0) return [];
  return queues.filter((_, position) => position % clientIds.length === index);
};

/** RocketMQ's default number of virtual nodes per client on the consistent-hash ring. */
export const DEFAULT_VIRTUAL_NODE_COUNT = 10;
/** Most virtual nodes per client. */
export const MAX_VIRTUAL_NODE_COUNT = 10_000;

/**
 * RocketMQ's `AllocateMessageQueueConsistentHash` with `virtualNodeCount` points per client. Ring points
 * and queues are placed with {@link murmurHash3} (seed 0) of the UTF-8 strings `clientId#i` (i from 0) and
 * `topic@brokerName@queueId`; a queue belongs to the first point clockwise from it (equal points are
 * ordered by client id). When a client joins or leaves, only the queues on the arcs it gains or loses
 * move; shares are uneven, more so with few virtual nodes.
 *
 * @throws EddyError `INVALID_ARGUMENT` when `virtualNodeCount` is not an integer in 1..{@link MAX_VIRTUAL_NODE_COUNT}.
 */
export function consistentHashStrategy(virtualNodeCount = DEFAULT_VIRTUAL_NODE_COUNT): AllocateMessageQueueStrategy {
  if (!Number.isInteger(virtualNodeCount) || virtualNodeCount < 1 || virtualNodeCount > MAX_VIRTUAL_NODE_COUNT) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `virtualNodeCount is ${virtualNodeCount}; it must be an integer from 1 to ${MAX_VIRTUAL_NODE_COUNT}`,
    );
  }
  return (_group, currentClientId, allQueues, allClientIds) => {
    const { queues, clientIds } = normalise(allQueues, allClientIds);
    if (!clientIds.includes(currentClientId)) return [];
    const ring: { readonly point: number; readonly clientId: string }[] = [];
    for (const clientId of clientIds) {
      for (let node = 0; node < virtualNodeCount; node++)
        ring.push({ point: murmurHash3(`${clientId}#${node}`), clientId });
    }
    ring.sort((a, b) => a.point - b.point || compareStrings(a.clientId, b.clientId));
    return queues.filter((queue) => ownerOn(ring, murmurHash3(messageQueueKey(queue))) === currentClientId);
  };
}

// The first ring point at or after `point`, wrapping around: binary search over the sorted ring.
function ownerOn(ring: readonly { readonly point: number; readonly clientId: string }[], point: number): string {
  let low = 0;
  let high = ring.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ring[middle] as { point: number }).point < point) low = middle + 1;
    else high = middle;
  }
  return (ring[low] ?? ring[0])?.clientId as string;
}

/** {@link consistentHashStrategy} with {@link DEFAULT_VIRTUAL_NODE_COUNT} virtual nodes. */
export const allocateConsistentHash: AllocateMessageQueueStrategy = consistentHashStrategy();

/**
 * RocketMQ's `AllocateMessageQueueByConfig`: a fixed list of queues, for a client configured by hand.
 * Of that list it returns, sorted, the queues present in `allQueues` (a configured queue that no longer
 * exists is not consumed), and nothing to a client not in `allClientIds`. Nothing stops two clients being
 * configured with the same queue: each process gives its own list.
 */
export function allocateByConfig(configuredQueues: readonly MessageQueue[]): AllocateMessageQueueStrategy {
  const configured = new Set(configuredQueues.map(messageQueueKey));
  return (_group, currentClientId, allQueues, allClientIds) => {
    const { queues, clientIds } = normalise(allQueues, allClientIds);
    if (!clientIds.includes(currentClientId)) return [];
    return queues.filter((queue) => configured.has(messageQueueKey(queue)));
  };
}

/**
 * The strategies a group may name in its configuration, by RocketMQ's `getName()`: `AVG`,
 * `AVG_BY_CIRCLE`, `CONSISTENT_HASH` (by config needs its list, so it is not here).
 */
export const ALLOCATION_STRATEGIES: Readonly<
  Record<'AVG' | 'AVG_BY_CIRCLE' | 'CONSISTENT_HASH', AllocateMessageQueueStrategy>
> = {
  AVG: allocateAveragely,
  AVG_BY_CIRCLE: allocateAveragelyByCircle,
  CONSISTENT_HASH: allocateConsistentHash,
};

/**
 * The whole group's assignment, as each client would compute it: client id → its queues, clients in
 * sorted order without duplicates. For checks, admin views and broker-side balancing.
 */
export function allocateAll(
  strategy: AllocateMessageQueueStrategy,
  queues: readonly MessageQueue[],
  clientIds: readonly string[],
  consumerGroup = '',
): Map<string, MessageQueue[]> {
  const assignment = new Map<string, MessageQueue[]>();
  for (const clientId of [...new Set(clientIds)].sort(compareStrings)) {
    assignment.set(clientId, strategy(consumerGroup, clientId, queues, clientIds));
  }
  return assignment;
}
