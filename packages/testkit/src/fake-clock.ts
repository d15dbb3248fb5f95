import type { Clock, ScheduledTask } from '@eddy/message';

interface PendingTask {
  readonly due: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A {@link Clock} whose time moves only when a test says so. Tasks run in due-time order (ties in
 * the order they were scheduled) while {@link FakeClock.advance} moves time through them, each seeing
 * `now()` equal to its due time; a task scheduled by a task runs in the same advance if it falls due.
 */
export class FakeClock implements Clock {
  #now: number;
  #sequence = 0;
  #tasks: PendingTask[] = [];

  /** @param start the initial time, ms since the epoch (default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, callback: () => void): ScheduledTask {
    const task: PendingTask = {
      due: this.#now + Math.max(0, delayMs),
      sequence: this.#sequence++,
      callback,
      cancelled: false,
    };
    this.#tasks.push(task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }

  /** Tasks scheduled and neither run nor cancelled. */
  get pendingTasks(): number {
    return this.#tasks.filter((task) => !task.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, running every task that falls due on the way. Between tasks it lets
   * pending promise callbacks run, so code that awaits inside a task behaves as with real time.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('a fake clock does not go back; use set() to model a clock step');
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#tasks.splice(this.#tasks.indexOf(next), 1);
      this.#now = next.due;
      next.callback();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Sets the time without running tasks: models a wall clock that steps (also backwards). */
  set(time: number): void {
    this.#now = time;
  }

  #nextDue(limit: number): PendingTask | undefined {
    let best: PendingTask | undefined;
    this.#tasks = this.#tasks.filter((task) => !task.cancelled);
    for (const task of this.#tasks) {
      if (task.due > limit) continue;
      if (best === undefined || task.due < best.due || (task.due === best.due && task.sequence < best.sequence)) {
        best = task;
      }
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  // A macrotask turn lets every queued promise callback (and the ones they queue) run first.
  await new Promise<void>((resolve) => setImmediate(resolve));
}
