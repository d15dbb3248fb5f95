import { type Clock, createMessage, EddyError, type StoredMessage } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ConsumerGroupRegistry } from '../src/consumer-group-registry.js';
import { ConsumerOffsetStore } from '../src/consumer-offset-store.js';
import { LongPollRegistry } from '../src/long-poll.js';
import { PullService } from '../src/pull-service.js';
import {
  type ConsumeContext,
  type ConsumeStatus,
  PushConsumer,
  type PushConsumerOptions,
} from '../src/push-consumer.js';
import { DEFAULT_LOCK_LEASE_MS, QueueLockManager, RENEW_INTERVAL_MS } from '../src/queue-lock.js';

const QUEUE_IDS = [0, 1, 2, 3];

type Handler = (messages: readonly StoredMessage[], context: ConsumeContext) => ConsumeStatus | Promise<ConsumeStatus>;

async function setUp() {
  const clock = new FakeClock();
  const store = await openMemoryStore({ clock });
  const registry = new ConsumerGroupRegistry({ clock });
  const offsets = new ConsumerOffsetStore(store.metadata);
  const pulls = new PullService({ store, longPoll: new LongPollRegistry({ clock }), clock });
  const locks = new QueueLockManager({ clock });
  const next = new Map<number, number>();
  const append = async (queueId: number, count: number): Promise<void> => {
    const first = next.get(queueId) ?? 0;
    next.set(queueId, first + count);
    const messages = Array.from({ length: count }, (_, index) =>
      createMessage({ topic: 't', body: `${queueId}:${first + index}` }, { clock }),
    );
    await pulls.appendAndNotify('t', queueId, messages);
  };
  const make = (clientId: string, handler: Handler, overrides: Partial<PushConsumerOptions> = {}): PushConsumer =>
    new PushConsumer({
      group: 'g',
      clientId,
      subscriptions: [{ topic: 't' }],
      consumeFromWhere: 'FIRST_OFFSET',
      registry,
      offsets,
      pulls,
      store,
      clock,
      listQueueIds: () => QUEUE_IDS,
      orderly: { locks },
      handler,
      ...overrides,
    });
  return { clock, registry, offsets, locks, append, appended: next, make };
}

