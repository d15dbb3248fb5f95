import { decodeRecordBatches, encodeRecordBatch, recordBatchSpans } from '@eddy/protocol-kafka';
import { describe, expect, it } from 'vitest';
import { type CachedBatch, ProducedBatchCache, patchedBatch } from './batch-cache.js';

const batch = (baseOffset: number, count: number, size = 100): CachedBatch => ({
  baseOffset,
  count,
  bytes: new Uint8Array(size),
  messageId: `m${baseOffset}`,
});
const bases = (run: readonly CachedBatch[]): number[] => run.map(({ baseOffset }) => baseOffset);

describe('ProducedBatchCache', () => {
  it('serves a contiguous run from the batch containing the offset, up to a gap', () => {
    const cache = new ProducedBatchCache(10_000);
    cache.add('t', 0, batch(0, 3));
    cache.add('t', 0, batch(3, 2));
    cache.add('t', 0, batch(6, 4)); // offset 5 came from elsewhere (a marker, RocketMQ)
    expect(bases(cache.run('t', 0, 0, 100, 1_000_000))).toEqual([0, 3]);
    expect(bases(cache.run('t', 0, 4, 100, 1_000_000))).toEqual([3]);
    expect(cache.run('t', 0, 5, 100, 1_000_000)).toEqual([]);
    expect(bases(cache.run('t', 0, 7, 100, 1_000_000))).toEqual([6]);
    expect(cache.run('t', 0, 10, 100, 1_000_000)).toEqual([]);
    expect(cache.nextStart('t', 0, 5)).toBe(6);
    expect(cache.nextStart('t', 0, 6)).toBeUndefined();
    expect(cache.run('t', 1, 0, 100, 1_000_000)).toEqual([]);
    expect(cache.run('u', 0, 0, 100, 1_000_000)).toEqual([]);
  });

  it('never serves a batch crossing the limit (LSO or high watermark)', () => {
    const cache = new ProducedBatchCache(10_000);
    cache.add('t', 0, batch(0, 3));
    cache.add('t', 0, batch(3, 3));
    expect(bases(cache.run('t', 0, 0, 6, 1_000_000))).toEqual([0, 3]);
    expect(bases(cache.run('t', 0, 0, 5, 1_000_000))).toEqual([0]);
    expect(cache.run('t', 0, 0, 2, 1_000_000)).toEqual([]);
  });

  it('keeps a run within max bytes after the first batch, which always goes', () => {
    const cache = new ProducedBatchCache(10_000);
    for (let i = 0; i < 5; i++) cache.add('t', 0, batch(i, 1, 100));
    expect(bases(cache.run('t', 0, 0, 100, 10))).toEqual([0]);
    expect(bases(cache.run('t', 0, 0, 100, 250))).toEqual([0, 1]);
    expect(bases(cache.run('t', 0, 0, 100, 300))).toEqual([0, 1, 2]);
    expect(cache.run('t', 0, 0, 100, 99, false)).toEqual([]);
    expect(bases(cache.run('t', 0, 0, 100, 100, false))).toEqual([0]);
  });

  it('bounds its bytes, evicting the oldest first across partitions', () => {
    const cache = new ProducedBatchCache(350);
    cache.add('t', 0, batch(0, 1));
    cache.add('t', 1, batch(0, 1));
    cache.add('t', 0, batch(1, 1));
    expect(cache.bytes).toBe(300);
    cache.add('t', 1, batch(1, 1));
    expect(cache.bytes).toBe(300);
    expect(cache.size).toBe(3);
    expect(cache.run('t', 0, 0, 100, 1000)).toEqual([]);
    expect(bases(cache.run('t', 0, 1, 100, 1000))).toEqual([1]);
    expect(bases(cache.run('t', 1, 0, 100, 1000))).toEqual([0, 1]);
    cache.add('t', 2, batch(0, 1, 351));
    expect(cache.run('t', 2, 0, 100, 1000)).toEqual([]);
    expect(new ProducedBatchCache(0).bytes).toBe(0);
    const off = new ProducedBatchCache(0);
    off.add('t', 0, batch(0, 1));
    expect(off.size).toBe(0);
  });

  it('evicts many batches and keeps its bookkeeping consistent', () => {
    const cache = new ProducedBatchCache(100 * 50);
    for (let i = 0; i < 5000; i++) cache.add(`t${i % 3}`, 0, batch(Math.floor(i / 3), 1));
    expect(cache.size).toBe(50);
    expect(cache.bytes).toBe(5000);
    cache.invalidateTopic('t0');
    expect(cache.bytes).toBe(cache.size * 100);
    for (let i = 0; i < 100; i++) cache.add('t0', 0, batch(10_000 + i, 1));
    expect(cache.size).toBe(50);
    expect(cache.bytes).toBe(5000);
  });

  it('drops on invalidation: a partition, a topic, below a log start, and when offsets go back', () => {
    const cache = new ProducedBatchCache(10_000);
    cache.add('t', 0, batch(0, 2));
    cache.add('t', 0, batch(2, 2));
    cache.add('t', 1, batch(0, 2));
    cache.add('topic', 0, batch(0, 2));
    cache.dropBefore('t', 0, 1);
    expect(bases(cache.run('t', 0, 2, 100, 1000))).toEqual([2]);
    expect(cache.run('t', 0, 1, 100, 1000)).toEqual([]);
    cache.invalidatePartition('t', 1);
    expect(cache.run('t', 1, 0, 100, 1000)).toEqual([]);
    expect(cache.endOffset('t', 0)).toBe(4);
    cache.invalidateTopic('t');
    expect(cache.run('t', 0, 2, 100, 1000)).toEqual([]);
    expect(bases(cache.run('topic', 0, 0, 100, 1000))).toEqual([0]);
    expect(cache.bytes).toBe(100);
    // The partition was recreated behind the gateway: offset 0 again.
    cache.add('topic', 0, batch(0, 1, 50));
    expect(cache.bytes).toBe(50);
    expect(cache.endOffset('topic', 0)).toBe(1);
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it('patches baseOffset and partitionLeaderEpoch of a produced batch without breaking its CRC', () => {
    const one = encodeRecordBatch({ partitionLeaderEpoch: 7, records: [{ value: new Uint8Array([1]) }] });
    const two = encodeRecordBatch({ records: [{ value: new Uint8Array([2]) }, { value: new Uint8Array([3]) }] });
    const records = new Uint8Array([...one, ...two]);
    const spans = recordBatchSpans(records);
    expect(spans).toEqual([
      { start: 0, end: one.length },
      { start: one.length, end: one.length + two.length },
    ]);
    const patched = patchedBatch(records, 0, one.length, 42);
    const [decoded] = decodeRecordBatches(patched);
    expect(decoded?.baseOffset).toBe(42n);
    expect(decoded?.partitionLeaderEpoch).toBe(0);
    expect(records.subarray(0, 8).every((byte) => byte === 0)).toBe(true);
  });
});
