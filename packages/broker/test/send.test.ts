import { SystemTopic } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
import { messageGroupQueueId } from '../src/index.js';
import { codeOf, errorOf, type MemoryBroker, memoryBroker, text } from './fixture.js';

async function bodiesOf(fixture: MemoryBroker, topic: string, queueId: number): Promise<string[]> {
  const read = await fixture.store.read(topic, queueId, 0, { maxMessages: 100 });
  return read.status === 'ok' ? read.messages.map(text) : [];
}

describe('send', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('appends a normal message round robin over the write queues and says where', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 3 });
    const results = [];
    for (let index = 0; index < 4; index++) results.push(await broker.send(message({ topic: 't', body: `m${index}` })));
    expect(results.map(({ kind, queueId, queueOffset }) => [kind, queueId, queueOffset])).toEqual([
      ['normal', 0, 0],
      ['normal', 1, 0],
      ['normal', 2, 0],
      ['normal', 0, 1],
    ]);
    expect(results[0]?.messageId).toMatch(/^[0-9A-F]{32}$/);
    expect(await bodiesOf(fixture, 't', 0)).toEqual(['m0', 'm3']);
    expect((await broker.findMessageById(results[1]?.messageId as string))?.queueId).toBe(1);
  });

  it('writes to an explicit queue and refuses one that is not a write queue', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', readQueueNums: 4, writeQueueNums: 2 });
    expect((await broker.send(message({ topic: 't', body: 'x' }), { queueId: 1 })).queueId).toBe(1);
    const error = await errorOf(broker.send(message({ topic: 't', body: 'y' }), { queueId: 2 }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('write queue');
  });

  it('sends every message of one FIFO group to the same queue, in order', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 'fifo', queueCount: 8 });
    const groups = ['order-1', 'order-2', 'order-3'];
    for (let index = 0; index < 5; index++) {
      for (const group of groups) {
        const result = await broker.send(message({ topic: 'fifo', body: `${group}:${index}`, messageGroup: group }), {
          queueId: 0,
        });
        expect(result.kind).toBe('fifo');
        expect(result.queueId).toBe(messageGroupQueueId(group, 8));
      }
    }
    for (const group of groups) {
      const bodies = (await bodiesOf(fixture, 'fifo', messageGroupQueueId(group, 8))).filter((body) =>
        body.startsWith(`${group}:`),
      );
      expect(bodies).toEqual([0, 1, 2, 3, 4].map((index) => `${group}:${index}`));
    }
  });

  it('refuses an oversized body naming maxMessageSize, and other invalid messages', async () => {
    fixture = await memoryBroker({ maxMessageSize: 1024 });
    const { broker, message } = fixture;
    const error = await errorOf(broker.send(message({ topic: 't', body: new Uint8Array(1025) })));
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toBe('message body is 1025 bytes; the limit is 1024 (maxMessageSize)');
    expect((await broker.send(message({ topic: 't', body: new Uint8Array(1024) }))).kind).toBe('normal');
    expect(await codeOf(broker.send(message({ topic: 't', body: 'x', properties: { KEYS: 'k' } })))).toBe(
      'RESERVED_PROPERTY',
    );
    expect(await codeOf(broker.send(message({ topic: 'bad topic', body: 'x' })))).toBe('INVALID_NAME');
    expect(await codeOf(broker.send(message({ topic: 't', body: 'x', transaction: 'commit' })))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(broker.send(message({ topic: 't', body: 'x' }), { delayLevel: -1 }))).toBe('INVALID_ARGUMENT');
    expect(broker.metrics().topics.t?.messagesIn).toBe(1);
  });

  it('holds a delay-level message in SCHEDULE_TOPIC_XXXX and delivers it no earlier than due', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    const sentAt = clock.now();
    const result = await broker.send(message({ topic: 't', body: 'later' }), { delayLevel: 2 });
    expect(result).toEqual(
      expect.objectContaining({ kind: 'delay', topic: 't', queueId: 0, queueOffset: 0, deliverAt: sentAt + 5000 }),
    );
    expect(await bodiesOf(fixture, SystemTopic.SCHEDULE, 1)).toEqual(['later']);
    expect(broker.metrics().scheduledPending).toBe(1);
    await clock.advance(4999);
    await broker.whenIdle();
    expect(await bodiesOf(fixture, 't', 0)).toEqual([]);
    await clock.advance(1);
    await broker.whenIdle();
    expect(await bodiesOf(fixture, 't', 0)).toEqual(['later']);
    expect(broker.metrics().scheduledPending).toBe(0);
    expect(await fixture.store.read('t', 0, 0)).toEqual(
      expect.objectContaining({ messages: [expect.objectContaining({ storeTimestamp: sentAt + 5000 })] }),
    );
  });

  it('treats delay level 0 and a delivery time now or in the past as a normal send', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    expect((await broker.send(message({ topic: 't', body: 'a' }), { delayLevel: 0 })).kind).toBe('normal');
    expect((await broker.send(message({ topic: 't', body: 'b', deliveryTimestamp: clock.now() }))).kind).toBe('normal');
    expect((await broker.send(message({ topic: 't', body: 'c', deliveryTimestamp: clock.now() - 1 }))).kind).toBe(
      'normal',
    );
  });

  it('refuses a delivery time beyond timerMaxDelayMs, and delay plus delivery time together', async () => {
    fixture = await memoryBroker({ timerMaxDelayMs: 60_000 });
    const { broker, message, clock } = fixture;
    const error = await errorOf(
      broker.send(message({ topic: 't', body: 'x', deliveryTimestamp: clock.now() + 60_001 })),
    );
    expect(error.code).toBe('ILLEGAL_DELIVERY_TIME');
    expect(error.message).toBe('deliveryTimestamp is 60001 ms ahead; the limit is 60000 (timerMaxDelayMs)');
    expect(
      await codeOf(
        broker.send(message({ topic: 't', body: 'x', deliveryTimestamp: clock.now() + 10 }), { delayLevel: 1 }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(
        broker.send(message({ topic: 't', body: 'x', transaction: 'prepared', producerGroup: 'p' }), { delayLevel: 1 }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('wakes a long-polling pop as soon as a message is sent', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    let popped: string[] | undefined;
    let answeredAt = 0;
    const startedAt = clock.now();
    const pending = broker
      .pop({
        group: 'g',
        topic: 't',
        clientId: 'c',
        maxMessages: 4,
        invisibleDurationMs: 30_000,
        pollTimeoutMs: 20_000,
      })
      .then((result) => {
        popped = result.messages.map(({ message: received }) => text(received));
        answeredAt = clock.now();
      });
    await clock.advance(1000);
    expect(popped).toBeUndefined();
    await broker.send(message({ topic: 't', body: 'wake' }));
    await clock.advance(0);
    await pending;
    expect(popped).toEqual(['wake']);
    expect(answeredAt).toBe(startedAt + 1000);
  });
});
