import { SystemTopic } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransactionCheck } from '../src/index.js';
import { type MemoryBroker, memoryBroker, text } from './fixture.js';

const TIMEOUT_MS = 1000;
const CHECK_INTERVAL_MS = 5000;

describe('transactional messages', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  async function setUp(): Promise<MemoryBroker> {
    fixture = await memoryBroker({
      transactionTimeoutMs: TIMEOUT_MS,
      transactionCheckIntervalMs: CHECK_INTERVAL_MS,
      transactionMaxChecks: 3,
    });
    await fixture.broker.topics.create({ name: 't', queueCount: 1 });
    return fixture;
  }

  const popAll = (broker: MemoryBroker['broker']) =>
    broker
      .pop({ group: 'g', topic: 't', clientId: 'c', maxMessages: 16, invisibleDurationMs: 60_000 })
      .then(({ messages }) => messages.map(({ message }) => text(message)));

  it('delivers a committed message once, and never one rolled back', async () => {
    const { broker, store } = await setUp();
    const producer = broker.createProducer({ group: 'p' });
    const committed = await producer.sendInTransaction({ topic: 't', body: 'commit-me' });
    const rolledBack = await producer.sendInTransaction({ topic: 't', body: 'roll-me-back' });
    expect(committed.result).toEqual(expect.objectContaining({ kind: 'transaction', topic: 't', queueId: 0 }));
    expect(committed.result.transactionId).toEqual(expect.any(String));
    expect(await store.queueRange(SystemTopic.TRANSACTION_HALF, 0)).toEqual(expect.objectContaining({ maxOffset: 2 }));
    expect(broker.metrics().transactionsPending).toBe(2);
    expect(await popAll(broker)).toEqual([]);

    expect(await committed.commit()).toEqual({ status: 'ok' });
    expect(await committed.commit()).toEqual({ status: 'not-found' });
    expect(await rolledBack.rollback()).toEqual({ status: 'ok' });
    expect(await committed.rollback()).toEqual({ status: 'not-found' });
    expect(broker.metrics().transactionsPending).toBe(0);
    expect(await popAll(broker)).toEqual(['commit-me']);
    expect(await broker.endTransaction({ transactionId: 'made-up', resolution: 'commit' })).toEqual({
      status: 'not-found',
    });
    await fixture.clock.advance(CHECK_INTERVAL_MS * 5);
    await broker.whenIdle();
    expect(await popAll(broker)).toEqual([]);
    expect((await store.queueRange('t', 0))?.maxOffset).toBe(1);
  });

  it('checks back through the producer checker, which commits', async () => {
    const { broker, clock } = await setUp();
    const checks: TransactionCheck[] = [];
    const producer = broker.createProducer({
      group: 'p',
      checker: (check) => {
        checks.push(check);
        return 'commit';
      },
    });
    const sent = await producer.sendInTransaction({ topic: 't', body: 'unsure', keys: ['order-7'] });
    await clock.advance(TIMEOUT_MS - 1);
    await broker.whenIdle();
    expect(checks).toEqual([]);
    await clock.advance(1);
    await broker.whenIdle();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toEqual(
      expect.objectContaining({ transactionId: sent.result.transactionId, producerGroup: 'p', checkTimes: 1 }),
    );
    expect(checks[0]?.message).toEqual(expect.objectContaining({ topic: 't', keys: ['order-7'] }));
    expect(await popAll(broker)).toEqual(['unsure']);
    expect(await sent.commit()).toEqual({ status: 'not-found' });
  });

  it('asks again while the checker does not know, and rolls back after the last check', async () => {
    const { broker, clock } = await setUp();
    let asked = 0;
    const producer = broker.createProducer({
      group: 'p',
      checker: () => {
        asked++;
        return undefined;
      },
    });
    await producer.sendInTransaction({ topic: 't', body: 'never' });
    for (let step = 0; step < 6; step++) {
      await clock.advance(CHECK_INTERVAL_MS);
      await broker.whenIdle();
    }
    expect(asked).toBe(3);
    expect(broker.metrics().transactionsPending).toBe(0);
    expect(await popAll(broker)).toEqual([]);
  });

  it('lets another member of the group answer when the producer that sent it is gone', async () => {
    const { broker, clock } = await setUp();
    const answeredBy: string[] = [];
    const first = broker.createProducer({
      group: 'p',
      checker: () => {
        answeredBy.push('first');
        return 'rollback';
      },
    });
    const second = broker.createProducer({
      group: 'p',
      checker: () => {
        answeredBy.push('second');
        return 'commit';
      },
    });
    await first.sendInTransaction({ topic: 't', body: 'orphan' });
    await first.close();
    await clock.advance(TIMEOUT_MS);
    await broker.whenIdle();
    expect(answeredBy).toEqual(['second']);
    expect(await popAll(broker)).toEqual(['orphan']);
    await second.close();
  });

  it('routes check-backs of a registered (gateway) producer, answered through endTransaction', async () => {
    const { broker, clock, message } = await setUp();
    const checks: TransactionCheck[] = [];
    const unregister = broker.registerProducer({
      clientId: 'grpc-1',
      group: 'p',
      checkTransaction: (c) => checks.push(c),
    });
    const sent = await broker.send(
      message({ topic: 't', body: 'remote', transaction: 'prepared', producerGroup: 'p' }),
    );
    await clock.advance(TIMEOUT_MS);
    await broker.whenIdle();
    expect(checks.map(({ transactionId }) => transactionId)).toEqual([sent.transactionId]);
    expect(
      await broker.endTransaction({
        transactionId: sent.transactionId as string,
        resolution: 'commit',
        fromCheck: true,
      }),
    ).toEqual({ status: 'ok' });
    expect(await popAll(broker)).toEqual(['remote']);
    unregister();
  });
});
