// @platformatic/kafka 1.35 against a real `eddy start` process on loopback: produce, consume, consumer group.
// @platformatic/kafka needs Promise.withResolvers (Node 22); Node 20 lacks it: polyfill before importing it.
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
import { EDDY_ARGS } from './kafka-clients.js';
import { type EddyProcess, startEddy } from './launch.js';

const { Consumer, MessagesStreamModes, Producer, ProduceAcks, stringDeserializers, stringSerializers } = await import(
  '@platformatic/kafka'
);

describe('@platformatic/kafka 1.35 against eddy start', () => {
  let eddy: EddyProcess;
  let bootstrap: string;

  beforeAll(async () => {
    eddy = await startEddy({ args: [...EDDY_ARGS] });
    bootstrap = `127.0.0.1:${eddy.kafkaPort}`;
  });
  afterAll(async () => {
    if (eddy !== undefined) {
      expect(await eddy.stop()).toBe(0);
      await eddy.cleanup();
    }
  });

  async function produce(topic: string, messages: { key: string; value: string; partition?: number }[]) {
    const producer = new Producer({
      clientId: 'plt-producer',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
    });
    try {
      return await producer.send({
        acks: ProduceAcks.ALL,
        messages: messages.map((message) => ({ topic, ...message })),
      });
    } finally {
      await producer.close();
    }
  }

  /** Consumes `count` messages in group `groupId` from its commits (else the earliest), committing each. */
  async function consumeAndCommit(groupId: string, topic: string, count: number): Promise<string[]> {
    const consumer = new Consumer({
      groupId,
      clientId: `${groupId}-member`,
      bootstrapBrokers: [bootstrap],
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

  it('auto-creates a topic, produces with keys and headers and consumes them back', async () => {
    // Its admin client speaks only CreateTopics v7 (not advertised): topics are auto-created (4 partitions).
    const producer = new Producer({
      clientId: 'plt-producer',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
    });
    const sent = await producer.send({
      acks: ProduceAcks.ALL,
      messages: [
        { topic: 'plt', key: 'k1', value: 'v1', headers: new Map([['h', 'x']]), partition: 0 },
        { topic: 'plt', key: 'k2', value: 'v2', partition: 0 },
      ],
    });
    expect(sent.offsets?.[0]).toMatchObject({ topic: 'plt', partition: 0, offset: 0n });
    await producer.close();

    const consumer = new Consumer({
      groupId: 'plt-readers',
      clientId: 'plt-consumer',
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
    });
    const stream = await consumer.consume({ topics: ['plt'], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const received: [string, string, number, bigint, Record<string, string>][] = [];
    for await (const message of stream) {
      received.push([
        message.key,
        message.value,
        message.partition,
        message.offset,
        Object.fromEntries(message.headers),
      ]);
      if (received.length === 2) break;
    }
    await stream.close();
    await consumer.close(true);
    expect(received).toEqual([
      ['k1', 'v1', 0, 0n, { h: 'x' }],
      ['k2', 'v2', 0, 1n, {}],
    ]);
  });

  it('a consumer group commits what it read; the next member resumes from the commits', async () => {
    const first = Array.from({ length: 10 }, (_, i) => `a${i}`);
    await produce(
      'plt-group',
      first.map((value, i) => ({ key: `k${i}`, value, partition: i % 2 })),
    );
    expect((await consumeAndCommit('plt-g', 'plt-group', 10)).sort()).toEqual([...first].sort());
    const second = Array.from({ length: 4 }, (_, i) => `b${i}`);
    await produce(
      'plt-group',
      second.map((value, i) => ({ key: `k${i}`, value, partition: i % 2 })),
    );
    expect((await consumeAndCommit('plt-g', 'plt-group', 4)).sort()).toEqual([...second].sort());
  });
});
