/**
 * Buffers Fetch reads stored batches into, recycled once the response holding them is written.
 *
 * A fresh multi-megabyte buffer per read costs more than the read itself: its pages are new to the
 * process and each one faults on first touch (measured here: 0.3–0.45 ms per MiB fresh, 0.1 ms per MiB
 * into a buffer used before). So Fetch borrows from this pool and gives the buffers back after the
 * socket has taken the response's bytes. Buffers come in power-of-two size classes from 64 KiB, for
 * reads of 32 KiB and more; smaller reads, larger ones than the largest class, and buffers past the
 * pool's byte bound are ordinary allocations left to the collector.
 */
export class ReadBufferPool {
  readonly #free = new Map<number, Uint8Array[]>();
  readonly #maxPooledBytes: number;
  readonly #maxClass: number;
  #pooledBytes = 0;

  /**
   * @param maxPooledBytes - most bytes kept for reuse (default 64 MiB).
   * @param maxBufferBytes - largest buffer pooled (default 16 MiB); larger reads get one of their own.
   */
  constructor(maxPooledBytes = 64 * 1024 * 1024, maxBufferBytes = 16 * 1024 * 1024) {
    this.#maxPooledBytes = maxPooledBytes;
    this.#maxClass = maxBufferBytes;
  }

  /** Bytes held for reuse now; for tests and metrics. */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /**
   * A buffer of at least `size` bytes (its contents are whatever was there). Below 32 KiB it is a
   * plain allocation, not pooled: a fetch of many small batches must not take 64 KiB for each.
   */
  take(size: number): Uint8Array {
    if (size < MIN_CLASS / 2) return Buffer.allocUnsafe(size);
    const sizeClass = classOf(size);
    if (sizeClass > this.#maxClass) return Buffer.allocUnsafeSlow(size);
    const free = this.#free.get(sizeClass);
    const reused = free?.pop();
    if (reused !== undefined) {
      this.#pooledBytes -= reused.byteLength;
      return reused;
    }
    return Buffer.allocUnsafeSlow(sizeClass);
  }

  /** Takes back a buffer from {@link take} once nothing reads it any more. */
  give(buffer: Uint8Array): void {
    const size = buffer.byteLength;
    if (size !== classOf(size) || size > this.#maxClass || this.#pooledBytes + size > this.#maxPooledBytes) return;
    let free = this.#free.get(size);
    if (free === undefined) {
      free = [];
      this.#free.set(size, free);
    }
    free.push(buffer);
    this.#pooledBytes += size;
  }
}

const MIN_CLASS = 64 * 1024;

/** The smallest size class holding `size` bytes: a power of two, at least 64 KiB. */
function classOf(size: number): number {
  let sizeClass = MIN_CLASS;
  while (sizeClass < size) sizeClass *= 2;
  return sizeClass;
}
