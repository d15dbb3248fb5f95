import { allocateAveragelyByCircle, allocateConsistentHash, type MessageQueue } from '@eddy/routing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageModel } from './consumer-group-registry.js';
import { type AssignableMember, assignQueues } from './rebalance.js';

function member(clientId: string, topics: readonly string[] = ['t'], messageModel: MessageModel = 'CLUSTERING') {
  return { clientId, messageModel, subscriptions: topics.map((topic) => ({ topic })) };
}

const ids = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

describe('assignQueues', () => {
  it('gives CLUSTERING members contiguous blocks by default (AllocateMessageQueueAveragely)', () => {
    const members = [member('c3'), member('c1'), member('c2')];
    const share = (clientId: string) => assignQueues({ group: 'g', topic: 't', clientId, queues: ids(8), members });
    expect(share('c1')).toEqual([0, 1, 2]);
    expect(share('c2')).toEqual([3, 4, 5]);
    expect(share('c3')).toEqual([6, 7]);
  });

  it('uses the given strategy', () => {
    const members = [member('c1'), member('c2')];
    expect(
      assignQueues({
        group: 'g',
        topic: 't',
        clientId: 'c2',
        queues: ids(5),
        members,
        strategy: allocateAveragelyByCircle,
      }),
    ).toEqual([1, 3]);
  });

  it('shares among the members subscribed to the topic only', () => {
    const members = [member('c1', ['t']), member('c2', ['u']), member('c3', ['t', 'u'])];
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'c1', queues: ids(4), members })).toEqual([0, 1]);
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'c3', queues: ids(4), members })).toEqual([2, 3]);
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'c2', queues: ids(4), members })).toEqual([]);
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'stranger', queues: ids(4), members })).toEqual([]);
  });

  it('gives a BROADCASTING member every queue, sorted and once', () => {
    const members = [member('c1', ['t'], 'BROADCASTING'), member('c2', ['t'], 'BROADCASTING')];
    for (const clientId of ['c1', 'c2']) {
      expect(assignQueues({ group: 'g', topic: 't', clientId, queues: [3, 1, 2, 0, 1], members })).toEqual([
        0, 1, 2, 3,
      ]);
    }
  });

  it('keeps full queues across brokers when given MessageQueues', () => {
    const queues: MessageQueue[] = [
      { topic: 't', brokerName: 'b', queueId: 0 },
      { topic: 't', brokerName: 'a', queueId: 1 },
      { topic: 't', brokerName: 'a', queueId: 0 },
    ];
    const members = [member('c1'), member('c2')];
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'c1', queues, members })).toEqual([
      { topic: 't', brokerName: 'a', queueId: 0 },
      { topic: 't', brokerName: 'a', queueId: 1 },
    ]);
    expect(assignQueues({ group: 'g', topic: 't', clientId: 'c2', queues, members })).toEqual([
      { topic: 't', brokerName: 'b', queueId: 0 },
    ]);
  });

  it('gives every queue to exactly one subscribed member, the same whatever the input order (property)', () => {
    const clientIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        clientIds,
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(undefined, allocateAveragelyByCircle, allocateConsistentHash),
        fc.infiniteStream(fc.constantFrom(['t'], ['t', 'u'], ['u'])),
        (clients, queueCount, strategy, topics) => {
          const members: AssignableMember[] = clients.map((clientId) => member(clientId, topics.next().value));
          const subscribed = members.filter((candidate) => candidate.subscriptions.some(({ topic }) => topic === 't'));
          const shuffled = [...members].reverse();
          const queues = ids(queueCount);
          const owners = new Map<number, string[]>();
          for (const clientId of clients) {
            const request = { group: 'g', topic: 't', clientId, queues, members, ...(strategy ? { strategy } : {}) };
            const mine = assignQueues(request);
            expect(assignQueues({ ...request, members: shuffled, queues: [...queues].reverse() })).toEqual(mine);
            for (const queueId of mine) owners.set(queueId, [...(owners.get(queueId) ?? []), clientId]);
          }
          if (subscribed.length === 0) {
            expect(owners.size).toBe(0);
            return;
          }
          for (const queueId of queues) expect(owners.get(queueId)).toHaveLength(1);
          expect(owners.size).toBe(queueCount);
          for (const [, [owner]] of owners) expect(subscribed.map(({ clientId }) => clientId)).toContain(owner);
        },
      ),
      { numRuns: 150 },
    );
  });
});
