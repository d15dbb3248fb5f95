const WORD_BITS = 32;
const FULL = 0xffffffff;

/**
 * The low watermark of the timer log: the lowest offset not yet delivered. Timers are delivered in due
 * order, not log order, so the offsets done above the watermark are kept as a bitset (one bit per offset
 * from the watermark up to the highest offset done), which moves up with the watermark. Its size is
 * the distance from the oldest pending timer to the newest delivered one: about 1.25 MB per 10 million
 * messages written in between (one timer due in 24 h holds the window open that long).
 */
export class TimerWatermark {
  // Bit i of the bitset is offset `#origin + i`; every offset below `#low` is done.
  #origin: number;
  #low: number;
  #bits: Uint32Array = new Uint32Array(64);

  /** @param low every offset below it is done. */
  constructor(low: number) {
    this.#origin = low;
    this.#low = low;
  }

  /** The lowest offset not done. */
  get low(): number {
    return this.#low;
  }

  /** True when `offset` is done. */
  isDone(offset: number): boolean {
    if (offset < this.#low) return true;
    const bit = offset - this.#origin;
    if (bit >= this.#bits.length * WORD_BITS) return false;
    return ((this.#bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  /** Marks `offset` done; the watermark moves up past every done offset. */
  markDone(offset: number): void {
    if (offset < this.#low) return;
    const bit = offset - this.#origin;
    if (bit >= this.#bits.length * WORD_BITS) this.#grow(bit);
    this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) | (1 << (bit & 31));
    if (offset === this.#low) {
      this.#low = this.#firstNotDone(this.#low, undefined);
      this.#compact();
    }
  }

  /** What {@link TimerWatermark.low} would be with `offsets` done too; changes nothing. */
  lowWith(offsets: ReadonlySet<number>): number {
    return this.#firstNotDone(this.#low, offsets);
  }

  #firstNotDone(from: number, extra: ReadonlySet<number> | undefined): number {
    let offset = from;
    const end = this.#origin + this.#bits.length * WORD_BITS;
    while (offset < end) {
      const bit = offset - this.#origin;
      // Whole words of done offsets at a time: the common case when the watermark catches up.
      if ((bit & 31) === 0 && this.#bits[bit >>> 5] === FULL) {
        offset += WORD_BITS;
        continue;
      }
      if (((this.#bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0 && extra?.has(offset) !== true) break;
      offset++;
    }
    while (extra?.has(offset) === true) offset++;
    return offset;
  }

  // Drops the words wholly below the watermark once they are half the bitset.
  #compact(): void {
    const words = Math.floor((this.#low - this.#origin) / WORD_BITS);
    if (words === 0 || words * 2 < this.#bits.length) return;
    this.#bits.copyWithin(0, words);
    this.#bits.fill(0, this.#bits.length - words);
    this.#origin += words * WORD_BITS;
  }

  #grow(bit: number): void {
    let length = this.#bits.length * 2;
    while (length * WORD_BITS <= bit) length *= 2;
    const bits = new Uint32Array(length);
    bits.set(this.#bits);
    this.#bits = bits;
  }
}
