import { createMessage, type StoredMessage, SystemProperty } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterHistory } from './dead-letter.js';
import { DelayLevelScheduler } from './delay-scheduler.js';
import { RetryPolicy } from './retry-policy.js';
import { RetryService } from './retry-service.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// RocketMQ's retry backoff: delay levels 3 … 18.
const BACKOFF = [
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  3 * MINUTE,
  4 * MINUTE,
  5 * MINUTE,
  6 * MINUTE,
  7 * MINUTE,
  8 * MINUTE,
  9 * MINUTE,
  10 * MINUTE,
  20 * MINUTE,
  30 * MINUTE,
  60 * MINUTE,
  120 * MINUTE,
];

describe('RetryService', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let scheduler: DelayLevelScheduler;
  let retries: RetryService;
  let appended: string[];

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    scheduler = new DelayLevelScheduler({ store, clock });
    await scheduler.start();
    appended = [];
    retries = new RetryService({
      store,
      scheduler,
      policy: new RetryPolicy({ groups: { impatient: { maxReconsumeTimes: 2 } } }),
      onAppended: (topic, queueId) => appended.push(`${topic}/${queueId}`),
    });
  });
  afterEach(async () => {
    await scheduler.stop();
    await store.close();
  });

  async function messageAt(topic: string, offset: number): Promise<StoredMessage | undefined> {
    const read = await store.read(topic, 0, offset, { maxMessages: 1 });
    return read.status === 'ok' ? read.messages[0] : undefined;
  }

  async function produce(body = 'pay order 42'): Promise<StoredMessage> {
    await store.append('orders', 0, [
      createMessage(
        { topic: 'orders', body, tag: 'paid', keys: ['order-42'], properties: { region: 'eu' } },
        { clock },
      ),
    ]);
    const range = await store.queueRange('orders', 0);
    return (await messageAt('orders', (range?.maxOffset ?? 1) - 1)) as StoredMessage;
  }

  // Fails the message until it is dead-lettered, checking each retry arrives exactly at its due time.
  async function failUntilDeadLettered(group: string, message: StoredMessage): Promise<StoredMessage> {
    let delivered = message;
    for (let attempt = 0; ; attempt++) {
      const result = await retries.sendBack(group, delivered, `failure ${attempt + 1}`);
      if (result.action === 'dead-lettered') {
        expect(result).toMatchObject({ topic: `%DLQ%${group}`, queueId: 0, reconsumeTimes: attempt + 1 });
        return (await messageAt(`%DLQ%${group}`, result.offset)) as StoredMessage;
      }
      const delay = BACKOFF[attempt] as number;
      expect(result).toEqual({
        action: 'retry',
        topic: `%RETRY%${group}`,
        queueId: 0,
        level: 3 + attempt,
        dueAt: clock.now() + delay,
        reconsumeTimes: attempt + 1,
      });
      await scheduler.whenIdle();
      await clock.advance(delay - 1);
      await scheduler.whenIdle();
      expect(await messageAt(`%RETRY%${group}`, attempt)).toBeUndefined();
      await clock.advance(1);
      await scheduler.whenIdle();
      const retried = await messageAt(`%RETRY%${group}`, attempt);
      expect(retried?.storeTimestamp).toBe(result.dueAt);
      delivered = retried as StoredMessage;
    }
  }

  it('retries with the backoff 10s 30s 1m … 2h exactly, raising reconsumeTimes, keeping the id', async () => {
    const original = await produce();
    const start = clock.now();
    const seen: StoredMessage[] = [];
    let delivered = original;
    for (let attempt = 0; attempt < 16; attempt++) {
      const result = await retries.sendBack('billing', delivered, 'handler threw');
      expect(result).toMatchObject({ action: 'retry', dueAt: clock.now() + (BACKOFF[attempt] as number) });
      await scheduler.whenIdle();
      await clock.advance((BACKOFF[attempt] as number) - 1);
      await scheduler.whenIdle();
      expect(await messageAt('%RETRY%billing', attempt)).toBeUndefined();
      await clock.advance(1);
      await scheduler.whenIdle();
      delivered = (await messageAt('%RETRY%billing', attempt)) as StoredMessage;
      seen.push(delivered);
    }
    expect(clock.now() - start).toBe((4 * 60 + 45) * MINUTE + 40 * SECOND);
    expect(seen.map((message) => message.storeTimestamp - start)).toEqual(
      BACKOFF.map((_, index) => BACKOFF.slice(0, index + 1).reduce((sum, delay) => sum + delay, 0)),
    );
    expect(seen.map((message) => message.reconsumeTimes)).toEqual(BACKOFF.map((_, index) => index + 1));
    const last = seen[15] as StoredMessage;
    expect(last).toMatchObject({
      topic: '%RETRY%billing',
      messageId: original.messageId,
      tag: 'paid',
      keys: ['order-42'],
    });
    expect(new TextDecoder().decode(last.body)).toBe('pay order 42');
    expect(last.properties).toEqual({
      region: 'eu',
      [SystemProperty.RETRY_TOPIC]: 'orders',
      [SystemProperty.ORIGIN_MESSAGE_ID]: original.messageId,
      [SystemProperty.RECONSUME_TIME]: '16',
      // Stamped by the delay level's exactly-once relay into the retry topic.
      [SystemProperty.DELIVERY_ID]: 'delay:18:0',
    });
    expect(clock.pendingTasks).toBe(0);
  });

  it('puts a message that failed 16 retries (17 deliveries) in %DLQ%group with its history in properties', async () => {
    const original = await produce();
    const dead = await failUntilDeadLettered('billing', original);
    expect(dead).toMatchObject({
      topic: '%DLQ%billing',
      queueId: 0,
      queueOffset: 0,
      messageId: original.messageId,
      reconsumeTimes: 17,
      tag: 'paid',
      keys: ['order-42'],
    });
    expect(dead.properties).toEqual({
      region: 'eu',
      [SystemProperty.DLQ_ORIGIN_TOPIC]: 'orders',
      [SystemProperty.DLQ_ORIGIN_MESSAGE_ID]: original.messageId,
      [SystemProperty.RETRY_TOPIC]: 'orders',
      [SystemProperty.ORIGIN_MESSAGE_ID]: original.messageId,
      [SystemProperty.RECONSUME_TIME]: '17',
      [SystemProperty.MAX_RECONSUME_TIMES]: '16',
      [SystemProperty.DLQ_FAILURE_REASON]: 'failure 17',
    });
    expect(deadLetterHistory(dead)).toEqual({
      originTopic: 'orders',
      originMessageId: original.messageId,
      reconsumeTimes: 17,
      maxReconsumeTimes: 16,
      reason: 'failure 17',
    });
    expect((await store.queueRange('%RETRY%billing', 0))?.maxOffset).toBe(16);
    expect(appended).toEqual(['%DLQ%billing/0']);
  });

  it('applies a per-group limit', async () => {
    const original = await produce();
    const dead = await failUntilDeadLettered('impatient', original);
    expect(dead.reconsumeTimes).toBe(3);
    expect(dead.properties[SystemProperty.MAX_RECONSUME_TIMES]).toBe('2');
    expect((await store.queueRange('%RETRY%impatient', 0))?.maxOffset).toBe(2);

    retries.policy.setMaxReconsumeTimes('never', 0);
    expect(await retries.sendBack('never', original, 'no retries')).toMatchObject({
      action: 'dead-lettered',
      reconsumeTimes: 1,
    });
    // Other groups keep the default.
    expect(await retries.sendBack('billing', { ...original, reconsumeTimes: 15 })).toMatchObject({
      action: 'retry',
      level: 18,
    });
  });

  it('re-sends a dead letter to its origin topic with the full retry budget', async () => {
    const original = await produce();
    retries.policy.setMaxReconsumeTimes('billing', 1);
    await failUntilDeadLettered('billing', original);
    expect(await retries.resendFromDeadLetter('billing', 0, { queueId: 0 })).toEqual({
      status: 'resent',
      topic: 'orders',
      queueId: 0,
      offset: 1,
    });
    const resent = (await messageAt('orders', 1)) as StoredMessage;
    expect(resent).toMatchObject({ messageId: original.messageId, reconsumeTimes: 0, tag: 'paid' });
    expect(resent.properties).toEqual({ region: 'eu' });
    expect(appended).toEqual(['%DLQ%billing/0', 'orders/0']);
    // The dead letter stays; its re-sent copy fails from scratch.
    expect(await messageAt('%DLQ%billing', 0)).toBeDefined();
    expect(await retries.sendBack('billing', resent)).toMatchObject({ action: 'retry', level: 3, reconsumeTimes: 1 });

    expect(await retries.resendFromDeadLetter('billing', 7)).toEqual({ status: 'not-found' });
    expect(await retries.resendFromDeadLetter('nobody', 0)).toEqual({ status: 'not-found' });
    await store.append('%DLQ%billing', 0, [createMessage({ topic: '%DLQ%billing', body: 'stray' }, { clock })]);
    expect(await retries.resendFromDeadLetter('billing', 1)).toEqual({ status: 'no-origin' });
  });

  it('dead-letters directly on request, whatever the retries left', async () => {
    const original = await produce();
    expect(await retries.deadLetter('billing', original, 'poison')).toEqual({
      topic: '%DLQ%billing',
      queueId: 0,
      offset: 0,
    });
    expect(deadLetterHistory((await messageAt('%DLQ%billing', 0)) as StoredMessage)).toEqual({
      originTopic: 'orders',
      originMessageId: original.messageId,
      reconsumeTimes: 1,
      maxReconsumeTimes: undefined,
      reason: 'poison',
    });
  });

  it('refuses a group that makes no valid topic name, and bad offsets', async () => {
    const original = await produce();
    await expect(retries.sendBack('a/b', original)).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(retries.deadLetter('', original)).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(retries.resendFromDeadLetter('billing', -1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
