/** Something with a deadline that a {@link DeadlineHeap} can hold; the heap owns `heapIndex`. */
export interface DeadlineEntry {
  readonly deadline: number;
  /** Position in the heap, -1 when not in it. Set only by the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap by deadline whose entries know their position, so that any entry leaves in
 * O(log n): the structure behind "one clock task for the earliest deadline" schedulers.
 */
export class DeadlineHeap<Entry extends DeadlineEntry> {
  readonly #entries: Entry[] = [];

  get size(): number {
    return this.#entries.length;
  }

  /** The entry with the earliest deadline, or `undefined` when empty. */
  peek(): Entry | undefined {
    return this.#entries[0];
  }

  /** Adds an entry that is not in a heap. */
  push(entry: Entry): void {
    entry.heapIndex = this.#entries.length;
    this.#entries.push(entry);
    this.#siftUp(entry.heapIndex);
  }

  /** Removes the entry if it is in this heap; true if it was. */
  remove(entry: Entry): boolean {
    const index = entry.heapIndex;
    if (index < 0 || this.#entries[index] !== entry) return false;
    const last = this.#entries.pop() as Entry;
    entry.heapIndex = -1;
    if (last === entry) return true;
    this.#entries[index] = last;
    last.heapIndex = index;
    this.#siftUp(index);
    this.#siftDown(last.heapIndex);
    return true;
  }

  #siftUp(start: number): void {
    const entries = this.#entries;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((entries[index] as Entry).deadline >= (entries[parent] as Entry).deadline) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  #siftDown(start: number): void {
    const entries = this.#entries;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < entries.length && (entries[left] as Entry).deadline < (entries[smallest] as Entry).deadline) {
        smallest = left;
      }
      if (right < entries.length && (entries[right] as Entry).deadline < (entries[smallest] as Entry).deadline) {
        smallest = right;
      }
      if (smallest === index) return;
      this.#swap(index, smallest);
      index = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const entries = this.#entries;
    const first = entries[a] as Entry;
    const second = entries[b] as Entry;
    entries[a] = second;
    entries[b] = first;
    first.heapIndex = b;
    second.heapIndex = a;
  }
}
