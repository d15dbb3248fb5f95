import { type Broker, createBroker } from '@eddy/broker';
import { openMemoryStore } from '@eddy/store-memory';
import { ConfigResourceTypes, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupOffsets } from '../src/group-offsets.js';
import { type KafkaGateway, startKafkaGateway } from '../src/index.js';

type MessageStore = Broker['store'];

describe('a topic deleted and re-created (kafkajs 2.2.4)', () => {
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
    kafka = new Kafka({ clientId: 'recreate', brokers: [`127.0.0.1:${gateway.port}`], logLevel: logLevel.NOTHING });
  });
  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.disconnect().catch(() => {});
    await gateway.close(100);
    await broker.close();
    await store.close();
  });

  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  async function consume(seen: string[]): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId: 'g', sessionTimeout: 10_000, heartbeatInterval: 500 });
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

  async function describeOrders(): Promise<Record<string, string | null>> {
    const { resources } = await admin().describeConfigs({
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'max.message.bytes'] },
      ],
      includeSynonyms: false,
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
  }

  let adminClient: ReturnType<Kafka['admin']> | undefined;
  const admin = (): ReturnType<Kafka['admin']> => {
    adminClient ??= kafka.admin();
    return adminClient;
  };

  it('re-consumes from the beginning with the default configs', async () => {
    await admin().connect();
    try {
      await admin().createTopics({
        topics: [
          {
            topic: 'orders',
            numPartitions: 1,
            configEntries: [
              { name: 'retention.ms', value: '3600000' },
              { name: 'max.message.bytes', value: '500000' },
            ],
          },
        ],
      });
      expect(await describeOrders()).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '500000' });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ value: `old-${i}` })) });
      const seenOld: string[] = [];
      const first = await consume(seenOld);
      await until(() => seenOld.length >= 5);
      await first.disconnect();
      expect(await broker.offsets.committed('g', 'orders', 0)).toBe(5);
      // A metadata string, as a client may commit with one.
      await new GroupOffsets(broker).commit('g', [{ topic: 'orders', partition: 0, offset: 5, metadata: 'm' }]);

      // Deleted by someone other than Kafka (the admin API, RocketMQ tooling), then re-created by Kafka.
      expect(await broker.topics.delete('orders')).toBe(true);
      expect(await store.metadata.scan('kafka/offset-meta/')).toEqual([]);
      expect(await store.metadata.get('kafka/topic-config/orders')).toBeUndefined();
      await admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
      expect(await describeOrders()).toEqual({ 'retention.ms': '604800000', 'max.message.bytes': '1048576' });

      const values = Array.from({ length: 8 }, (_, i) => `new-${i}`);
      await producer.send({ topic: 'orders', messages: values.map((value) => ({ value })) });
      await producer.disconnect();
      const seenNew: string[] = [];
      await consume(seenNew);
      await until(() => seenNew.length >= 8);
      expect(seenNew).toEqual(values);
    } finally {
      await admin().disconnect();
    }
  }, 30_000);
});
