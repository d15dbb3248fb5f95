import { SystemTopic } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
import { type MemoryBroker, memoryBroker, text } from './fixture.js';

describe('timer messages', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('holds a message with a future delivery time and delivers it no earlier than due', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock, store } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    const due = clock.now() + 90_000;
    const result = await broker.send(message({ topic: 't', body: 'timed', deliveryTimestamp: due }), { queueId: 1 });
    expect(result).toEqual(expect.objectContaining({ kind: 'timer', topic: 't', queueId: 1, deliverAt: due }));
    expect(await store.queueRange(SystemTopic.TIMER, 0)).toEqual(expect.objectContaining({ maxOffset: 1 }));
    expect(broker.metrics().scheduledPending).toBe(1);
    expect(broker.metrics().topics.t?.messagesIn).toBe(1);

    const pop = () => broker.pop({ group: 'g', topic: 't', clientId: 'c', maxMessages: 4, invisibleDurationMs: 1000 });
    await clock.advance(89_999);
    await broker.whenIdle();
    expect((await pop()).messages).toEqual([]);
    await clock.advance(1);
    await broker.whenIdle();
    const popped = await pop();
    expect(popped.messages.map(({ message: delivered }) => [text(delivered), delivered.queueId])).toEqual([
      ['timed', 1],
    ]);
    expect(popped.messages[0]?.message.storeTimestamp).toBeGreaterThanOrEqual(due);
    expect(broker.metrics().scheduledPending).toBe(0);
  });

  it('wakes a long-polling pop when the timer fires', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    await broker.send(message({ topic: 't', body: 'wake', deliveryTimestamp: clock.now() + 5000 }));
    const waiting = broker.pop({
      group: 'g',
      topic: 't',
      clientId: 'c',
      maxMessages: 1,
      invisibleDurationMs: 1000,
      pollTimeoutMs: 60_000,
    });
    await clock.advance(5000);
    await broker.whenIdle();
    await clock.advance(0);
    expect((await waiting).messages.map(({ message: delivered }) => text(delivered))).toEqual(['wake']);
  });
});
