import { type Clock, parseWithSchema } from '@eddy/message';
import { checkQueueId } from '@eddy/store';
import { z } from 'zod';

/** How long a broker-side queue lock lives without a renewal (RocketMQ's `rebalance.lockMaxLiveTime`). */
export const DEFAULT_LOCK_LEASE_MS = 60_000;
/**
 * How often an orderly client re-locks (renews) its queues (RocketMQ's `REBALANCE_LOCK_INTERVAL`): a
 * third of the lease, so two renewals can be lost before a lock expires.
 */
export const RENEW_INTERVAL_MS = 20_000;

/** The configurable options of {@link QueueLockManager}, for config files. */
export const QueueLockConfigSchema = z
  .object({
    /** A lock expires this long after its last lock or renew. */
    leaseMs: z.number().int().min(1).default(DEFAULT_LOCK_LEASE_MS),
  })
  .strict();

/** Options of {@link QueueLockManager}: the configuration plus what code injects. */
export interface QueueLockManagerOptions extends z.input<typeof QueueLockConfigSchema> {
  readonly clock: Clock;
}

/** A queue, as locks name them. */
export interface LockedQueue {
  readonly topic: string;
  readonly queueId: number;
}

/** Who holds a queue lock and until when. */
export interface QueueLockHolder {
  readonly clientId: string;
  /** Clock time of the lock or renewal that keeps it alive. */
  readonly renewedAt: number;
  /** The lock is free to take once the clock is past this time (`renewedAt + leaseMs`). */
  readonly expiresAt: number;
}

interface Lease {
  clientId: string;
  renewedAt: number;
}

/**
 * Broker-side queue locks for orderly consumption (RocketMQ's `RebalanceLockManager`): within a
 * consumer group, a queue is consumed by the one client holding its lock, so a rebalance cannot let two
 * members consume one queue at once and break its order.
 *
 * A lock is a lease: it lives `leaseMs` (default 60 s) after the holder's last {@link QueueLockManager.lock}
 * or {@link QueueLockManager.renew} and is free to take once the clock is strictly past that
 * (RocketMQ's `now - lastUpdate > lockMaxLiveTime`). Clients renew every {@link RENEW_INTERVAL_MS}. Locking
 * a queue one already holds renews it. Nothing is timed: expiry is judged when a lock is asked for or
 * looked at, so idle locks cost no timers; expired entries are dropped as they are met.
 *
 * Locks are in memory only: after a broker restart every queue is free, and clients re-lock within one
 * renew interval (RocketMQ does the same). Only the holder can unlock; a client whose lease expired and
 * was taken over finds out on its next lock or renew.
 */
export class QueueLockManager {
  readonly #clock: Clock;
  readonly #leaseMs: number;
  // group → topic → queue id → lease.
  readonly #groups = new Map<string, Map<string, Map<number, Lease>>>();

  constructor(options: QueueLockManagerOptions) {
    const { clock, ...config } = options;
    this.#leaseMs = parseWithSchema(QueueLockConfigSchema, config, 'queue lock options').leaseMs;
    this.#clock = clock;
  }

  /** The lease length, ms. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /**
   * Locks a queue for `clientId`: granted when the queue is free, its lock has expired, or the client
   * already holds it (which renews the lease).
   *
   * @returns true when `clientId` holds the lock now.
   * @throws `INVALID_ARGUMENT` for a bad queue id.
   */
  lock(group: string, topic: string, queueId: number, clientId: string): boolean {
    checkQueueId(queueId);
    return this.#lock(group, topic, queueId, clientId, this.#clock.now());
  }

