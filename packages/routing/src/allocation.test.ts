import { EddyError } from '@eddy/message';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOCATION_STRATEGIES,
  type AllocateMessageQueueStrategy,
  allocateAll,
  allocateAveragely,
  allocateAveragelyByCircle,
  allocateByConfig,
  allocateConsistentHash,
  consistentHashStrategy,
} from './allocation.js';
import { type MessageQueue, messageQueueKey } from './route-data.js';

const queue = (brokerName: string, queueId: number, topic = 'orders'): MessageQueue => ({ topic, brokerName, queueId });
const keysOf = (queues: readonly MessageQueue[]) => queues.map(messageQueueKey);

/** `brokers` brokers of `perBroker` queues each, for one topic. */
function queuesOf(brokers: number, perBroker: number): MessageQueue[] {
  return Array.from({ length: brokers * perBroker }, (_, index) =>
    queue(`broker-${Math.floor(index / perBroker)}`, index % perBroker),
  );
}

const arbitraryQueues = fc
  .uniqueArray(
    fc.record({
      topic: fc.constantFrom('orders', 'payments'),
      brokerName: fc.constantFrom('broker-a', 'broker-b', 'broker-c', 'room@broker-d'),
      queueId: fc.integer({ min: 0, max: 31 }),
    }),
    { selector: messageQueueKey, maxLength: 60 },
  )
  .map((queues) => queues as MessageQueue[]);
const arbitraryClients = fc.uniqueArray(fc.stringMatching(/^[0-9a-z@.:-]{1,12}$/), { minLength: 1, maxLength: 12 });

const fair: [string, AllocateMessageQueueStrategy][] = [
  ['allocateAveragely', allocateAveragely],
  ['allocateAveragelyByCircle', allocateAveragelyByCircle],
];
const all: [string, AllocateMessageQueueStrategy][] = [
  ...fair,
  ['allocateConsistentHash', allocateConsistentHash],
  ['consistentHashStrategy(1)', consistentHashStrategy(1)],
  ['consistentHashStrategy(100)', consistentHashStrategy(100)],
];

describe('allocateAveragely', () => {
  it("hands out RocketMQ's contiguous blocks, extras first", () => {
    const queues = queuesOf(2, 4);
    const assignment = allocateAll(allocateAveragely, queues, ['c3', 'c1', 'c2']);
    expect([...assignment.keys()]).toEqual(['c1', 'c2', 'c3']);
    expect(keysOf(assignment.get('c1') ?? [])).toEqual(['orders@broker-0@0', 'orders@broker-0@1', 'orders@broker-0@2']);
    expect(keysOf(assignment.get('c2') ?? [])).toEqual(['orders@broker-0@3', 'orders@broker-1@0', 'orders@broker-1@1']);
    expect(keysOf(assignment.get('c3') ?? [])).toEqual(['orders@broker-1@2', 'orders@broker-1@3']);
  });

  it('leaves the last clients idle when there are more clients than queues', () => {
    const assignment = allocateAll(allocateAveragely, queuesOf(1, 2), ['a', 'b', 'c', 'd']);
    expect([...assignment.values()].map((queues) => queues.length)).toEqual([1, 1, 0, 0]);
  });
});

describe('allocateAveragelyByCircle', () => {
  it('deals queues out in turn', () => {
    const assignment = allocateAll(allocateAveragelyByCircle, queuesOf(2, 3), ['b', 'a']);
    expect(keysOf(assignment.get('a') ?? [])).toEqual(['orders@broker-0@0', 'orders@broker-0@2', 'orders@broker-1@1']);
    expect(keysOf(assignment.get('b') ?? [])).toEqual(['orders@broker-0@1', 'orders@broker-1@0', 'orders@broker-1@2']);
  });
});

