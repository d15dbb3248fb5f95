/** A task scheduled on a {@link Clock}. */
export interface ScheduledTask {
  /** Stops the task from running; does nothing if it already ran. */
  cancel(): void;
}

/**
 * Time, injected. Everything in Eddy that waits, expires or stamps a time takes a Clock, so tests drive
 * time with a fake clock instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs` milliseconds of this clock's time. */
  schedule(delayMs: number, callback: () => void): ScheduledTask;
}

/**
 * The wall clock. Its timers are unref'd: a pending expiry or retry never keeps a process alive on its
 * own (servers stay alive through their listeners).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
