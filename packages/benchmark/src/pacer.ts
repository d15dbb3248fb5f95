/** Options of {@link pace}. */
export interface PaceOptions {
  /** Messages per second for this sender, or `max`: keep `concurrency` batches of `batchSize` in flight. */
  readonly rate: number | 'max';
  /** The most messages one `send` carries. */
  readonly batchSize: number;
  /** Sends in flight at once. */
  readonly concurrency: number;
  readonly signal: AbortSignal;
  /** Sends `count` messages and resolves once they are acknowledged; `lane` is 0 … concurrency-1. */
  readonly send: (count: number, lane: number) => Promise<void>;
  /** A failed send; sending goes on after a pause. */
  readonly onError: (error: unknown) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends until `signal` aborts, either as fast as the window allows or at a steady rate: each lane sends
 * what is due since the start (at most a batch), so a slow acknowledgement delays a lane but not the
 * schedule, and what fell behind goes out in the next batch (as a producer's linger would send it).
 */
export async function pace(options: PaceOptions): Promise<void> {
  const { rate, batchSize, signal } = options;
  const start = performance.now();
  let issued = 0;
  const lane = async (index: number): Promise<void> => {
    while (!signal.aborted) {
      let count = batchSize;
      if (rate !== 'max') {
        const elapsed = performance.now() - start;
        const due = Math.floor((rate * elapsed) / 1000) - issued;
        if (due <= 0) {
          await sleep(Math.max(1, ((issued + 1) * 1000) / rate - elapsed));
          continue;
        }
        count = Math.min(due, batchSize);
      }
      issued += count;
      try {
        await options.send(count, index);
      } catch (error) {
        if (signal.aborted) return;
        options.onError(error);
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => lane(index)));
}