describe('allocateConsistentHash', () => {
  it('is stable: pinned assignment for a fixed input, in any input order', () => {
    // Pinned so a change of hash or ring layout (which would move queues between versions) is noticed.
    const assignment = allocateAll(allocateConsistentHash, queuesOf(2, 4), ['client-1', 'client-2']);
    expect(keysOf(assignment.get('client-1') ?? [])).toEqual([
      'orders@broker-0@0',
      'orders@broker-0@1',
      'orders@broker-1@0',
      'orders@broker-1@3',
    ]);
    expect(keysOf(assignment.get('client-2') ?? [])).toEqual([
      'orders@broker-0@2',
      'orders@broker-0@3',
      'orders@broker-1@1',
      'orders@broker-1@2',
    ]);
    expect(allocateAll(allocateConsistentHash, queuesOf(2, 4).reverse(), ['client-2', 'client-1'])).toEqual(assignment);
  });

  it('spreads queues reasonably with the default 10 virtual nodes', () => {
    const clients = Array.from({ length: 4 }, (_, index) => `10.0.0.${index}@${1000 + index}`);
    const assignment = allocateAll(allocateConsistentHash, queuesOf(8, 16), clients);
    for (const queues of assignment.values()) expect(queues.length).toBeGreaterThan(0);
  });

  it('rejects a bad virtual node count', () => {
    for (const count of [0, -1, 1.5, 10_001, Number.NaN]) {
      let thrown: unknown;
      try {
        consistentHashStrategy(count);
      } catch (error) {
        thrown = error;
      }
      expect(EddyError.is(thrown, 'INVALID_ARGUMENT'), String(count)).toBe(true);
    }
  });

  it('moves only queues to a client that joins (property)', () => {
    fc.assert(
      fc.property(
        arbitraryQueues,
        arbitraryClients,
        fc.string({ minLength: 1, maxLength: 12 }),
        (queues, clients, joiner) => {
          fc.pre(!clients.includes(joiner));
          const before = allocateAll(allocateConsistentHash, queues, clients);
          const after = allocateAll(allocateConsistentHash, queues, [...clients, joiner]);
          const ownerBefore = owners(before);
          for (const [key, owner] of owners(after)) {
            if (owner !== ownerBefore.get(key)) expect(owner).toBe(joiner);
          }
        },
      ),
    );
  });

  it('moves few queues when one client joins a large group', () => {
    const queues = queuesOf(16, 16);
    const clients = Array.from({ length: 9 }, (_, index) => `client-${index}`);
    const before = owners(allocateAll(consistentHashStrategy(100), queues, clients));
    const after = owners(allocateAll(consistentHashStrategy(100), queues, [...clients, 'client-new']));
    const moved = [...after].filter(([key, owner]) => before.get(key) !== owner).length;
    // Ideal is 256 / 10 ≈ 26; averagely would move far more (every block boundary shifts).
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(60);
    const movedAveragely = [...owners(allocateAll(allocateAveragely, queues, [...clients, 'client-new']))].filter(
      ([key, owner]) => owners(allocateAll(allocateAveragely, queues, clients)).get(key) !== owner,
    ).length;
    expect(movedAveragely).toBeGreaterThan(moved);
  });
});

describe('allocateByConfig', () => {
  it('returns the configured queues that exist, sorted, to listed clients only', () => {
    const strategy = allocateByConfig([queue('broker-1', 1), queue('broker-0', 2), queue('gone', 0)]);
    const queues = queuesOf(2, 4);
    expect(keysOf(strategy('group', 'me', queues, ['other', 'me']))).toEqual([
      'orders@broker-0@2',
      'orders@broker-1@1',
    ]);
    expect(strategy('group', 'stranger', queues, ['other', 'me'])).toEqual([]);
  });
});

describe('every strategy', () => {
  it('names the three that need no configuration', () => {
    expect(Object.keys(ALLOCATION_STRATEGIES)).toEqual(['AVG', 'AVG_BY_CIRCLE', 'CONSISTENT_HASH']);
  });

  it.each(all)('%s gives nothing to a client not in the list, and nothing from no queues', (_, strategy) => {
    fc.assert(
      fc.property(arbitraryQueues, arbitraryClients, (queues, clients) => {
        expect(strategy('group', 'not-a-client!', queues, clients)).toEqual([]);
        expect(strategy('group', clients[0] as string, [], clients)).toEqual([]);
      }),
    );
  });

  it.each(all)('%s gives every queue exactly one consumer (property)', (_, strategy) => {
    fc.assert(
      fc.property(arbitraryQueues, arbitraryClients, (queues, clients) => {
        const assignment = allocateAll(strategy, queues, clients);
        const assigned = [...assignment.values()].flat().map(messageQueueKey);
        expect(assigned.sort()).toEqual(queues.map(messageQueueKey).sort());
      }),
    );
  });

  it.each(all)('%s computes the same assignment from shuffled, duplicated inputs (property)', (_, strategy) => {
    fc.assert(
      fc.property(
        arbitraryQueues,
        arbitraryClients,
        fc.array(fc.nat(), { minLength: 144, maxLength: 144 }),
        fc.boolean(),
        (queues, clients, ranks, duplicate) => {
          const shuffle = <T>(items: readonly T[]): T[] => {
            return items
              .map((item, index) => ({ item, rank: ranks[index] ?? 0 }))
              .sort((a, b) => a.rank - b.rank)
              .map(({ item }) => item);
          };
          const reference = allocateAll(strategy, queues, clients);
          const otherQueues = shuffle(duplicate ? [...queues, ...queues] : queues);
          const otherClients = shuffle(duplicate ? [...clients, ...clients] : clients);
          for (const client of clients) {
            // Each client computes its own share with the inputs in its own order.
            expect(strategy('group', client, otherQueues, otherClients)).toEqual(reference.get(client));
          }
        },
      ),
    );
  });

  it.each(fair)('%s gives shares that differ by at most one (property)', (_, strategy) => {
    fc.assert(
      fc.property(arbitraryQueues, arbitraryClients, (queues, clients) => {
        const sizes = [...allocateAll(strategy, queues, clients).values()].map((share) => share.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

function owners(assignment: Map<string, MessageQueue[]>): Map<string, string> {
  const result = new Map<string, string>();
  for (const [client, queues] of assignment) for (const queue of queues) result.set(messageQueueKey(queue), client);
  return result;
}
