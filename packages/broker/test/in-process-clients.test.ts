import type { StoredMessage } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type MemoryBroker, memoryBroker, text } from './fixture.js';

describe('in-process clients', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('a producer sends and a simple consumer receives, changes invisible time and acks', async () => {
    fixture = await memoryBroker();
    const { broker, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    const producer = broker.createProducer({ group: 'p' });
    const consumer = broker.createSimpleConsumer({ group: 'g', subscriptions: { t: 'TagA' } });
    expect(broker.groups.members('g')).toEqual([
      expect.objectContaining({
        clientId: consumer.clientId,
        subscriptions: [{ topic: 't', filterType: 'TAG', expression: 'TagA' }],
      }),
    ]);
    const sent = await producer.send({ topic: 't', body: 'hello', tag: 'TagA', keys: ['k'] });
    await producer.send({ topic: 't', body: 'skipped', tag: 'TagB' });
    expect((await broker.findMessageById(sent.messageId))?.producerGroup).toBe('p');
    expect((await broker.findMessagesByKey('t', 'k')).map(text)).toEqual(['hello']);

    const [received, ...rest] = await consumer.receive({ invisibleDurationMs: 10_000 });
    expect(rest).toEqual([]);
    expect(received).toEqual(expect.objectContaining({ messageId: sent.messageId, deliveryAttempt: 1, topic: 't' }));
    const message = received as NonNullable<typeof received>;
    expect((await consumer.changeInvisibleDuration(message, 60_000)).status).toBe('ok');
    await clock.advance(30_000);
    expect(await consumer.receive()).toEqual([]);
    expect((await consumer.ack(message)).status).toBe('ok');
    await clock.advance(60_000);
    expect(await consumer.receive()).toEqual([]);

    expect(await codeOf(() => consumer.receive({ topic: 'other' }))).toBe('INVALID_ARGUMENT');
    await consumer.close();
    expect(broker.groups.members('g')).toEqual([]);
    await producer.close();
    expect(await codeOf(() => producer.send({ topic: 't', body: 'x' }))).toBe('INVALID_ARGUMENT');
  });

  it('a simple consumer long-polls, and keeps heartbeating while idle', async () => {
    fixture = await memoryBroker();
    const { broker, clock } = fixture;
    const consumer = broker.createSimpleConsumer({ group: 'g', subscriptions: { t: '*' } });
    const waiting = consumer.receive({ waitMs: 20_000 });
    await clock.advance(5000);
    await broker.createProducer({ group: 'p' }).send({ topic: 't', body: 'arrived' });
    expect((await waiting).map(text)).toEqual(['arrived']);
    await clock.advance(10 * 60_000);
    broker.groups.expire();
    expect(broker.groups.members('g').map(({ clientId }) => clientId)).toEqual([consumer.clientId]);
  });

  it('two push consumers of one group share the queues: each message is consumed once', async () => {
    fixture = await memoryBroker();
    const { broker, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 4 });
    const seen = new Map<string, string[]>();
    const consumers = ['one', 'two'].map((name) =>
      broker.createPushConsumer({
        group: 'g',
        clientId: name,
        subscriptions: [{ topic: 't' }],
        consumeFromWhere: 'FIRST_OFFSET',
        handler: (messages) => {
          for (const message of messages) seen.set(text(message), [...(seen.get(text(message)) ?? []), name]);
          return 'SUCCESS';
        },
      }),
    );
    for (const consumer of consumers) await consumer.start();
    for (const consumer of consumers) await consumer.rebalance();
    expect(consumers.map((consumer) => consumer.assignment().filter(({ topic }) => topic === 't').length)).toEqual([
      2, 2,
    ]);
    const producer = broker.createProducer({ group: 'p' });
    for (let index = 0; index < 20; index++) await producer.send({ topic: 't', body: `m${index}` });
    for (let round = 0; round < 20 && seen.size < 20; round++) await clock.advance(0);
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: 20 }, (_, index) => `m${index}`).sort());
    expect([...seen.values()].every((names) => names.length === 1)).toBe(true);
    expect(new Set([...seen.values()].flat())).toEqual(new Set(['one', 'two']));
    expect((await broker.lag('g', 't')).every(({ lag }) => lag === 0)).toBe(true);
  });

  it('a failed push message comes back through %RETRY%<group>, under its own topic, after the retry delay', async () => {
    fixture = await memoryBroker();
    const { broker, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    const handled: StoredMessage[] = [];
    const consumer = broker.createPushConsumer({
      group: 'g',
      clientId: 'c',
      subscriptions: [{ topic: 't' }],
      consumeFromWhere: 'FIRST_OFFSET',
      handler: (messages) => {
        handled.push(...messages);
        return handled.length === 1 ? 'RETRY' : 'SUCCESS';
      },
    });
    await consumer.start();
    await broker.createProducer({ group: 'p' }).send({ topic: 't', body: 'flaky' });
    await clock.advance(0);
    await broker.whenIdle();
    expect(handled.map(({ topic, reconsumeTimes }) => [topic, reconsumeTimes])).toEqual([['t', 0]]);
    expect(broker.metrics().scheduledPending).toBe(1);
    // Retry 1 waits delay level 3 (10 s).
    await clock.advance(9_999);
    await broker.whenIdle();
    expect(handled).toHaveLength(1);
    await clock.advance(1);
    await broker.whenIdle();
    for (let round = 0; round < 10 && handled.length < 2; round++) await clock.advance(0);
    expect(handled.map(({ topic, reconsumeTimes }) => [topic, reconsumeTimes])).toEqual([
      ['t', 0],
      ['t', 1],
    ]);
    expect(text(handled[1] as StoredMessage)).toBe('flaky');
    expect(broker.metrics().scheduledPending).toBe(0);
  });

  it('close stops the push consumers the broker made', async () => {
    fixture = await memoryBroker();
    const { broker } = fixture;
    const consumer = broker.createPushConsumer({
      group: 'g',
      clientId: 'c',
      subscriptions: [{ topic: 't' }],
      handler: () => 'SUCCESS',
    });
    await consumer.start();
    expect(consumer.running).toBe(true);
    await broker.close();
    expect(consumer.running).toBe(false);
    expect(broker.groups.members('g')).toEqual([]);
  });
});
