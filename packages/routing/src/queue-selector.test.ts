import { Permission } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyFaultTolerance } from './latency-fault-tolerance.js';
import {
  QueueSelector,
  readableQueuesOf,
  selectByHash,
  selectByRandom,
  selectMessageQueueByHash,
  selectMessageQueueByRandom,
  writableQueuesOf,
} from './queue-selector.js';
import {
  type BrokerData,
  type MessageQueue,
  messageQueueKey,
  type QueueData,
  type TopicRouteData,
} from './route-data.js';

function queueData(brokerName: string, overrides: Partial<QueueData> = {}): QueueData {
  return {
    brokerName,
    readQueueNums: 2,
    writeQueueNums: 2,
    perm: 6,
    topicSysFlag: 0,
    messageType: 'NORMAL',
    ...overrides,
  };
}

function route(queueDatas: QueueData[], slaveOnly: string[] = []): TopicRouteData {
  return {
    topic: 'orders',
    queueDatas,
    brokerDatas: queueDatas.map(
      (data): BrokerData => ({
        cluster: 'c',
        brokerName: data.brokerName,
        brokerAddrs: slaveOnly.includes(data.brokerName)
          ? { 1: `${data.brokerName}:2` }
          : { 0: `${data.brokerName}:1` },
        endpoints: {},
      }),
    ),
  };
}

const keys = (queues: readonly (MessageQueue | undefined)[]) => queues.map((queue) => queue && messageQueueKey(queue));

describe('writableQueuesOf / readableQueuesOf', () => {
  it('turns queue data into queues, by broker name, honouring perm and masters', () => {
    const data = route(
      [
        queueData('broker-b', { writeQueueNums: 1, readQueueNums: 3 }),
        queueData('broker-a'),
        queueData('broker-r', { perm: Permission.READ }),
        queueData('broker-w', { perm: Permission.WRITE, readQueueNums: 5 }),
        queueData('broker-s'),
      ],
      ['broker-s'],
    );
    expect(keys(writableQueuesOf(data))).toEqual([
      'orders@broker-a@0',
      'orders@broker-a@1',
      'orders@broker-b@0',
      'orders@broker-w@0',
      'orders@broker-w@1',
    ]);
    expect(keys(readableQueuesOf(data))).toEqual([
      'orders@broker-a@0',
      'orders@broker-a@1',
      'orders@broker-b@0',
      'orders@broker-b@1',
      'orders@broker-b@2',
      'orders@broker-r@0',
      'orders@broker-r@1',
      'orders@broker-s@0',
      'orders@broker-s@1',
    ]);
  });
});