  /**
   * Locks several queues at once (RocketMQ's `LOCK_BATCH_MQ`, sent at each rebalance and every
   * {@link RENEW_INTERVAL_MS}); each is granted or refused as by {@link QueueLockManager.lock}.
   *
   * @returns the queues `clientId` holds now among those asked for, in the order asked.
   * @throws `INVALID_ARGUMENT` for a bad queue id (before anything is locked).
   */
  lockBatch(group: string, clientId: string, queues: readonly LockedQueue[]): LockedQueue[] {
    for (const { queueId } of queues) checkQueueId(queueId);
    const now = this.#clock.now();
    return queues.filter(({ topic, queueId }) => this.#lock(group, topic, queueId, clientId, now));
  }

  /**
   * Releases a queue's lock if `clientId` holds it (an expired lock of that client counts: releasing it
   * changes nothing for anyone).
   *
   * @returns true when the lock was released; false when `clientId` did not hold it.
   */
  unlock(group: string, topic: string, queueId: number, clientId: string): boolean {
    const queues = this.#groups.get(group)?.get(topic);
    const lease = queues?.get(queueId);
    if (queues === undefined || lease === undefined || lease.clientId !== clientId) return false;
    this.#remove(group, topic, queueId);
    return true;
  }

  /** Releases the client's locks among `queues` (RocketMQ's `UNLOCK_BATCH_MQ`); returns how many it released. */
  unlockBatch(group: string, clientId: string, queues: readonly LockedQueue[]): number {
    let released = 0;
    for (const { topic, queueId } of queues) if (this.unlock(group, topic, queueId, clientId)) released++;
    return released;
  }

  /**
   * Releases every lock `clientId` holds in the group: call when the member leaves or expires, so its
   * queues need not wait out the lease.
   *
   * @returns how many live locks it released.
   */
  unlockAll(group: string, clientId: string): number {
    let released = 0;
    for (const { topic, queueId, live } of this.#leasesOf(group, clientId)) {
      this.#remove(group, topic, queueId);
      if (live) released++;
    }
    return released;
  }

  /**
   * Renews every live lock `clientId` holds in the group, so each lives `leaseMs` from now. A lock that
   * already expired is not revived (another client may be about to take it): the client must lock it
   * again, and learns from the result whether it got it.
   *
   * @returns the queues whose leases were renewed, sorted by topic then queue id.
   */
  renew(group: string, clientId: string): LockedQueue[] {
    const now = this.#clock.now();
    const renewed: LockedQueue[] = [];
    for (const { topic, queueId, lease, live } of this.#leasesOf(group, clientId)) {
      if (!live) {
        this.#remove(group, topic, queueId);
        continue;
      }
      lease.renewedAt = now;
      renewed.push({ topic, queueId });
    }
    return renewed.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.queueId - b.queueId));
  }

  /** Who holds the queue's lock, or `undefined` when it is free (never locked, unlocked or expired). */
  holder(group: string, topic: string, queueId: number): QueueLockHolder | undefined {
    const lease = this.#groups.get(group)?.get(topic)?.get(queueId);
    if (lease === undefined) return undefined;
    if (this.#expired(lease, this.#clock.now())) {
      this.#remove(group, topic, queueId);
      return undefined;
    }
    return { clientId: lease.clientId, renewedAt: lease.renewedAt, expiresAt: lease.renewedAt + this.#leaseMs };
  }

  /** True when `clientId` holds a live lock on the queue: check before handing out an orderly queue's messages. */
  isLockedBy(group: string, topic: string, queueId: number, clientId: string): boolean {
    return this.holder(group, topic, queueId)?.clientId === clientId;
  }

  /** The queues `clientId` holds live locks on in the group, sorted by topic then queue id. */
  lockedBy(group: string, clientId: string): LockedQueue[] {
    return this.#leasesOf(group, clientId)
      .filter(({ live }) => live)
      .map(({ topic, queueId }) => ({ topic, queueId }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.queueId - b.queueId));
  }

  #lock(group: string, topic: string, queueId: number, clientId: string, now: number): boolean {
    let topics = this.#groups.get(group);
    if (topics === undefined) {
      topics = new Map();
      this.#groups.set(group, topics);
    }
    let queues = topics.get(topic);
    if (queues === undefined) {
      queues = new Map();
      topics.set(topic, queues);
    }
    const lease = queues.get(queueId);
    if (lease !== undefined && lease.clientId !== clientId && !this.#expired(lease, now)) return false;
    queues.set(queueId, { clientId, renewedAt: now });
    return true;
  }

  #expired(lease: Lease, now: number): boolean {
    return now - lease.renewedAt > this.#leaseMs;
  }

  #leasesOf(group: string, clientId: string): { topic: string; queueId: number; lease: Lease; live: boolean }[] {
    const now = this.#clock.now();
    const found: { topic: string; queueId: number; lease: Lease; live: boolean }[] = [];
    for (const [topic, queues] of this.#groups.get(group) ?? []) {
      for (const [queueId, lease] of queues) {
        if (lease.clientId === clientId) found.push({ topic, queueId, lease, live: !this.#expired(lease, now) });
      }
    }
    return found;
  }

  // Drops empty maps too, so memory follows the number of locks held.
  #remove(group: string, topic: string, queueId: number): void {
    const topics = this.#groups.get(group);
    const queues = topics?.get(topic);
    if (topics === undefined || queues === undefined) return;
    queues.delete(queueId);
    if (queues.size > 0) return;
    topics.delete(topic);
    if (topics.size === 0) this.#groups.delete(group);
  }
}
