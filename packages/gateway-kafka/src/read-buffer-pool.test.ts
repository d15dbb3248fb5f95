import { describe, expect, it } from 'vitest';
import { ReadBufferPool } from './read-buffer-pool.js';

describe('ReadBufferPool', () => {
  it('hands a returned buffer out again for a size of the same class', () => {
    const pool = new ReadBufferPool();
    const first = pool.take(100_000);
    expect(first.byteLength).toBe(128 * 1024);
    pool.give(first);
    expect(pool.pooledBytes).toBe(128 * 1024);
    expect(pool.take(70_000)).toBe(first);
    expect(pool.pooledBytes).toBe(0);
    expect(pool.take(70_000)).not.toBe(first);
  });

  it('keeps at most its byte bound, and neither oversized nor foreign buffers', () => {
    const pool = new ReadBufferPool(256 * 1024, 1024 * 1024);
    const a = pool.take(200 * 1024);
    const b = pool.take(200 * 1024);
    pool.give(a);
    pool.give(b); // past the 256 KiB bound: dropped
    expect(pool.pooledBytes).toBe(256 * 1024);
    const huge = pool.take(3 * 1024 * 1024);
    expect(huge.byteLength).toBe(3 * 1024 * 1024);
    pool.give(huge);
    pool.give(new Uint8Array(1000)); // not a size class
    expect(pool.pooledBytes).toBe(256 * 1024);
  });

  it('gives reads under 32 KiB a buffer of their own size, never a pooled one', () => {
    const pool = new ReadBufferPool();
    pool.give(pool.take(40 * 1024));
    const small = pool.take(100);
    expect(small.byteLength).toBe(100);
    pool.give(small);
    expect(pool.pooledBytes).toBe(64 * 1024);
  });
});
