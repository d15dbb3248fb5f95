import { createMessage, SystemTopic } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DelayLevelScheduler } from '../src/delay-scheduler.js';
import { RetryService } from '../src/retry-service.js';

const decoder = new TextDecoder();

async function bodies(store: MessageStore, topic: string, queueId: number): Promise<string[]> {
  const read = await store.read(topic, queueId, 0, { maxMessages: 100 });
  return read.status === 'ok' ? read.messages.map((message) => decoder.decode(message.body)) : [];
}

describe('delay scheduler on the CommitLog engine', () => {
  let temp: TempDir;
  let clock: FakeClock;
  const open = (): Promise<MessageStore> => openCommitLogStore({ dir: temp.path, clock, segmentSize: 8 * 1024 * 1024 });

  beforeEach(async () => {
    temp = await makeTempDir('consume-schedule');
    clock = new FakeClock();
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('keeps its progress across a reopen and delivers what fell due while closed, once', async () => {
    const first = await open();
    const before = new DelayLevelScheduler({ store: first, clock });
    await before.start();
    const message = (body: string) => createMessage({ topic: 'x', body }, { clock });
    await before.schedule(message('after 1s'), 1, { topic: 'orders', queueId: 0 });
    await before.schedule(message('after 10s'), 3, { topic: 'orders', queueId: 1 });
    await before.schedule(message('after 30s'), 4, { topic: 'orders', queueId: 1 });
    await clock.advance(1000);
    await before.whenIdle();
    expect(await bodies(first, 'orders', 0)).toEqual(['after 1s']);
    await before.stop();
    await first.close();

    // 15 s pass with the broker down: the 10 s message falls due, the 30 s one not yet.
    await clock.advance(15_000);

    const second = await open();
    try {
      const after = new DelayLevelScheduler({ store: second, clock });
      await after.start();
      expect(after.progress().slice(0, 4)).toEqual([1, 0, 1, 0]);
      expect(await bodies(second, 'orders', 0)).toEqual(['after 1s']);
      expect(await bodies(second, 'orders', 1)).toEqual(['after 10s']);
      await clock.advance(14_000);
      await after.whenIdle();
      expect(await bodies(second, 'orders', 1)).toEqual(['after 10s', 'after 30s']);
      expect(await bodies(second, SystemTopic.SCHEDULE, 3)).toEqual(['after 30s']);
      await after.stop();
    } finally {
      await second.close();
    }
  });

  it('keeps a retry scheduled before a restart', async () => {
    const first = await open();
    const scheduler = new DelayLevelScheduler({ store: first, clock });
    await scheduler.start();
    await first.append('orders', 0, [createMessage({ topic: 'orders', body: 'fails' }, { clock })]);
    const read = await first.read('orders', 0, 0);
    const failed = read.status === 'ok' ? read.messages[0] : undefined;
    expect(failed).toBeDefined();
    if (failed === undefined) return;
    const result = await new RetryService({ store: first, scheduler }).sendBack('billing', failed, 'timeout');
    expect(result).toMatchObject({ action: 'retry', level: 3 });
    await scheduler.stop();
    await first.close();

    await clock.advance(60_000);
    const second = await open();
    try {
      const restarted = new DelayLevelScheduler({ store: second, clock });
      await restarted.start();
      const retried = await second.read('%RETRY%billing', 0, 0);
      expect(retried.status === 'ok' ? retried.messages.map((message) => message.reconsumeTimes) : []).toEqual([1]);
      await restarted.stop();
    } finally {
      await second.close();
    }
  });
});
