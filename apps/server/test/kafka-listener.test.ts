import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { type EddyProcess, startEddy } from './launch.js';

describe('eddy start: the Kafka listener', () => {
  let eddy: EddyProcess | undefined;
  afterEach(async () => {
    await eddy?.cleanup();
  });

  it('serves kafkajs on --kafka-port with 4 partitions per auto-created topic', async () => {
    eddy = await startEddy({ args: ['--store', 'memory'] });
    const kafka = new Kafka({
      clientId: 'server-test',
      brokers: [`127.0.0.1:${eddy.kafkaPort}`],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const [result] = await producer.send({ topic: 'server-kafka', messages: [{ key: 'k', value: 'v', partition: 3 }] });
    await producer.disconnect();
    expect(result).toMatchObject({ partition: 3, errorCode: 0, baseOffset: '0' });
    const admin = kafka.admin();
    await admin.connect();
    const [topic] = (await admin.fetchTopicMetadata({ topics: ['server-kafka'] })).topics;
    await admin.disconnect();
    expect(topic?.partitions).toHaveLength(4);
    expect(await eddy.stop()).toBe(0);
  });
});
