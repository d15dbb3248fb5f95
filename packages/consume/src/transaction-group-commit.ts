interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: one flush at a time; items submitted while a flush runs wait and go together in the
 * next one (at most `maxItems`). A lone item is flushed at once, so there is no added latency without
 * concurrency; with concurrent submitters the fixed cost of a flush is shared.
 */
export class GroupCommit<Item, Result> {
  readonly #flush: (items: readonly Item[]) => Promise<readonly Result[]>;
  readonly #maxItems: number;
  #waiting: Waiting<Item, Result>[] = [];
  #running = false;

  /**
   * @param flush handles a batch; returns one result per item, in order. A rejection fails every
   * item of the batch with the same error.
   */
  constructor(flush: (items: readonly Item[]) => Promise<readonly Result[]>, maxItems: number) {
    this.#flush = flush;
    this.#maxItems = maxItems;
  }

  /** Items waiting for a flush (not counting the flush in progress). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Flushes `item` with the next batch; resolves with its result. */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.#maxItems);
        try {
          const results = await this.#flush(batch.map((waiting) => waiting.item));
          batch.forEach((waiting, index) => {
            waiting.resolve(results[index] as Result);
          });
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
