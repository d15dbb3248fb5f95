import { type Clock, EddyError, type ScheduledTask } from '@eddy/message';

/** How a long-poll wait ended: a message may have arrived, or the time ran out (or the wait was cancelled). */
export type LongPollOutcome = 'notified' | 'timeout';

/** A queue to wait on. */
export interface WatchedQueue {
  readonly topic: string;
  readonly queueId: number;
}

/** A wait in progress, from {@link LongPollRegistry.register}. */
export interface LongPollWait {
  /** Settles once: `'notified'` when a watched queue is notified, `'timeout'` at the deadline or on cancel. */
  readonly result: Promise<LongPollOutcome>;
  /** Ends the wait now (its result becomes `'timeout'`); does nothing once it has ended. */
  cancel(): void;
}

/** Options of {@link LongPollRegistry}. */
export interface LongPollRegistryOptions {
  /** The only source of time and timers. */
  readonly clock: Clock;
}

interface Waiter {
  readonly deadline: number;
  readonly sequence: number;
  readonly queues: readonly WatchedQueue[];
  readonly resolve: (outcome: LongPollOutcome) => void;
  /** Position in the deadline heap; -1 once the waiter has been woken. */
  index: number;
}

/**
 * Held pull requests waiting for messages (RocketMQ's `PullRequestHoldService`, without its polling).
 *
 * A wait ends when one of its queues is notified (every waiter of that queue wakes at once) or at its
 * deadline. Nothing polls: waiters sit in a min-heap ordered by deadline and the registry keeps at most
 * ONE task scheduled on the clock, for the earliest deadline, moving it when an earlier deadline arrives.
 * Any number of idle requests therefore costs one timer and no CPU. Woken waiters leave the heap and the
 * per-queue index at once, so memory follows the number of waiting requests.
 */
export class LongPollRegistry {
  readonly #clock: Clock;
  readonly #heap: Waiter[] = [];
  // topic → queue id → waiters: notify finds its waiters without looking at anyone else's.
  readonly #byQueue = new Map<string, Map<number, Set<Waiter>>>();
  #sequence = 0;
  #timer: ScheduledTask | undefined;
  #timerDue = Number.POSITIVE_INFINITY;

  constructor(options: LongPollRegistryOptions) {
    this.#clock = options.clock;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#heap.length;
  }

  /** Waits up to `timeoutMs` for {@link LongPollRegistry.notify} of this queue. */
  wait(topic: string, queueId: number, timeoutMs: number): Promise<LongPollOutcome> {
    return this.register([{ topic, queueId }], timeoutMs).result;
  }

  /** Waits up to `timeoutMs` for {@link LongPollRegistry.notify} of any of these queues. */
  waitAny(queues: readonly WatchedQueue[], timeoutMs: number): Promise<LongPollOutcome> {
    return this.register(queues, timeoutMs).result;
  }

  /**
   * Starts a cancellable wait on `queues` for up to `timeoutMs`. Register before checking for data and
   * cancel if the check finds some: a notify that lands between the check and the wait is not lost.
   *
   * @throws `INVALID_ARGUMENT` unless `timeoutMs` is a finite number ≥ 0.
   */
  register(queues: readonly WatchedQueue[], timeoutMs: number): LongPollWait {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new EddyError('INVALID_ARGUMENT', `long-poll timeout must be a finite number ≥ 0 ms, got ${timeoutMs}`);
    }
    if (timeoutMs === 0) return { result: Promise.resolve('timeout'), cancel: () => {} };
    let resolve!: (outcome: LongPollOutcome) => void;
    const result = new Promise<LongPollOutcome>((settle) => {
      resolve = settle;
    });
    const waiter: Waiter = {
      deadline: this.#clock.now() + timeoutMs,
      sequence: this.#sequence++,
      queues: [...queues],
      resolve,
      index: -1,
    };
    this.#push(waiter);
    for (const { topic, queueId } of waiter.queues) {
      let queuesOfTopic = this.#byQueue.get(topic);
      if (queuesOfTopic === undefined) {
        queuesOfTopic = new Map();
        this.#byQueue.set(topic, queuesOfTopic);
      }
      let waiters = queuesOfTopic.get(queueId);
      if (waiters === undefined) {
        waiters = new Set();
        queuesOfTopic.set(queueId, waiters);
      }
      waiters.add(waiter);
    }
    this.#arm();
    return {
      result,
      cancel: () => {
        if (this.#wake(waiter, 'timeout')) this.#arm();
      },
    };
  }

