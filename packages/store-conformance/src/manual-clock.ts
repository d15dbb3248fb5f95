import type { Clock, ScheduledTask } from '@eddy/message';

interface PendingTask {
  readonly due: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** 2026-01-01T00:00:00Z: a fixed start, so that store timestamps in failures are reproducible. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1);

/**
 * The suite's own {@link Clock}: time moves only when a test says so. It cannot be `@eddy/testkit`'s
 * fake clock, because testkit is a devDependency of engines and this package ships to them.
 */
export class ManualClock implements Clock {
  #now: number;
  #sequence = 0;
  #tasks: PendingTask[] = [];

  constructor(start = MANUAL_CLOCK_START) {
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

  /** Sets the time without running tasks, as a wall clock that steps (backwards too) does. */
  set(time: number): void {
    this.#now = time;
  }

  /**
   * Moves time forward, running every task that falls due on the way in due order (ties in the order
   * they were scheduled), each seeing `now()` at its due time.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance takes a non-negative duration, got ${ms}; use set() to step back`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#tasks.splice(this.#tasks.indexOf(next), 1);
      this.#now = next.due;
      next.callback();
    }
    this.#now = target;
  }

  /** Tasks scheduled and neither run nor cancelled. */
  get pendingTasks(): number {
    return this.#tasks.filter((task) => !task.cancelled).length;
  }

  #nextDue(limit: number): PendingTask | undefined {
    this.#tasks = this.#tasks.filter((task) => !task.cancelled);
    let best: PendingTask | undefined;
    for (const task of this.#tasks) {
      if (task.due > limit) continue;
      if (best === undefined || task.due < best.due || (task.due === best.due && task.sequence < best.sequence))
        best = task;
    }
    return best;
  }
}
