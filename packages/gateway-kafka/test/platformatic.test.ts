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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaFixture, kafkaFixture } from './fixture.js';

const { Consumer, MessagesStreamModes, Producer, ProduceAcks, stringDeserializers, stringSerializers } = await import(
  '@platformatic/kafka'
);

// @platformatic/kafka 1.35 implements only recent versions of most APIs (Metadata 9–12, Fetch 12–17,
// ListOffsets 5–9, JoinGroup 6–9, …), so this needs those maxima advertised.
describe('@platformatic/kafka 1.35', () => {
  let fixture: KafkaFixture;

  beforeAll(async () => {
    fixture = await kafkaFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('produces with keys and headers and consumes them back from the earliest offset', async () => {
    await fixture.broker.topics.create({ name: 'plt', queueCount: 1 });
    const producer = new Producer({
      clientId: 'plt-producer',
      bootstrapBrokers: [fixture.bootstrap],
      serializers: stringSerializers,
    });
    const sent = await producer.send({
      acks: ProduceAcks.ALL,
      messages: [
        { topic: 'plt', key: 'k1', value: 'v1', headers: new Map([['h', 'x']]) },
        { topic: 'plt', key: 'k2', value: 'v2' },
      ],
    });
    expect(sent.offsets?.[0]).toMatchObject({ topic: 'plt', partition: 0, offset: 0n });
    await producer.close();

    const consumer = new Consumer({
      groupId: 'plt-readers',
      clientId: 'plt-consumer',
      bootstrapBrokers: [fixture.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
    });
    const stream = await consumer.consume({ topics: ['plt'], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const received: [string, string, bigint, Record<string, string>][] = [];
    for await (const message of stream) {
      received.push([message.key, message.value, message.offset, Object.fromEntries(message.headers)]);
      if (received.length === 2) break;
    }
    await stream.close();
    await consumer.close(true);
    expect(received).toEqual([
      ['k1', 'v1', 0n, { h: 'x' }],
      ['k2', 'v2', 1n, {}],
    ]);
  });
});