  /**
   * Wakes every request waiting on this queue; call after an append to it.
   *
   * @returns how many requests were woken.
   */
  notify(topic: string, queueId: number): number {
    const waiters = this.#byQueue.get(topic)?.get(queueId);
    if (waiters === undefined) return 0;
    let woken = 0;
    for (const waiter of [...waiters]) if (this.#wake(waiter, 'notified')) woken++;
    this.#arm();
    return woken;
  }

  /**
   * Ends every wait now with `'timeout'` (shutdown: held requests answer empty) and cancels the timer.
   *
   * @returns how many requests were waiting.
   */
  cancelAll(): number {
    const waiters = [...this.#heap];
    for (const waiter of waiters) this.#wake(waiter, 'timeout');
    this.#arm();
    return waiters.length;
  }

  // Removes the waiter from every structure and settles it; false if it was already woken.
  #wake(waiter: Waiter, outcome: LongPollOutcome): boolean {
    if (waiter.index < 0) return false;
    this.#removeAt(waiter.index);
    for (const { topic, queueId } of waiter.queues) {
      const queuesOfTopic = this.#byQueue.get(topic);
      const waiters = queuesOfTopic?.get(queueId);
      if (queuesOfTopic === undefined || waiters === undefined) continue;
      waiters.delete(waiter);
      if (waiters.size > 0) continue;
      queuesOfTopic.delete(queueId);
      if (queuesOfTopic.size === 0) this.#byQueue.delete(topic);
    }
    waiter.resolve(outcome);
    return true;
  }

  // Keeps the one timer at or before the earliest deadline. A timer left earlier than needed (its
  // waiter was woken) fires, finds nothing due and re-arms: one spare wake-up instead of a cancel and
  // reschedule on every notify.
  #arm(): void {
    const first = this.#heap[0];
    if (first === undefined) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#timerDue = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== undefined && this.#timerDue <= first.deadline) return;
    this.#timer?.cancel();
    this.#timerDue = first.deadline;
    // At least 1 ms: a real timer may fire a little before `now()` reaches the deadline.
    this.#timer = this.#clock.schedule(Math.max(1, first.deadline - this.#clock.now()), () => this.#expire());
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (let first = this.#heap[0]; first !== undefined && first.deadline <= now; first = this.#heap[0]) {
      this.#wake(first, 'timeout');
    }
    this.#arm();
  }

  // A binary min-heap by (deadline, sequence), each waiter knowing its index so it can leave in O(log n).

  #push(waiter: Waiter): void {
    waiter.index = this.#heap.length;
    this.#heap.push(waiter);
    this.#siftUp(waiter.index);
  }

  #removeAt(index: number): void {
    const heap = this.#heap;
    const removed = heap[index] as Waiter;
    const last = heap.pop() as Waiter;
    removed.index = -1;
    if (last === removed) return;
    heap[index] = last;
    last.index = index;
    this.#siftUp(index);
    this.#siftDown(last.index);
  }

  #siftUp(start: number): void {
    const heap = this.#heap;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index] as Waiter, heap[parent] as Waiter)) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && before(heap[left] as Waiter, heap[smallest] as Waiter)) smallest = left;
      if (right < heap.length && before(heap[right] as Waiter, heap[smallest] as Waiter)) smallest = right;
      if (smallest === index) return;
      this.#swap(index, smallest);
      index = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const first = heap[a] as Waiter;
    const second = heap[b] as Waiter;
    heap[a] = second;
    heap[b] = first;
    first.index = b;
    second.index = a;
  }
}

function before(a: Waiter, b: Waiter): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.sequence < b.sequence);
}
