import { EddyError } from '@eddy/message';
import { FakeClock } from '@eddy/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_LEASE_MS, QueueLockManager, RENEW_INTERVAL_MS } from './queue-lock.js';

describe('QueueLockManager', () => {
  let clock: FakeClock;
  let locks: QueueLockManager;
  beforeEach(() => {
    clock = new FakeClock();
    locks = new QueueLockManager({ clock });
  });

  it('grants a queue to one client at a time, per group', () => {
    expect(locks.lock('g', 'orders', 0, 'a')).toBe(true);
    expect(locks.lock('g', 'orders', 0, 'b')).toBe(false);
    expect(locks.lock('g', 'orders', 1, 'b')).toBe(true);
    expect(locks.lock('other', 'orders', 0, 'b')).toBe(true);
    expect(locks.holder('g', 'orders', 0)).toEqual({
      clientId: 'a',
      renewedAt: clock.now(),
      expiresAt: clock.now() + DEFAULT_LOCK_LEASE_MS,
    });
    expect(locks.isLockedBy('g', 'orders', 0, 'a')).toBe(true);
    expect(locks.isLockedBy('g', 'orders', 0, 'b')).toBe(false);
    expect(locks.holder('g', 'orders', 9)).toBeUndefined();
    // Leases are judged when asked about: no timers.
    expect(clock.pendingTasks).toBe(0);
  });

  it('lets a lock expire leaseMs after the last lock, then another client takes it over', async () => {
    expect(locks.lock('g', 'orders', 0, 'a')).toBe(true);
    await clock.advance(DEFAULT_LOCK_LEASE_MS);
    // At exactly the lease the lock still holds (RocketMQ: expired when now - last > lease).
    expect(locks.lock('g', 'orders', 0, 'b')).toBe(false);
    await clock.advance(1);
    expect(locks.holder('g', 'orders', 0)).toBeUndefined();
    expect(locks.lock('g', 'orders', 0, 'b')).toBe(true);
    expect(locks.holder('g', 'orders', 0)?.clientId).toBe('b');
    // The old holder learns it lost the queue: its renewal and re-lock are refused.
    expect(locks.renew('g', 'a')).toEqual([]);
    expect(locks.lock('g', 'orders', 0, 'a')).toBe(false);
    expect(locks.isLockedBy('g', 'orders', 0, 'a')).toBe(false);
  });

  it('keeps a lock renewed every 20 s however long, and re-locking renews too', async () => {
    expect(locks.lockBatch('g', 'a', [{ topic: 'orders', queueId: 0 }])).toEqual([{ topic: 'orders', queueId: 0 }]);
    expect(locks.lock('g', 'payments', 3, 'a')).toBe(true);
    for (let round = 0; round < 30; round++) {
      await clock.advance(RENEW_INTERVAL_MS);
      expect(locks.renew('g', 'a')).toEqual([
        { topic: 'orders', queueId: 0 },
        { topic: 'payments', queueId: 3 },
      ]);
      expect(locks.lock('g', 'orders', 0, 'b')).toBe(false);
    }
    expect(locks.holder('g', 'orders', 0)?.expiresAt).toBe(clock.now() + DEFAULT_LOCK_LEASE_MS);

    await clock.advance(50_000);
    expect(locks.lock('g', 'orders', 0, 'a')).toBe(true);
    await clock.advance(50_000);
    expect(locks.lock('g', 'orders', 0, 'b')).toBe(false);
    // payments/3 was not re-locked: 100 s without a renewal.
    expect(locks.lock('g', 'payments', 3, 'b')).toBe(true);
  });

  it('does not revive an expired lock on renew', async () => {
    locks.lock('g', 'orders', 0, 'a');
    await clock.advance(DEFAULT_LOCK_LEASE_MS + 1);
    expect(locks.renew('g', 'a')).toEqual([]);
    expect(locks.holder('g', 'orders', 0)).toBeUndefined();
    // Locking again is how it comes back, when nobody took it.
    expect(locks.lock('g', 'orders', 0, 'a')).toBe(true);
  });

  it('unlocks only for the holder', () => {
    locks.lock('g', 'orders', 0, 'a');
    expect(locks.unlock('g', 'orders', 0, 'b')).toBe(false);
    expect(locks.isLockedBy('g', 'orders', 0, 'a')).toBe(true);
    expect(locks.unlock('g', 'orders', 0, 'a')).toBe(true);
    expect(locks.unlock('g', 'orders', 0, 'a')).toBe(false);
    expect(locks.holder('g', 'orders', 0)).toBeUndefined();
    expect(locks.lock('g', 'orders', 0, 'b')).toBe(true);
  });

  it('locks a batch partly when some queues are held by others, and releases a client’s locks', () => {
    locks.lock('g', 'orders', 1, 'b');
    const queues = [0, 1, 2, 3].map((queueId) => ({ topic: 'orders', queueId }));
    expect(locks.lockBatch('g', 'a', queues)).toEqual([
      { topic: 'orders', queueId: 0 },
      { topic: 'orders', queueId: 2 },
      { topic: 'orders', queueId: 3 },
    ]);
    expect(locks.lockedBy('g', 'a').map(({ queueId }) => queueId)).toEqual([0, 2, 3]);
    expect(locks.unlockBatch('g', 'a', queues.slice(0, 3))).toBe(2);
    expect(locks.unlockAll('g', 'a')).toBe(1);
    expect(locks.lockedBy('g', 'a')).toEqual([]);
    expect(locks.lockedBy('g', 'b')).toEqual([{ topic: 'orders', queueId: 1 }]);
  });

  it('refuses bad queue ids and bad options', () => {
    expect(() => locks.lock('g', 'orders', -1, 'a')).toThrow(EddyError);
    expect(() => locks.lockBatch('g', 'a', [{ topic: 'orders', queueId: 0.5 }])).toThrow(/queue id/);
    expect(locks.lockedBy('g', 'a')).toEqual([]);
    expect(() => new QueueLockManager({ clock, leaseMs: 0 })).toThrow(/leaseMs/);
    expect(new QueueLockManager({ clock, leaseMs: 5000 }).leaseMs).toBe(5000);
  });
});
