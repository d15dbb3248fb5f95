import { createMessage, type StoredMessage, SystemTopic, silentLogger } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HalfMessageCheck, TransactionService } from './transaction-service.js';

const decoder = new TextDecoder();
const TIMEOUT = 6000;
const INTERVAL = 60_000;

async function bodies(store: MessageStore, topic: string, queueId = 0): Promise<string[]> {
  const read = await store.read(topic, queueId, 0, { maxMessages: 1000 });
  return read.status === 'ok' ? read.messages.map((message: StoredMessage) => decoder.decode(message.body)) : [];
}

describe('TransactionService on the CommitLog engine, across close and reopen', () => {
  let temp: TempDir;
  let clock: FakeClock;
  let checks: HalfMessageCheck[];
  let store: MessageStore | undefined;
  let service: TransactionService | undefined;

  async function open(
    options: { maxChecks?: number } = {},
  ): Promise<{ store: MessageStore; service: TransactionService }> {
    store = await openCommitLogStore({
      dir: temp.path,
      clock,
      logger: silentLogger,
      segmentSize: 1024 * 1024,
      maxBodySize: 64 * 1024,
    });
    service = new TransactionService({ store, clock, onCheck: (check) => checks.push(check), ...options });
    await service.start();
    return { store, service };
  }

  async function close(): Promise<void> {
    await service?.stop();
    await store?.close();
    service = undefined;
    store = undefined;
  }

  beforeEach(async () => {
    temp = await makeTempDir('consume-transactions');
    clock = new FakeClock();
    checks = [];
  });
  afterEach(async () => {
    await close();
    await temp.remove();
  });

  it('keeps pending halves, check counts and ids; never delivers a committed or rolled back one again', async () => {
    let { store, service } = await open();
    const message = (body: string) => createMessage({ topic: 'orders', body, producerGroup: 'producers' }, { clock });
    const committed = await service.prepare(message('committed'), { topic: 'orders', queueId: 0 });
    const rolledBack = await service.prepare(message('rolled back'), { topic: 'orders', queueId: 0 });
    const checked = await service.prepare(message('checked'), { topic: 'orders', queueId: 1 });
    await service.end(committed.transactionId, 'commit');
    await service.end(rolledBack.transactionId, 'rollback');
    await clock.advance(TIMEOUT);
    const late = await service.prepare(message('prepared late'), { topic: 'orders', queueId: 1 });
    expect(checks.map((check) => [check.transactionId, check.checkTimes])).toEqual([[checked.transactionId, 1]]);
    await close();

    // 30 s with the broker down.
    await clock.advance(30_000);
    checks = [];
    ({ store, service } = await open());
    expect(service.pending).toBe(2);
    expect(await bodies(store, 'orders', 0)).toEqual(['committed']);
    expect(await service.end(committed.transactionId, 'commit')).toEqual({ status: 'not-found' });
    expect(await service.end(rolledBack.transactionId, 'commit')).toEqual({ status: 'not-found' });

    // `late` is overdue (prepared 30 s ago) and checked at once; `checked` keeps its count and interval.
    await clock.advance(1);
    expect(checks.map((check) => [check.transactionId, check.checkTimes])).toEqual([[late.transactionId, 1]]);
    await clock.advance(INTERVAL - 30_000 - 1);
    expect(checks.map((check) => [check.transactionId, check.checkTimes])).toEqual([
      [late.transactionId, 1],
      [checked.transactionId, 2],
    ]);

    expect(await service.end(checked.transactionId, 'commit')).toMatchObject({
      status: 'ok',
      delivered: { topic: 'orders', queueId: 1, queueOffset: 0 },
    });
    await close();

    ({ store, service } = await open());
    expect(service.pending).toBe(1);
    expect(await bodies(store, 'orders', 1)).toEqual(['checked']);
    expect(await service.end(late.transactionId, 'rollback')).toEqual({ status: 'ok' });
    await close();

    ({ store, service } = await open());
    expect(service.pending).toBe(0);
    expect(service.lastRecovery).toMatchObject({ halvesRead: 0, opRecordsRead: 0 });
    await clock.advance(20 * INTERVAL);
    expect(await bodies(store, 'orders', 0)).toEqual(['committed']);
    expect(await bodies(store, 'orders', 1)).toEqual(['checked']);
  });

  it('counts checks across restarts toward the maximum, then rolls back once', async () => {
    let { store, service } = await open({ maxChecks: 3 });
    const { transactionId } = await service.prepare(createMessage({ topic: 'orders', body: 'never answered' }), {
      topic: 'orders',
      queueId: 0,
    });
    await clock.advance(TIMEOUT + INTERVAL);
    expect(checks.map((check) => check.checkTimes)).toEqual([1, 2]);
    await close();

    ({ store, service } = await open({ maxChecks: 3 }));
    await clock.advance(INTERVAL);
    expect(checks.map((check) => check.checkTimes)).toEqual([1, 2, 3]);
    await close();

    ({ store, service } = await open({ maxChecks: 3 }));
    await clock.advance(INTERVAL);
    await service.whenIdle();
    expect(checks).toHaveLength(3);
    expect(service.pending).toBe(0);
    expect(await bodies(store, SystemTopic.TRANSACTION_CHECK_MAX_TIME)).toEqual(['never answered']);
    await close();

    ({ store, service } = await open({ maxChecks: 3 }));
    expect(service.pending).toBe(0);
    expect(await service.end(transactionId, 'commit')).toEqual({ status: 'not-found' });
    await clock.advance(5 * INTERVAL);
    expect(checks).toHaveLength(3);
    expect(await bodies(store, SystemTopic.TRANSACTION_CHECK_MAX_TIME)).toEqual(['never answered']);
    expect(await bodies(store, 'orders')).toEqual([]);
  });
});
