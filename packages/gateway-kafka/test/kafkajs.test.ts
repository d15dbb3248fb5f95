import { CompressionTypes, type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture, text } from './fixture.js';

interface Received {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** Reads `count` messages of `topic` from the beginning with a kafkajs consumer (partition-by-partition, no group offsets kept). */
async function readBack(kafka: Kafka, topic: string, count: number, groupId: string): Promise<Received[]> {
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const received: Received[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
          received.push({
            partition,
            offset: message.offset,
            key: text(message.key),
            value: text(message.value),
            headers,
          });
          if (received.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return received;
}

describe('kafkajs 2.2.4', () => {
  let fixture: KafkaFixture;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    fixture = await kafkaFixture();
    kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await fixture?.close();
  });

  it('produces with acks -1, 1 and 0, keys, headers and gzip, and reads back exactly', async () => {
    const topic = 'kjs-produce';
    const first = await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'k1', value: 'v1', headers: { h1: 'x', h2: 'y' } },
        { key: null, value: 'v2' },
      ],
    });
    expect(first[0]).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
    const second = await producer.send({
      topic,
      acks: 1,
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'k3', value: 'v3' }],
    });
    expect(second[0]?.baseOffset).toBe('2');
    await producer.send({ topic, acks: 0, messages: [{ key: 'k4', value: 'v4' }] });
    // acks=0 has no answer: a later acks=1 send on the same connection is answered after it.
    const fifth = await producer.send({ topic, acks: 1, messages: [{ value: 'v5' }] });
    expect(fifth[0]?.baseOffset).toBe('4');

    const received = await readBack(kafka, topic, 5, 'kjs-readers');
    expect(received).toEqual([
      { partition: 0, offset: '0', key: 'k1', value: 'v1', headers: { h1: 'x', h2: 'y' } },
      { partition: 0, offset: '1', key: null, value: 'v2', headers: {} },
      { partition: 0, offset: '2', key: 'k3', value: 'v3', headers: {} },
      { partition: 0, offset: '3', key: 'k4', value: 'v4', headers: {} },
      { partition: 0, offset: '4', key: null, value: 'v5', headers: {} },
    ]);
  });
});

describe('kafkajs idempotent producer', () => {
  it('produces through the producer state and reads every message once', async () => {
    const fixture = await kafkaFixture();
    try {
      const kafka = new Kafka({ clientId: 'idempotent', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let index = 0; index < 3; index++) {
        await producer.send({ topic: 'idem', acks: -1, messages: [{ value: `m${index}a` }, { value: `m${index}b` }] });
      }
      await producer.disconnect();
      const received = await readBack(kafka, 'idem', 6, 'idem-readers');
      expect(received.map(({ offset, value }) => [offset, value])).toEqual([
        ['0', 'm0a'],
        ['1', 'm0b'],
        ['2', 'm1a'],
        ['3', 'm1b'],
        ['4', 'm2a'],
        ['5', 'm2b'],
      ]);
    } finally {
      await fixture.close();
    }
  });
});

describe('kafkajs ⇄ in-process RocketMQ-style clients', () => {
  let fixture: KafkaFixture;
  let kafka: Kafka;

  beforeAll(async () => {
    fixture = await kafkaFixture();
    kafka = new Kafka({ clientId: 'interop', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('delivers a kafkajs record to a simple consumer with key, tag and properties mapped', async () => {
    await fixture.broker.topics.create({ name: 'interop-in', queueCount: 1 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'interop-in',
      messages: [{ key: 'order-7', value: 'paid', headers: { 'rocketmq.tag': 'TagA', region: 'eu' } }],
    });
    await producer.disconnect();
    const consumer = fixture.broker.createSimpleConsumer({ group: 'billing', subscriptions: { 'interop-in': 'TagA' } });
    const [message] = await consumer.receive({ maxMessages: 1, waitMs: 5_000 });
    expect(message).toMatchObject({ keys: ['order-7'], tag: 'TagA', properties: { region: 'eu' }, queueOffset: 0 });
    expect(text(message?.body)).toBe('paid');
    await consumer.close();
  });

  it('serves a message sent with broker.createProducer to kafkajs with key and headers', async () => {
    await fixture.broker.topics.create({ name: 'interop-out', queueCount: 1 });
    const producer = fixture.broker.createProducer({ group: 'orders' });
    await producer.send({
      topic: 'interop-out',
      body: 'created',
      keys: ['order-8'],
      tag: 'TagB',
      properties: { a: '1' },
    });
    await producer.close();
    const [received] = await readBack(kafka, 'interop-out', 1, 'interop-readers');
    expect(received).toEqual({
      partition: 0,
      offset: '0',
      key: 'order-8',
      value: 'created',
      headers: { 'rocketmq.tag': 'TagB', a: '1' },
    });
  });
});

describe('kafkajs over the CommitLog engine', () => {
  it('produces to 3 partitions and reads everything back in per-partition order', async () => {
    const fixture = await kafkaFixture({ engine: 'commitlog', config: { defaultPartitions: 3 } });
    try {
      const kafka = new Kafka({ clientId: 'commitlog', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      const messages = Array.from({ length: 30 }, (_, index) => ({ key: `k${index % 5}`, value: `v${index}` }));
      await producer.send({ topic: 'durable', acks: -1, messages });
      await producer.disconnect();
      const received = await readBack(kafka, 'durable', 30, 'durable-readers');
      expect(new Set(received.map(({ partition }) => partition)).size).toBeGreaterThan(1);
      expect(received.map(({ value }) => value).sort()).toEqual(messages.map(({ value }) => value).sort());
      for (const partition of [0, 1, 2]) {
        const offsets = received.filter((entry) => entry.partition === partition).map(({ offset }) => Number(offset));
        expect(offsets).toEqual(offsets.map((_, index) => index));
      }
    } finally {
      await fixture.close();
    }
  });
});
