import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  type BrokerData,
  BrokerDataSchema,
  BrokerIdentitySchema,
  type BrokerRegistration,
  BrokerRegistrationSchema,
  compareMessageQueues,
  type DataVersion,
  type DataVersionSchema,
  type MessageQueue,
  type MessageQueueSchema,
  messageQueueKey,
  type QueueData,
  type QueueDataSchema,
  sameDataVersion,
  sameMessageQueue,
  sortMessageQueues,
  type TopicRouteData,
  TopicRouteDataSchema,
} from './route-data.js';

const registration = {
  cluster: 'DefaultCluster',
  brokerName: 'broker-a',
  brokerId: 0,
  address: '127.0.0.1:10911',
  endpoints: { grpc: '127.0.0.1:8081' },
  dataVersion: { timestamp: 1767225600000, counter: 3 },
  topics: [
    { name: 'orders', readQueueNums: 4, writeQueueNums: 4, perm: 6, messageType: 'FIFO' },
    { name: '%RETRY%group-1', readQueueNums: 1, writeQueueNums: 1, perm: 6 },
  ],
};

describe('schemas', () => {
  it('output types match the interfaces', () => {
    expectTypeOf<z.output<typeof BrokerRegistrationSchema>>().toExtend<BrokerRegistration>();
    expectTypeOf<z.output<typeof TopicRouteDataSchema>>().toExtend<TopicRouteData>();
    expectTypeOf<z.output<typeof BrokerDataSchema>>().toExtend<BrokerData>();
    expectTypeOf<z.output<typeof QueueDataSchema>>().toExtend<QueueData>();
    expectTypeOf<z.output<typeof DataVersionSchema>>().toExtend<DataVersion>();
    expectTypeOf<z.output<typeof MessageQueueSchema>>().toExtend<MessageQueue>();
  });

  it('parses a registration with system topics and fills defaults', () => {
    const parsed = BrokerRegistrationSchema.parse(registration);
    expect(parsed.topics[1]).toEqual({
      name: '%RETRY%group-1',
      readQueueNums: 1,
      writeQueueNums: 1,
      perm: 6,
      messageType: 'NORMAL',
      retentionMs: undefined,
    });
    expect(BrokerRegistrationSchema.parse({ ...registration, endpoints: undefined }).endpoints).toEqual({});
  });

  it.each([
    ['a duplicate topic', { topics: [registration.topics[0], registration.topics[0]] }, 'topics.1.name'],
    ['a bad topic name', { topics: [{ name: 'a b', readQueueNums: 1, writeQueueNums: 1, perm: 6 }] }, 'topics.0.name'],
    ['a negative broker id', { brokerId: -1 }, 'brokerId'],
    ['an empty broker name', { brokerName: '' }, 'brokerName'],
    ['a broker name with spaces', { brokerName: 'broker a' }, 'brokerName'],
    ['an unknown field', { extra: 1 }, ''],
    ['an unknown endpoint', { endpoints: { amqp: 'x:1' } }, 'endpoints'],
    ['a fractional counter', { dataVersion: { timestamp: 1, counter: 1.5 } }, 'dataVersion.counter'],
    ['too many queues', { topics: [{ name: 't', readQueueNums: 70000, writeQueueNums: 1, perm: 6 }] }, 'topics.0'],
  ])('rejects %s', (_, change, path) => {
    const result = BrokerRegistrationSchema.safeParse({ ...registration, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.')).join(' ')).toContain(path);
  });

  it('accepts broker ids as JSON object keys and rejects other keys', () => {
    const broker = { cluster: 'c', brokerName: 'b', brokerAddrs: { 0: 'h:1', 12: 'h:2' }, endpoints: {} };
    const roundTripped = JSON.parse(JSON.stringify(broker));
    expect(BrokerDataSchema.parse(roundTripped).brokerAddrs).toEqual({ 0: 'h:1', 12: 'h:2' });
    for (const key of ['-1', '01', 'x', '', '1.5']) {
      expect(BrokerDataSchema.safeParse({ ...broker, brokerAddrs: { [key]: 'h:1' } }).success).toBe(false);
    }
  });

  it('parses a route and an unregister request', () => {
    const route = {
      topic: 'orders',
      queueDatas: [
        { brokerName: 'b', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0, messageType: 'NORMAL' },
      ],
      brokerDatas: [{ cluster: 'c', brokerName: 'b', brokerAddrs: { 0: 'h:1' }, endpoints: {} }],
    };
    expect(TopicRouteDataSchema.parse(JSON.parse(JSON.stringify(route)))).toEqual(route);
    expect(BrokerIdentitySchema.safeParse({ cluster: 'c', brokerName: 'b', brokerId: 0 }).success).toBe(true);
    expect(BrokerIdentitySchema.safeParse({ cluster: 'c', brokerName: 'b' }).success).toBe(false);
  });
});

describe('MessageQueue helpers', () => {
  const queue = (topic: string, brokerName: string, queueId: number): MessageQueue => ({ topic, brokerName, queueId });

  it('sorts by topic, broker name, queue id, by code units', () => {
    const queues = [
      queue('b', 'x', 0),
      queue('a', 'y', 1),
      queue('a', 'y', 0),
      queue('a', 'X', 5),
      queue('a', 'x', 10),
    ];
    expect(sortMessageQueues(queues).map(messageQueueKey)).toEqual(['a@X@5', 'a@x@10', 'a@y@0', 'a@y@1', 'b@x@0']);
    expect(queues[0]).toEqual(queue('b', 'x', 0));
    expect(compareMessageQueues(queue('a', 'b', 2), queue('a', 'b', 10))).toBeLessThan(0);
    expect(compareMessageQueues(queue('a', 'b', 2), queue('a', 'b', 2))).toBe(0);
  });

  it('keys and compares queues', () => {
    expect(messageQueueKey(queue('orders', 'room@broker-a', 3))).toBe('orders@room@broker-a@3');
    expect(sameMessageQueue(queue('t', 'b', 1), { topic: 't', brokerName: 'b', queueId: 1 })).toBe(true);
    expect(sameMessageQueue(queue('t', 'b', 1), queue('t', 'b', 2))).toBe(false);
  });

  it('compares data versions', () => {
    expect(sameDataVersion({ timestamp: 1, counter: 2 }, { timestamp: 1, counter: 2 })).toBe(true);
    expect(sameDataVersion({ timestamp: 1, counter: 2 }, { timestamp: 1, counter: 3 })).toBe(false);
    expect(sameDataVersion({ timestamp: 1, counter: 2 }, { timestamp: 2, counter: 2 })).toBe(false);
  });
});
