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

import type { Message } from '@platformatic/kafka';
import { Kafka, type Consumer as KafkajsConsumer, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture, text } from './fixture.js';

const { Consumer, MessagesStreamModes, Producer, ProduceAcks, stringDeserializers, stringSerializers } = await import(
  '@platformatic/kafka'
);

/** Reads `topic` from the beginning with kafkajs until `last` arrives; returns the values seen, in order. */
async function readUntil(kafka: Kafka, topic: string, last: string, readUncommitted: boolean): Promise<string[]> {
  const consumer: KafkajsConsumer = kafka.consumer({
    groupId: `reader-${topic}-${readUncommitted}`,
    maxWaitTimeInMs: 100,
    readUncommitted,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const value = text(message.value) ?? '';
          values.push(value);
          if (value === last) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}

// @platformatic/kafka 1.35 implements only InitProducerId 3–5, AddPartitionsToTxn 3–5, AddOffsetsToTxn 1–4,
// EndTxn 3–4 and TxnOffsetCommit 3–4 (and recent Metadata / Produce / FindCoordinator versions), walking
// down from the broker's advertised maxima.
// On both kinds of store: records kept as messages (memory), batches kept as they came (CommitLog).
describe.each(['memory', 'commitlog'] as const)('@platformatic/kafka 1.35 transactional producer (%s)', (engine) => {
  let fixture: KafkaFixture;
  let kafka: Kafka;

  beforeAll(async () => {
    fixture = await kafkaFixture({ engine });
    for (const name of ['plt-txn', 'plt-txn-in', 'plt-txn-out'])
      await fixture.broker.topics.create({ name, queueCount: 1 });
    kafka = new Kafka({ clientId: 'plt-txn-reader', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('commits one transaction, aborts another; read_committed kafkajs sees only the committed records', async () => {
    const producer = new Producer({
      clientId: 'plt-txn-producer',
      bootstrapBrokers: [fixture.bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: 'plt-txn-1',
      acks: ProduceAcks.ALL,
    });
    try {
      const committed = await producer.beginTransaction();
      await committed.send({
        messages: [
          { topic: 'plt-txn', key: 'k', value: 'c1' },
          { topic: 'plt-txn', key: 'k', value: 'c2' },
        ],
      });
      await committed.commit();

      const aborted = await producer.beginTransaction();
      await aborted.send({ messages: [{ topic: 'plt-txn', key: 'k', value: 'a1' }] });
      await aborted.abort();

      // A last committed transaction, so the reader knows when it has passed the aborted one.
      const last = await producer.beginTransaction();
      await last.send({ messages: [{ topic: 'plt-txn', key: 'k', value: 'c3' }] });
      await last.commit();
    } finally {
      await producer.close();
    }

    // Records c1 c2 [commit] a1 [abort] c3 [commit]: seven offsets with the three markers.
    expect((await fixture.store.queueRange('plt-txn', 0))?.maxOffset).toBe(7);
    const read = await fixture.store.read('plt-txn', 0, 0, { maxMessages: 10 });
    expect(read.status === 'ok' && read.messages.map((message) => message.properties.__KAFKA_CONTROL ?? null)).toEqual([
      null,
      null,
      'commit',
      null,
      'abort',
      null,
      'commit',
    ]);

    expect(await readUntil(kafka, 'plt-txn', 'c3', false)).toEqual(['c1', 'c2', 'c3']);
    expect(await readUntil(kafka, 'plt-txn', 'c3', true)).toEqual(['c1', 'c2', 'a1', 'c3']);
  });

  it('consume-transform-produce: the consumer offset (TxnOffsetCommit v3) is committed with the transaction', async () => {
    const seed = new Producer({
      clientId: 'plt-seed',
      bootstrapBrokers: [fixture.bootstrap],
      serializers: stringSerializers,
    });
    await seed.send({ acks: ProduceAcks.ALL, messages: [{ topic: 'plt-txn-in', value: 'in-0' }] });
    await seed.close();

    const consumer = new Consumer({
      groupId: 'plt-txn-group',
      clientId: 'plt-txn-consumer',
      bootstrapBrokers: [fixture.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
    });
    const producer = new Producer({
      clientId: 'plt-txn-producer-2',
      bootstrapBrokers: [fixture.bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: 'plt-txn-2',
      acks: ProduceAcks.ALL,
    });
    try {
      const stream = await consumer.consume({
        topics: ['plt-txn-in'],
        mode: MessagesStreamModes.EARLIEST,
        autocommit: false,
      });
      let input: Message<string, string, string, string> | undefined;
      for await (const message of stream) {
        input = message;
        break;
      }
      expect(input?.value).toBe('in-0');
      if (input === undefined) throw new Error('no input record');
      const transaction = await producer.beginTransaction();
      await transaction.send({ messages: [{ topic: 'plt-txn-out', value: `out-${input.value}` }] });
      await transaction.addConsumer(consumer);
      await transaction.addOffset(input);
      await transaction.commit();
      await stream.close();
    } finally {
      await producer.close();
      await consumer.close(true);
    }

    expect(await readUntil(kafka, 'plt-txn-out', 'out-in-0', false)).toEqual(['out-in-0']);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'plt-txn-group', topics: ['plt-txn-in'] });
      expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: '1', metadata: null }]);
    } finally {
      await admin.disconnect();
    }
  });
});
