/** One pending timer: when it falls due and where its message is in the timer log. */
export interface TimerEntry {
  /** Due time, ms since the epoch. */
  readonly due: number;
  /** Offset of the message in the timer log (`rmq_sys_wheel_timer` queue 0). */
  readonly offset: number;
}

const INITIAL_CAPACITY = 1024;

/**
 * The pending timers in memory: a binary min-heap ordered by (due, offset), kept in two parallel
 * `Float64Array`s. Only the two numbers are held, 16 bytes a timer (a million pending timers take
 * 16 MB and no per-timer objects for the garbage collector); the message itself stays in the timer
 * log until it falls due. Push and pop are O(log n), peek O(1).
 *
 * Offsets break ties between equal due times, so timers due together leave in the order they were
 * written. Float64 holds every safe integer exactly, which both numbers are.
 */
export class TimerIndex {
  #due = new Float64Array(INITIAL_CAPACITY);
  #offset = new Float64Array(INITIAL_CAPACITY);
  #size = 0;

  /** How many timers are held. */
  get size(): number {
    return this.#size;
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.#size === 0 ? undefined : this.#due[0];
  }

  /** Adds a timer. */
  push(due: number, offset: number): void {
    if (this.#size === this.#due.length) this.#grow();
    let index = this.#size++;
    // Sift up by moving parents down into the hole, then write the new entry once.
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(due, offset, parent)) break;
      this.#due[index] = this.#due[parent] as number;
      this.#offset[index] = this.#offset[parent] as number;
      index = parent;
    }
    this.#due[index] = due;
    this.#offset[index] = offset;
  }

  /** Removes and returns the timer first in (due, offset) order, or undefined when empty. */
  pop(): TimerEntry | undefined {
    if (this.#size === 0) return undefined;
    const top: TimerEntry = { due: this.#due[0] as number, offset: this.#offset[0] as number };
    const last = --this.#size;
    if (last > 0) this.#siftDown(this.#due[last] as number, this.#offset[last] as number, last);
    return top;
  }

  /** Removes every timer. */
  clear(): void {
    this.#size = 0;
  }

  // Places (due, offset) from the root down, in a heap of `size` entries.
  #siftDown(due: number, offset: number, size: number): void {
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.#less(right, left) ? right : left;
      if (!this.#afterSlot(due, offset, child)) break;
      this.#due[index] = this.#due[child] as number;
      this.#offset[index] = this.#offset[child] as number;
      index = child;
    }
    this.#due[index] = due;
    this.#offset[index] = offset;
  }

  // True when (due, offset) comes before the entry at `slot`.
  #before(due: number, offset: number, slot: number): boolean {
    const other = this.#due[slot] as number;
    return due < other || (due === other && offset < (this.#offset[slot] as number));
  }

  // True when (due, offset) comes after the entry at `slot`.
  #afterSlot(due: number, offset: number, slot: number): boolean {
    const other = this.#due[slot] as number;
    return due > other || (due === other && offset > (this.#offset[slot] as number));
  }

  #less(a: number, b: number): boolean {
    return this.#before(this.#due[a] as number, this.#offset[a] as number, b);
  }

  #grow(): void {
    const due = new Float64Array(this.#due.length * 2);
    const offset = new Float64Array(this.#offset.length * 2);
    due.set(this.#due);
    offset.set(this.#offset);
    this.#due = due;
    this.#offset = offset;
  }
}
