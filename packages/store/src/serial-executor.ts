/**
 * Runs async tasks one at a time, in the order they were submitted. Engines use one per queue (or one
 * for a shared log) so that concurrent appends never interleave. A failed task does not stop the ones
 * after it.
 */
export class SerialExecutor {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Runs `task` after every task submitted before it has settled; resolves with its result. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#pending++;
    // Called without arguments: `then(task)` would hand the task the previous tail's value.
    const result = this.#tail.then(() => task());
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }

  /** Tasks submitted and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves once every task submitted so far has settled. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
