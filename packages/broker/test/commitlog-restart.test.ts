import { createMessage, silentLogger } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Broker, createBroker } from '../src/index.js';
import { text } from './fixture.js';

const INVISIBLE = 30_000;

describe('a broker over the CommitLog store, restarted', () => {
  let temp: TempDir;
  let clock: FakeClock;
  let store: MessageStore;
  let broker: Broker;

  async function open(): Promise<void> {
    store = await openCommitLogStore({
      dir: temp.path,
      clock,
      logger: silentLogger,
      segmentSize: 1024 * 1024,
      maxBodySize: 64 * 1024,
      diskMaxUsedRatio: 1,
    });
    broker = createBroker({ store, clock, maxMessageSize: 64 * 1024 });
    await broker.start();
  }

  async function restart(): Promise<void> {
    await broker.close();
    await store.close();
    await open();
  }

  beforeEach(async () => {
    temp = await makeTempDir('broker-restart');
    clock = new FakeClock();
    await open();
  });

  afterEach(async () => {
    await broker.close();
    await store.close();
    await temp.remove();
  });

  const pop = () =>
    broker.pop({ group: 'g', topic: 'kept', clientId: 'c', maxMessages: 16, invisibleDurationMs: INVISIBLE });

  it('keeps topics, committed offsets, pending pops, delayed and timer messages', async () => {
    await broker.topics.create({ name: 'kept', queueCount: 1 });
    await broker.topics.create({ name: 'read-only', perm: 4 });
    for (const body of ['acked', 'in-flight', 'fresh']) {
      await broker.send(createMessage({ topic: 'kept', body }, { clock }));
    }
    const popped = await broker.pop({
      group: 'g',
      topic: 'kept',
      clientId: 'c',
      maxMessages: 2,
      invisibleDurationMs: INVISIBLE,
    });
    expect(popped.messages.map(({ message }) => text(message))).toEqual(['acked', 'in-flight']);
    await broker.ack('g', 'kept', popped.messages[0]?.receiptHandle as string);
    await broker.offsets.commit('puller', 'kept', 0, 2);
    const delayed = await broker.send(createMessage({ topic: 'kept', body: 'delayed' }, { clock }), { delayLevel: 3 });
    const timed = await broker.send(
      createMessage({ topic: 'kept', body: 'timed', deliveryTimestamp: clock.now() + 20_000 }, { clock }),
    );

    await restart();

    expect(await broker.topics.get('kept')).toEqual(expect.objectContaining({ readQueueNums: 1, writeQueueNums: 1 }));
    expect((await broker.topics.get('read-only'))?.perm).toBe(4);
    expect(await broker.offsets.committed('puller', 'kept', 0)).toBe(2);
    expect(broker.metrics().scheduledPending).toBe(2);
    // The in-flight message stays invisible until its recorded time; the acked one never returns.
    const fresh = await pop();
    expect(fresh.messages.map(({ message }) => text(message))).toEqual(['fresh']);
    expect((await broker.ack('g', 'kept', fresh.messages[0]?.receiptHandle as string)).status).toBe('ok');
    await clock.advance(INVISIBLE);
    // The delayed (level 3 = 10 s) and timed (20 s) messages fell due meanwhile: the restarted
    // schedulers delivered them.
    await broker.whenIdle();
    expect(clock.now()).toBeGreaterThanOrEqual(Math.max(delayed.deliverAt as number, timed.deliverAt as number));
    const redelivered = await pop();
    expect(redelivered.messages.map(({ message, deliveryAttempt }) => [text(message), deliveryAttempt])).toEqual([
      ['in-flight', 2],
      ['delayed', 1],
      ['timed', 1],
    ]);
    expect(broker.metrics().scheduledPending).toBe(0);
  });

  it('keeps a dead letter re-sendable across a restart', async () => {
    const sent = await broker.send(createMessage({ topic: 'kept', body: 'poison' }, { clock }));
    const [popped] = (await pop()).messages;
    await broker.forwardToDeadLetter('g', 'kept', popped?.receiptHandle as string);
    await restart();
    expect(await broker.resendDeadLetter('g', sent.messageId, { target: 'origin' })).toBe(true);
    expect((await pop()).messages.map(({ message }) => text(message))).toEqual(['poison']);
  });

  it('commits after a restart a transaction prepared before it', async () => {
    await broker.topics.create({ name: 'kept', queueCount: 1 });
    const producer = broker.createProducer({ group: 'p' });
    const open = await producer.sendInTransaction({ topic: 'kept', body: 'half' });
    await restart();
    expect(broker.metrics().transactionsPending).toBe(1);
    expect((await pop()).messages).toEqual([]);
    expect(
      await broker.endTransaction({ transactionId: open.result.transactionId as string, resolution: 'commit' }),
    ).toEqual({ status: 'ok' });
    expect((await pop()).messages.map(({ message }) => text(message))).toEqual(['half']);
  });
});
