// @platformatic/kafka needs Promise.withResolvers (Node 22); Node 20 lacks it.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
};

import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture } from './fixture.js';

const { Admin, Consumer, MessagesStreamModes, stringDeserializers } = await import('@platformatic/kafka');

// @platformatic/kafka 1.35 speaks only flexible group APIs: FindCoordinator 4+ (batched keys), JoinGroup 6+,
// SyncGroup 4+, Heartbeat 4+, LeaveGroup 4+, OffsetCommit 8+, OffsetFetch 8+ (batched groups),
// DescribeGroups 5, ListGroups 4+, DeleteGroups 2.
describe('consumer groups with @platformatic/kafka 1.35', () => {
  let fixture: KafkaFixture;
  let kafka: Kafka;

  beforeAll(async () => {
    fixture = await kafkaFixture();
    kafka = new Kafka({ clientId: 'plg-kafkajs', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function produce(topic: string, values: readonly string[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value, partition: i % 2 })) });
    await producer.disconnect();
  }

  /** Consumes `count` messages in group `groupId`, committing each; returns their values. */
  async function consumeAndCommit(groupId: string, topic: string, count: number): Promise<string[]> {
    const consumer = new Consumer({
      groupId,
      clientId: `${groupId}-member`,
      bootstrapBrokers: [fixture.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    try {
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: 'earliest' as never,
        autocommit: false,
      });
      const values: string[] = [];
      for await (const message of stream) {
        values.push(message.value);
        await message.commit();
        if (values.length === count) break;
      }
      await stream.close();
      return values;
    } finally {
      await consumer.close(true);
    }
  }

  it('joins, consumes what kafkajs produced, commits; a new member resumes from the commits', async () => {
    await fixture.broker.topics.create({ name: 'plg', queueCount: 2 });
    const first = Array.from({ length: 10 }, (_, i) => `a${i}`);
    await produce('plg', first);
    expect((await consumeAndCommit('plg-group', 'plg', 10)).sort()).toEqual([...first].sort());

    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'plg-group', topics: ['plg'] });
      expect(offsets[0]?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
        [0, '5'],
        [1, '5'],
      ]);
    } finally {
      await admin.disconnect();
    }

    const second = Array.from({ length: 4 }, (_, i) => `b${i}`);
    await produce('plg', second);
    expect((await consumeAndCommit('plg-group', 'plg', 4)).sort()).toEqual([...second].sort());
  });

  it('admin: batched FindCoordinator and OffsetFetch, ListGroups, DescribeGroups, DeleteGroups', async () => {
    await fixture.broker.topics.create({ name: 'plg-admin', queueCount: 2 });
    await produce('plg-admin', ['x0', 'x1', 'x2', 'x3']);
    await consumeAndCommit('plg-g1', 'plg-admin', 4);
    await consumeAndCommit('plg-g2', 'plg-admin', 4);

    const admin = new Admin({ clientId: 'plg-admin', bootstrapBrokers: [fixture.bootstrap] });
    try {
      const coordinators = await admin.findCoordinator({ keyType: 0, keys: ['plg-g1', 'plg-g2'] } as never);
      expect(JSON.stringify(coordinators, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toContain('plg-g2');

      const offsets = await admin.listConsumerGroupOffsets({ groups: ['plg-g1', 'plg-g2'] });
      expect(offsets.map((group) => group.groupId)).toEqual(['plg-g1', 'plg-g2']);
      for (const group of offsets) {
        const topic = group.topics.find((entry) => entry.name === 'plg-admin');
        expect(topic?.partitions.map((p) => [p.partitionIndex, p.committedOffset]).sort()).toEqual([
          [0, 2n],
          [1, 2n],
        ]);
      }

      const listed = await admin.listGroups();
      expect(listed.get('plg-g1')).toMatchObject({ id: 'plg-g1', state: 'EMPTY' });
      const described = await admin.describeGroups({ groups: ['plg-g1'] });
      expect(described.get('plg-g1')).toMatchObject({ id: 'plg-g1', state: 'EMPTY' });

      await admin.deleteGroups({ groups: ['plg-g2'] });
      const after = await admin.listConsumerGroupOffsets({ groups: ['plg-g2'] });
      expect(after[0]?.topics ?? []).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