// A clock a consumer can be cut off from: once dead, its timers (heartbeats, rebalances, renewals) never run.
function killableClock(clock: Clock): { clock: Clock; kill: () => void } {
  let dead = false;
  return {
    clock: {
      now: () => clock.now(),
      schedule: (delayMs, callback) =>
        clock.schedule(delayMs, () => {
          if (!dead) callback();
        }),
    },
    kill: () => {
      dead = true;
    },
  };
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

// A small deterministic PRNG (mulberry32), so that a failing run can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('PushConsumer, orderly', () => {
  it('refuses orderly with BROADCASTING, and bad orderly timings', async () => {
    const { make, locks } = await setUp();
    const codeOf = (overrides: Partial<PushConsumerOptions>): string | undefined => {
      try {
        make('c1', () => 'SUCCESS', overrides);
      } catch (error) {
        return error instanceof EddyError ? error.code : 'not an EddyError';
      }
      return undefined;
    };
    expect(codeOf({ messageModel: 'BROADCASTING' })).toBe('INVALID_CONFIG');
    expect(codeOf({ orderly: { locks, suspendMs: -1 } })).toBe('INVALID_CONFIG');
    expect(codeOf({ orderly: { locks, renewIntervalMs: 0 } })).toBe('INVALID_CONFIG');
    expect(codeOf({ messageModel: 'BROADCASTING', orderly: undefined })).toBeUndefined();
    expect(codeOf({})).toBeUndefined();
  });

  it('never lets two members consume one queue at once, through joins, leaves and rebalances', async () => {
    const { clock, locks, append, appended, make, offsets } = await setUp();
    const inside = new Map<number, string>();
    const violations: string[] = [];
    const consumed = new Map<number, { clientId: string; offset: number }[]>();
    const handler: Handler = async (messages, { clientId, queueId }): Promise<ConsumeStatus> => {
      const holder = locks.holder('g', 't', queueId)?.clientId;
      if (holder !== clientId) violations.push(`${clientId} consumed queue ${queueId} locked by ${holder}`);
      const other = inside.get(queueId);
      if (other !== undefined) violations.push(`${clientId} and ${other} inside queue ${queueId} at once`);
      inside.set(queueId, clientId);
      // A turn of the event loop, as real work takes: the other member's rebalance lands meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      inside.delete(queueId);
      let list = consumed.get(queueId);
      if (list === undefined) {
        list = [];
        consumed.set(queueId, list);
      }
      for (const message of messages) list.push({ clientId, offset: message.queueOffset });
      return 'SUCCESS';
    };
    const one = make('c1', handler);
    const two = make('c2', handler);
    // The members' held queues are disjoint and each is locked by its holder.
    const checkExclusive = (): void => {
      const heldBy = (consumer: PushConsumer) => consumer.assignment().map(({ queueId }) => queueId);
      const mine = heldBy(one);
      const theirs = heldBy(two);
      expect(mine.filter((queueId) => theirs.includes(queueId))).toEqual([]);
      for (const queueId of mine) expect(locks.holder('g', 't', queueId)?.clientId).toBe('c1');
      for (const queueId of theirs) expect(locks.holder('g', 't', queueId)?.clientId).toBe('c2');
    };
    const run = async (ms: number): Promise<void> => {
      for (let step = 0; step < ms; step += 500) {
        for (const queueId of QUEUE_IDS) await append(queueId, 2);
        await clock.advance(500);
        checkExclusive();
      }
    };

    await one.start();
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1, 2, 3]);
    await run(2_000);
    await two.start();
    // Right after the rebalance, whichever of c1 giving 2 and 3 up and c2 asking for them came first.
    checkExclusive();
    await one.rebalance();
    checkExclusive();
    await run(RENEW_INTERVAL_MS);
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1]);
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([2, 3]);
    expect(locks.lockedBy('g', 'c1').map(({ queueId }) => queueId)).toEqual([0, 1]);

    // A member leaving unlocks at once: the other takes its queues at its rebalance, without waiting.
    await one.stop();
    expect(locks.lockedBy('g', 'c1')).toEqual([]);
    await two.rebalance();
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([0, 1, 2, 3]);
    await run(3_000);
    await one.start();
    checkExclusive();
    await run(2 * RENEW_INTERVAL_MS);
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1]);
    await two.stop();
    await one.rebalance();
    await run(3_000);
    // Queues wait up to a renew interval for their lock after a hand-over: let the backlog drain.
    const caughtUp = (): boolean =>
      QUEUE_IDS.every((queueId) => consumed.get(queueId)?.length === appended.get(queueId));
    for (let turn = 0; turn < 2_000 && !caughtUp(); turn++) await clock.advance(0);
    await one.stop();

    expect(violations).toEqual([]);
    // Graceful hand-overs commit before they unlock: every message exactly once, in offset order.
    for (const queueId of QUEUE_IDS) {
      const count = appended.get(queueId) as number;
      expect(consumed.get(queueId)?.map(({ offset }) => offset)).toEqual(range(count));
      expect(await offsets.committed('g', 't', queueId)).toBe(count);
    }
    const owners = new Set([...consumed.values()].flatMap((list) => list.map(({ clientId }) => clientId)));
    expect(owners).toEqual(new Set(['c1', 'c2']));
  });

  it('keeps each queue in offset order with a handler that fails at random, retrying after suspendMs', async () => {
    const { clock, append, appended, make, offsets } = await setUp();
    const next = random(6);
    const succeeded = new Map<number, number[]>();
    const calls: { queueId: number; offsets: number[]; reconsumeTimes: number[]; at: number; failed: boolean }[] = [];
    const commitViolations: string[] = [];
    const retried: StoredMessage[] = [];
    const handler: Handler = async (messages, { queueId }): Promise<ConsumeStatus> => {
      const batch = messages.map((message) => message.queueOffset);
      const failure = next();
      const failed = failure < 0.35;
      calls.push({
        queueId,
        offsets: batch,
        reconsumeTimes: messages.map((message) => message.reconsumeTimes),
        at: clock.now(),
        failed,
      });
      if (failed) {
        const committed = (await offsets.committed('g', 't', queueId)) ?? 0;
        if (committed > (batch[0] as number)) commitViolations.push(`queue ${queueId} committed ${committed}`);
        if (failure < 0.1) throw new Error('handler failed');
        return 'RETRY';
      }
      let list = succeeded.get(queueId);
      if (list === undefined) {
        list = [];
        succeeded.set(queueId, list);
      }
      list.push(...batch);
      return 'SUCCESS';
    };
    const options = { consumeBatchMaxSize: 3, onRetry: (message: StoredMessage) => void retried.push(message) };
    const one = make('c1', handler, options);
    const two = make('c2', handler, options);
    const total = (): number => [...succeeded.values()].reduce((sum, list) => sum + list.length, 0);

    await one.start();
    for (let round = 0; round < 10; round++) {
      for (const queueId of QUEUE_IDS) await append(queueId, 4);
      await clock.advance(1_000);
      if (round === 3) await two.start();
      if (round === 7) await one.stop();
    }
    for (let step = 0; step < 600 && total() < 160; step++) await clock.advance(1_000);
    await two.stop();

    expect(total()).toBe(160);
    expect(retried).toEqual([]);
    expect(commitViolations).toEqual([]);
    expect(calls.filter(({ failed }) => failed).length).toBeGreaterThan(20);
    for (const queueId of QUEUE_IDS) {
      const count = appended.get(queueId) as number;
      expect(succeeded.get(queueId)).toEqual(range(count));
      expect(await offsets.committed('g', 't', queueId)).toBe(count);
      // A failed batch is handed again, the same messages with reconsumeTimes + 1, suspendMs later —
      // unless its queue changed hands meanwhile, and then the new owner starts at that batch.
      const ofQueue = calls.filter((call) => call.queueId === queueId);
      ofQueue.forEach((call, index) => {
        const following = ofQueue[index + 1];
        if (!call.failed || following === undefined) return;
        expect(following.offsets[0]).toBe(call.offsets[0]);
        if (following.reconsumeTimes[0] === 0) return;
        expect(following.offsets).toEqual(call.offsets);
        expect(following.reconsumeTimes).toEqual(call.reconsumeTimes.map((times) => times + 1));
        expect(following.at - call.at).toBe(1_000);
      });
    }
  });

  it('takes over the queues of a member that died holding their locks once its 60 s leases expire', async () => {
    const { clock, registry, locks, append, make, offsets } = await setUp();
    const consumed: { clientId: string; queueId: number; offset: number; at: number }[] = [];
    let hung = false;
    const record =
      (clientId: string): Handler =>
      (messages, { queueId }) => {
        if (clientId === 'c1' && hung) return new Promise<ConsumeStatus>(() => {});
        for (const message of messages)
          consumed.push({ clientId, queueId, offset: message.queueOffset, at: clock.now() });
        return 'SUCCESS';
      };
    const dying = killableClock(clock);
    const one = make('c1', record('c1'), { clock: dying.clock });
    const two = make('c2', record('c2'));
    await one.start();
    await two.start();
    await clock.advance(RENEW_INTERVAL_MS);
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1]);
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([2, 3]);
    await append(0, 2);
    await clock.advance(0);
    expect(await offsets.committed('g', 't', 0)).toBe(2);

    // c1 hangs inside its handler (on both its queues) and stops renewing; the broker drops it from the group (its channel
    // closed) but not its locks, which only time frees.
    hung = true;
    dying.kill();
    await append(0, 3);
    await append(1, 1);
    await clock.advance(0);
    registry.unregister('g', 'c1');
    await two.rebalance();
    const lastRenewal = locks.holder('g', 't', 0)?.renewedAt as number;
    expect(locks.holder('g', 't', 0)?.clientId).toBe('c1');
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([2, 3]);

    await clock.advance(lastRenewal + DEFAULT_LOCK_LEASE_MS - clock.now());
    expect(locks.holder('g', 't', 0)?.clientId).toBe('c1');
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([2, 3]);
    expect(consumed.filter(({ clientId, queueId }) => clientId === 'c2' && queueId < 2)).toEqual([]);

    // c2's next lock pass after the lease finds the locks free.
    await clock.advance(RENEW_INTERVAL_MS);
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([0, 1, 2, 3]);
    expect(locks.holder('g', 't', 0)?.clientId).toBe('c2');
    const takenOver = consumed.filter(({ queueId }) => queueId === 0);
    // c2 starts at the committed offset: the batch c1 hung on is consumed again, then the rest, in order.
    expect(takenOver.map(({ clientId, offset }) => [clientId, offset])).toEqual([
      ['c1', 0],
      ['c1', 1],
      ['c2', 2],
      ['c2', 3],
      ['c2', 4],
    ]);
    expect(takenOver.every(({ clientId, at }) => clientId === 'c1' || at > lastRenewal + DEFAULT_LOCK_LEASE_MS)).toBe(
      true,
    );
    expect(await offsets.committed('g', 't', 0)).toBe(5);
    await two.stop();
    expect(locks.lockedBy('g', 'c2')).toEqual([]);
  });
});