describe('QueueSelector', () => {
  const twoBrokers = route([queueData('broker-a'), queueData('broker-b')]);

  it('goes round robin from a random start, wrapping the counter at 2^31', () => {
    const selector = new QueueSelector({ random: () => 0.5 });
    const start = Math.floor(0.5 * 0x7fffffff);
    expect(selector.nextIndex('orders')).toBe(start);
    expect(selector.nextIndex('orders')).toBe(start + 1);
    const picks = Array.from({ length: 6 }, () => selector.selectOneMessageQueue(twoBrokers));
    // start + 2 = 1073741825 ≡ 1 (mod 4)
    expect(keys(picks)).toEqual([
      'orders@broker-a@1',
      'orders@broker-b@0',
      'orders@broker-b@1',
      'orders@broker-a@0',
      'orders@broker-a@1',
      'orders@broker-b@0',
    ]);
    const wrapping = new QueueSelector({ random: () => 0.9999999999 });
    expect(wrapping.nextIndex('t')).toBe(0x7fffffff - 1);
    expect(wrapping.nextIndex('t')).toBe(0x7fffffff);
    expect(wrapping.nextIndex('t')).toBe(0);
  });

  it('keeps one counter per topic', () => {
    const selector = new QueueSelector({ random: () => 0 });
    expect(selector.nextIndex('a')).toBe(0);
    expect(selector.nextIndex('a')).toBe(1);
    expect(selector.nextIndex('b')).toBe(0);
  });

  it('accepts a queue list and returns undefined when there is nothing writable', () => {
    const selector = new QueueSelector({ random: () => 0 });
    const queues = writableQueuesOf(twoBrokers);
    expect(selector.selectOneMessageQueue(queues)).toEqual(queues[0]);
    expect(selector.selectOneMessageQueue([])).toBeUndefined();
    expect(selector.selectOneMessageQueue(route([queueData('x', { perm: Permission.READ })]))).toBeUndefined();
  });

  it('avoids brokers the fault tolerance marks unavailable, until they recover', async () => {
    const clock = new FakeClock();
    const faultTolerance = new LatencyFaultTolerance({ clock });
    const selector = new QueueSelector({ faultTolerance, random: () => 0 });
    faultTolerance.updateFaultItem('broker-a', 1000);
    const picks = Array.from({ length: 4 }, () => selector.selectOneMessageQueue(twoBrokers)?.brokerName);
    expect(picks).toEqual(['broker-b', 'broker-b', 'broker-b', 'broker-b']);
    await clock.advance(60_000);
    const later = Array.from({ length: 4 }, () => selector.selectOneMessageQueue(twoBrokers)?.brokerName);
    expect(later).toContain('broker-a');
  });

  it('on a retry avoids the last broker', () => {
    const selector = new QueueSelector({ random: () => 0 });
    for (let attempt = 0; attempt < 8; attempt++) {
      expect(selector.selectOneMessageQueue(twoBrokers, 'broker-a')?.brokerName).toBe('broker-b');
      expect(selector.selectOneMessageQueue(twoBrokers, 'broker-b')?.brokerName).toBe('broker-a');
    }
  });

  it('falls back to the least-bad other broker when all are avoided', () => {
    const clock = new FakeClock();
    const faultTolerance = new LatencyFaultTolerance({ clock });
    const selector = new QueueSelector({ faultTolerance, random: () => 0 });
    const three = route([queueData('broker-a'), queueData('broker-b'), queueData('broker-c')]);
    faultTolerance.updateFaultItem('broker-a', 0, true);
    faultTolerance.updateFaultItem('broker-b', 3000);
    faultTolerance.updateFaultItem('broker-c', 1000);
    for (let attempt = 0; attempt < 6; attempt++) {
      expect(selector.selectOneMessageQueue(three)?.brokerName).toBe('broker-c');
      expect(selector.selectOneMessageQueue(three, 'broker-c')?.brokerName).toBe('broker-b');
    }
  });

  it('falls back to round robin when the last broker is the only one', () => {
    const selector = new QueueSelector({
      random: () => 0,
      faultTolerance: new LatencyFaultTolerance({ clock: new FakeClock() }),
    });
    const one = route([queueData('broker-a')]);
    expect(
      keys([selector.selectOneMessageQueue(one, 'broker-a'), selector.selectOneMessageQueue(one, 'broker-a')]),
    ).toEqual(['orders@broker-a@0', 'orders@broker-a@1']);
    const plain = new QueueSelector({ random: () => 0 });
    expect(plain.selectOneMessageQueue(one, 'broker-a')?.brokerName).toBe('broker-a');
  });

  it('spreads sends evenly over the queues (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 0.999 }),
        (brokers, perBroker, seed) => {
          const data = route(
            Array.from({ length: brokers }, (_, index) => queueData(`broker-${index}`, { writeQueueNums: perBroker })),
          );
          const selector = new QueueSelector({ random: () => seed });
          const counts = new Map<string, number>();
          const total = brokers * perBroker;
          for (let send = 0; send < total * 3; send++) {
            const key = messageQueueKey(selector.selectOneMessageQueue(data) as MessageQueue);
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          expect(counts.size).toBe(total);
          for (const count of counts.values()) expect(count).toBe(3);
        },
      ),
    );
  });
});

describe('selectByHash / selectByRandom', () => {
  const queues = writableQueuesOf(
    route([queueData('broker-a', { writeQueueNums: 4 }), queueData('broker-b', { writeQueueNums: 4 })]),
  );

  it('maps a key to |String.hashCode| mod count', () => {
    // "hello".hashCode() = 99162322 ≡ 2 (mod 8); "polygenelubricants" hashes to -2^31.
    expect(selectByHash(queues, 'hello')).toEqual(queues[2]);
    expect(selectByHash(queues, 'polygenelubricants')).toEqual(queues[2147483648 % 8]);
    expect(selectByHash([], 'x')).toBeUndefined();
    expect(selectMessageQueueByHash.select(queues, 'hello')).toEqual(queues[2]);
  });

  it('gives the same key the same queue while the count is unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (key, count) => {
        const list = queues.slice(0, Math.min(count, queues.length));
        const copy = list.map((queue) => ({ ...queue }));
        const first = selectByHash(list, key);
        expect(list).toContainEqual(first);
        expect(selectByHash(copy, key)).toEqual(first);
      }),
    );
  });

  it('picks uniformly with the injected random', () => {
    expect(selectByRandom(queues, () => 0)).toEqual(queues[0]);
    expect(selectByRandom(queues, () => 0.999999)).toEqual(queues[7]);
    expect(selectByRandom(queues, () => 1)).toEqual(queues[7]);
    expect(selectByRandom([], () => 0.5)).toBeUndefined();
    expect(selectMessageQueueByRandom(() => 0.5).select(queues, 'ignored')).toEqual(queues[4]);
  });
});
