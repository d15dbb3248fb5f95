import { type Broker, createBroker } from '@eddy/broker';

type MessageStore = Broker['store'];

import { openMemoryStore } from '@eddy/store-memory';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KafkaGateway, startKafkaGateway } from '../src/index.js';

describe('consumer groups with kafkajs 2.2.4', () => {
  let store: MessageStore;
  let broker: Broker;
  let gateway: KafkaGateway;
  let kafka: Kafka;
  const consumers: Consumer[] = [];

  beforeEach(async () => {
    store = await openMemoryStore();
    broker = createBroker({ store });
    await broker.start();
    gateway = await startKafkaGateway({ broker, port: 0, config: { groupInitialRebalanceDelayMs: 0 } });
    kafka = new Kafka({ clientId: 'k2', brokers: [`127.0.0.1:${gateway.port}`], logLevel: logLevel.NOTHING });
  });
  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.disconnect().catch(() => {});
    await gateway.close(100);
    await broker.close();
    await store.close();
  });

  async function consume(seen: string[], group = 'g1'): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value));
      },
    });
    return consumer;
  }

  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  it('splits a 4-partition topic across two members, each message once; commits survive a restart', async () => {
    await broker.topics.create({ name: 'orders', queueCount: 4 });
    const producer = kafka.producer();
    await producer.connect();
    const seenA: string[] = [];
    const seenB: string[] = [];
    await consume(seenA);
    await consume(seenB);
    const values = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await producer.send({ topic: 'orders', messages: values.map((value, i) => ({ value, partition: i % 4 })) });
    await until(() => seenA.length + seenB.length >= 40);
    expect([...seenA, ...seenB].sort()).toEqual([...values].sort());
    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);

    for (const consumer of consumers.splice(0)) await consumer.disconnect();
    const lag = await broker.lag('g1', 'orders');
    expect(lag.map((entry) => entry.lag)).toEqual([0, 0, 0, 0]);

    await producer.send({ topic: 'orders', messages: [{ value: 'after', partition: 1 }] });
    const seenC: string[] = [];
    await consume(seenC);
    await until(() => seenC.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seenC).toEqual(['after']);
    await producer.disconnect();
  }, 60_000);
});
