import { EddyError } from '@eddy/message';
import type { HistogramBucket } from './prometheus-text.js';

/** What {@link Histogram.snapshot} returns: cumulative buckets, the sum and the count. */
export interface HistogramSnapshot {
  readonly buckets: readonly HistogramBucket[];
  readonly sum: number;
  readonly count: number;
}

/**
 * A fixed-bucket histogram (Prometheus's model): each observation increments the first bucket whose
 * upper bound it does not exceed, so observing is one short scan and memory stays constant.
 */
export class Histogram {
  readonly #bounds: readonly number[];
  // Not cumulative: counts[i] holds observations in (bounds[i-1], bounds[i]]; the last slot is above every bound.
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  /**
   * @param bounds upper bounds, strictly ascending and finite (the `+Inf` bucket is implied).
   * @throws `INVALID_ARGUMENT` when they are not.
   */
  constructor(bounds: readonly number[]) {
    checkBounds(bounds);
    this.#bounds = [...bounds];
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records one value. NaN is ignored: it would poison the sum for the life of the process. */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    let index = 0;
    while (index < this.#bounds.length && value > (this.#bounds[index] as number)) index++;
    this.#counts[index] = (this.#counts[index] as number) + 1;
    this.#sum += value;
    this.#count++;
  }

  /** The buckets as Prometheus wants them: cumulative, one per bound, without `+Inf` (that is `count`). */
  snapshot(): HistogramSnapshot {
    let running = 0;
    const buckets = this.#bounds.map((le, index) => {
      running += this.#counts[index] as number;
      return { le, count: running };
    });
    return { buckets, sum: this.#sum, count: this.#count };
  }
}

/** @throws `INVALID_ARGUMENT` unless `bounds` is non-empty, finite and strictly ascending. */
export function checkBounds(bounds: readonly number[]): void {
  if (bounds.length === 0) throw new EddyError('INVALID_ARGUMENT', 'histogram buckets are empty');
  bounds.forEach((bound, index) => {
    if (!Number.isFinite(bound)) {
      throw new EddyError('INVALID_ARGUMENT', `histogram bucket ${index} is ${bound}; bounds must be finite`);
    }
    const previous = bounds[index - 1];
    if (previous !== undefined && bound <= previous) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `histogram bucket ${index} is ${bound}, not above the one before (${previous}); bounds must ascend`,
      );
    }
  });
}
