/** A wait started by {@link AppendSignals.wait}. */
export interface AppendWait {
  /** True when a watched partition was appended to, false at the deadline, on cancel or on close. */
  readonly result: Promise<boolean>;
  cancel(): void;
}

/**
 * Wakes Kafka fetches held on partitions when the gateway appends to them (Produce, transaction
 * markers). Appends made through the broker's own send path (RocketMQ producers) do not come through
 * here: a fetch holding on those sees them at its deadline, when it reads once more.
 */
export class AppendSignals {
  readonly #waiters = new Map<string, Set<(appended: boolean) => void>>();
  readonly #tails = new Map<string, Promise<void>>();
  #closed = false;

  /**
   * Runs `task` when every task queued on this partition before it has finished: one append path at a
   * time per partition, in the order the calls were made (call it before the first await of a request,
   * so that pipelined requests keep their order). Idempotence checks and their append stay atomic.
   */
  exclusive<T>(topic: string, partition: number, task: () => Promise<T>): Promise<T> {
    const key = keyOf(topic, partition);
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }

  /** Waits up to `timeoutMs` for {@link AppendSignals.notify} of any of `partitions`. */
  wait(partitions: readonly { topic: string; partition: number }[], timeoutMs: number): AppendWait {
    if (this.#closed || timeoutMs <= 0 || partitions.length === 0) {
      return { result: Promise.resolve(false), cancel: () => {} };
    }
    const keys = partitions.map(({ topic, partition }) => keyOf(topic, partition));
    let settle!: (appended: boolean) => void;
    const result = new Promise<boolean>((resolve) => {
      let done = false;
      settle = (appended) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const key of keys) {
          const set = this.#waiters.get(key);
          set?.delete(settle);
          if (set?.size === 0) this.#waiters.delete(key);
        }
        resolve(appended);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
    });
    for (const key of keys) {
      let set = this.#waiters.get(key);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      set.add(settle);
    }
    return { result, cancel: () => settle(false) };
  }

  /** Wakes the fetches held on this partition; call after every append to it. */
  notify(topic: string, partition: number): void {
    const set = this.#waiters.get(keyOf(topic, partition));
    if (set === undefined) return;
    for (const settle of [...set]) settle(true);
  }

  /** Ends every wait (as not appended) and refuses new ones: the gateway is closing. */
  close(): void {
    this.#closed = true;
    for (const set of [...this.#waiters.values()]) for (const settle of [...set]) settle(false);
  }
}

// Topic names cannot hold NUL, so the key is unambiguous.
function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
