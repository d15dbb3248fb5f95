import { EddyError } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { type LongPollOutcome, LongPollRegistry } from './long-poll.js';

// Records when each promise settles, so a test can look without awaiting.
function track(promise: Promise<LongPollOutcome>): { outcome: LongPollOutcome | undefined } {
  const state: { outcome: LongPollOutcome | undefined } = { outcome: undefined };
  void promise.then((outcome) => {
    state.outcome = outcome;
  });
  return state;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LongPollRegistry', () => {
  let clock: FakeClock;
  let registry: LongPollRegistry;
  beforeEach(() => {
    clock = new FakeClock();
    registry = new LongPollRegistry({ clock });
  });

  it('wakes every waiter of a queue at once on notify, and only those', async () => {
    const a = track(registry.wait('t', 0, 1000));
    const b = track(registry.wait('t', 0, 5000));
    const other = track(registry.wait('t', 1, 1000));
    expect(registry.notify('t', 0)).toBe(2);
    await settle();
    expect([a.outcome, b.outcome, other.outcome]).toEqual(['notified', 'notified', undefined]);
    expect(registry.waiting).toBe(1);
    expect(registry.notify('t', 0)).toBe(0);
  });

  it('answers timeout at the deadline, not before', async () => {
    const wait = track(registry.wait('t', 0, 1000));
    await clock.advance(999);
    expect(wait.outcome).toBeUndefined();
    await clock.advance(1);
    expect(wait.outcome).toBe('timeout');
    expect(registry.waiting).toBe(0);
    expect(clock.pendingTasks).toBe(0);
  });

  it('waitAny wakes on any of its queues and leaves the others’ indexes', async () => {
    const any = track(
      registry.waitAny(
        [
          { topic: 't', queueId: 0 },
          { topic: 'u', queueId: 3 },
        ],
        1000,
      ),
    );
    expect(registry.notify('u', 3)).toBe(1);
    await settle();
    expect(any.outcome).toBe('notified');
    expect(registry.notify('t', 0)).toBe(0);
  });

  it('answers a zero timeout at once without holding it', async () => {
    expect(await registry.wait('t', 0, 0)).toBe('timeout');
    expect(clock.pendingTasks).toBe(0);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses timeout %d', (timeoutMs) => {
    let error: unknown;
    try {
      registry.register([{ topic: 't', queueId: 0 }], timeoutMs);
    } catch (caught) {
      error = caught;
    }
    expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('cancel ends one wait as timeout; cancelAll ends every wait and the timer', async () => {
    const wait = registry.register([{ topic: 't', queueId: 0 }], 1000);
    const other = track(registry.wait('t', 0, 2000));
    wait.cancel();
    wait.cancel();
    expect(await wait.result).toBe('timeout');
    expect(registry.waiting).toBe(1);
    expect(registry.cancelAll()).toBe(1);
    await settle();
    expect(other.outcome).toBe('timeout');
    expect(clock.pendingTasks).toBe(0);
  });

  it('keeps ONE clock task for 1,000 idle waiters, and times them out in deadline order', async () => {
    const order: number[] = [];
    const waits = Array.from({ length: 1000 }, (_, i) => {
      // Deadlines in a scrambled order, many equal.
      const timeoutMs = 1000 + ((i * 7919) % 500);
      return registry.wait('t', i % 16, timeoutMs).then((outcome) => {
        if (outcome === 'timeout') order.push(timeoutMs);
        return outcome;
      });
    });
    expect(registry.waiting).toBe(1000);
    expect(clock.pendingTasks).toBe(1);
    await clock.advance(1250);
    expect(clock.pendingTasks).toBe(1);
    expect(registry.notify('t', 0)).toBeGreaterThan(0);
    expect(clock.pendingTasks).toBeLessThanOrEqual(1);
    await clock.advance(250);
    expect(await Promise.all(waits)).toContain('timeout');
    expect(registry.waiting).toBe(0);
    expect(clock.pendingTasks).toBe(0);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('moves its one task earlier when an earlier deadline arrives', async () => {
    const late = track(registry.wait('t', 0, 10_000));
    const early = track(registry.wait('t', 1, 100));
    expect(clock.pendingTasks).toBe(1);
    await clock.advance(100);
    expect([early.outcome, late.outcome]).toEqual(['timeout', undefined]);
    expect(clock.pendingTasks).toBe(1);
    await clock.advance(9900);
    expect(late.outcome).toBe('timeout');
  });

  it('settles every waiter exactly once, notified or at its own deadline (property)', async () => {
    type Step =
      | { kind: 'wait'; queueId: number; timeoutMs: number }
      | { kind: 'notify'; queueId: number }
      | { kind: 'advance'; ms: number };
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('wait' as const),
        queueId: fc.integer({ min: 0, max: 3 }),
        timeoutMs: fc.integer({ min: 1, max: 100 }),
      }),
      fc.record({ kind: fc.constant('notify' as const), queueId: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps: Step[]) => {
        const fake = new FakeClock();
        const longPoll = new LongPollRegistry({ clock: fake });
        const waits: {
          step: number;
          queueId: number;
          deadline: number;
          settled?: { outcome: LongPollOutcome; at: number };
        }[] = [];
        const notifies: { step: number; queueId: number; at: number }[] = [];
        for (const [index, current] of steps.entries()) {
          if (current.kind === 'wait') {
            const entry: (typeof waits)[number] = {
              step: index,
              queueId: current.queueId,
              deadline: fake.now() + current.timeoutMs,
            };
            waits.push(entry);
            void longPoll.wait('t', current.queueId, current.timeoutMs).then((outcome) => {
              entry.settled = { outcome, at: fake.now() };
            });
          } else if (current.kind === 'notify') {
            longPoll.notify('t', current.queueId);
            notifies.push({ step: index, queueId: current.queueId, at: fake.now() });
          } else await fake.advance(current.ms);
          expect(fake.pendingTasks).toBeLessThanOrEqual(1);
        }
        await fake.advance(200);
        expect(longPoll.waiting).toBe(0);
        expect(fake.pendingTasks).toBe(0);
        for (const entry of waits) {
          // The first notify of its queue after it began and before its deadline wakes it.
          const notified = notifies.find(
            (notify) => notify.queueId === entry.queueId && notify.step > entry.step && notify.at < entry.deadline,
          );
          expect(entry.settled).toEqual(
            notified === undefined
              ? { outcome: 'timeout', at: entry.deadline }
              : { outcome: 'notified', at: notified.at },
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});
