// kafkajs 2.2.4 against a real `eddy start` process on loopback: produce/consume with keys, headers and every
// codec kafkajs has built in, a consumer group rebalancing across two members with commits and resume, admin
// topics and partitions, the idempotent producer and transactions under read_committed.
import { CompressionTypes, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDDY_ARGS, text, until } from './kafka-clients.js';
import { type EddyProcess, startEddy } from './launch.js';

interface Received {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

describe('kafkajs 2.2.4 against eddy start', () => {
  let eddy: EddyProcess;
  let kafka: Kafka;

  beforeAll(async () => {
    eddy = await startEddy({ args: [...EDDY_ARGS] });
    kafka = new Kafka({
      clientId: 'server-kafkajs',
      brokers: [`127.0.0.1:${eddy.kafkaPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['kjs-data', 'kjs-idem', 'kjs-txn', 'kjs-eos-in'].map((topic) => ({ topic, numPartitions: 1 })),
    });
    await admin.createTopics({ topics: [{ topic: 'kjs-group', numPartitions: 4 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    if (eddy !== undefined) {
      expect(await eddy.stop()).toBe(0);
      await eddy.cleanup();
    }
  });

  /** Reads `topic` from the beginning in a fresh group until `done` holds for what was received. */
  async function readBack(
    topic: string,
    groupId: string,
    done: (received: Received[]) => boolean,
    readUncommitted = false,
  ): Promise<Received[]> {
    const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: Received[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ topic: name, partition, message }) => {
              const headers: Record<string, string> = {};
              for (const [header, value] of Object.entries(message.headers ?? {})) headers[header] = String(value);
              received.push({
                topic: name,
                partition,
                offset: message.offset,
                key: text(message.key),
                value: text(message.value),
                headers,
              });
              if (done(received)) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return received;
  }

  it('produces with keys, headers, no compression and gzip, and reads everything back exactly', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const plain = await producer.send({
      topic: 'kjs-data',
      acks: -1,
      compression: CompressionTypes.None,
      messages: [
        { key: 'k1', value: 'v1', headers: { h1: 'x', h2: 'y' } },
        { key: null, value: 'v2' },
      ],
    });
    expect(plain[0]).toMatchObject({ topicName: 'kjs-data', partition: 0, errorCode: 0, baseOffset: '0' });
    const gzip = await producer.send({
      topic: 'kjs-data',
      acks: 1,
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 50 }, (_, i) => ({
        key: `g${i}`,
        value: `gzip-${i}`.repeat(20),
        headers: { i: `${i}` },
      })),
    });
    expect(gzip[0]?.baseOffset).toBe('2');
    await producer.disconnect();

    const received = await readBack('kjs-data', 'kjs-data-readers', (all) => all.length >= 52);
    expect(received.slice(0, 2)).toEqual([
      { topic: 'kjs-data', partition: 0, offset: '0', key: 'k1', value: 'v1', headers: { h1: 'x', h2: 'y' } },
      { topic: 'kjs-data', partition: 0, offset: '1', key: null, value: 'v2', headers: {} },
    ]);
    expect(received.slice(2).map(({ offset, key, value, headers }) => [offset, key, value, headers])).toEqual(
      Array.from({ length: 50 }, (_, i) => [String(i + 2), `g${i}`, `gzip-${i}`.repeat(20), { i: `${i}` }]),
    );
  });

  it('splits a 4-partition topic across two group members; commits survive; a new member resumes after them', async () => {
    const consumers: Consumer[] = [];
    /** The latest assignment each member got from a rebalance, by member index. */
    const assignments = new Map<number, number[]>();
    const start = async (seen: string[]): Promise<Consumer> => {
      const consumer = kafka.consumer({
        groupId: 'kjs-g',
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 100,
      });
      const index = consumers.length;
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(index, event.payload.memberAssignment['kjs-group'] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: ['kjs-group'], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
        },
      });
      return consumer;
    };
    const producer = kafka.producer();
    await producer.connect();
    try {
      const seenA: string[] = [];
      const seenB: string[] = [];
      await start(seenA);
      await until(() => assignments.get(0)?.length === 4, 30_000, 'the first member to own all 4 partitions');
      await start(seenB);
      // The second member's join rebalances the group: each member ends up with two of the four partitions.
      await until(
        () => assignments.get(0)?.length === 2 && assignments.get(1)?.length === 2,
        30_000,
        'a rebalance across both members',
      );
      expect([...(assignments.get(0) ?? []), ...(assignments.get(1) ?? [])].sort()).toEqual([0, 1, 2, 3]);

      const values = Array.from({ length: 40 }, (_, i) => `m${i}`);
      await producer.send({ topic: 'kjs-group', messages: values.map((value, i) => ({ value, partition: i % 4 })) });
      await until(() => seenA.length + seenB.length >= 40, 30_000, 'both members to consume 40 messages');
      expect([...seenA, ...seenB].sort()).toEqual([...values].sort());
      expect(seenA.length).toBeGreaterThan(0);
      expect(seenB.length).toBeGreaterThan(0);
      for (const consumer of consumers.splice(0)) await consumer.disconnect();

      const admin = kafka.admin();
      await admin.connect();
      const committed = await admin.fetchOffsets({ groupId: 'kjs-g', topics: ['kjs-group'] });
      await admin.disconnect();
      expect(committed[0]?.partitions.map(({ partition, offset }) => [partition, offset]).sort()).toEqual([
        [0, '10'],
        [1, '10'],
        [2, '10'],
        [3, '10'],
      ]);

      await producer.send({ topic: 'kjs-group', messages: [{ value: 'after', partition: 1 }] });
      const seenC: string[] = [];
      await start(seenC);
      await until(() => seenC.length >= 1, 30_000, 'the resumed member');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seenC).toEqual(['after']);
    } finally {
      for (const consumer of consumers.splice(0)) await consumer.disconnect().catch(() => {});
      await producer.disconnect();
    }
  });

  it('admin creates topics, adds partitions and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 2 }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 2 }] })).toBe(false);
      expect((await admin.fetchTopicMetadata({ topics: ['kjs-admin'] })).topics[0]?.partitions).toHaveLength(2);
      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 5 }] });
      expect((await admin.fetchTopicMetadata({ topics: ['kjs-admin'] })).topics[0]?.partitions).toHaveLength(5);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 3 }] })).rejects.toThrow();
      expect(await admin.listTopics()).toContain('kjs-admin');
      await admin.deleteTopics({ topics: ['kjs-admin'] });
      expect(await admin.listTopics()).not.toContain('kjs-admin');
    } finally {
      await admin.disconnect();
    }
  });

  it('an idempotent producer writes every message once', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 3; i++) {
      await producer.send({ topic: 'kjs-idem', acks: -1, messages: [{ value: `m${i}a` }, { value: `m${i}b` }] });
    }
    await producer.disconnect();
    const received = await readBack('kjs-idem', 'kjs-idem-readers', (all) => all.length >= 6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.map(({ offset, value }) => [offset, value])).toEqual([
      ['0', 'm0a'],
      ['1', 'm0b'],
      ['2', 'm1a'],
      ['3', 'm1b'],
      ['4', 'm2a'],
      ['5', 'm2b'],
    ]);
  });

  it('transactions: commit and abort; read_committed sees only committed records; sendOffsets commits with them', async () => {
    const producer = kafka.producer({ transactionalId: 'kjs-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'kjs-txn', messages: [{ key: 'a', value: 'c1' }, { value: 'c2' }] });
    await committed.sendOffsets({
      consumerGroupId: 'kjs-eos',
      topics: [{ topic: 'kjs-eos-in', partitions: [{ partition: 0, offset: '7' }] }],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'kjs-txn', messages: [{ value: 'a1' }] });
    await aborted.sendOffsets({
      consumerGroupId: 'kjs-eos',
      topics: [{ topic: 'kjs-eos-in', partitions: [{ partition: 0, offset: '99' }] }],
    });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: 'kjs-txn', messages: [{ value: 'end' }] });
    await last.commit();
    await producer.disconnect();

    const isEnd = (all: Received[]): boolean => all.some(({ value }) => value === 'end');
    const readCommitted = await readBack('kjs-txn', 'kjs-txn-rc', isEnd);
    expect(readCommitted.map(({ value }) => value)).toEqual(['c1', 'c2', 'end']);
    const readUncommitted = await readBack('kjs-txn', 'kjs-txn-ru', isEnd, true);
    expect(readUncommitted.map(({ value }) => value)).toEqual(['c1', 'c2', 'a1', 'end']);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-eos', topics: ['kjs-eos-in'] });
    await admin.disconnect();
    expect(offsets[0]?.partitions[0]?.offset).toBe('7');
  });
});
