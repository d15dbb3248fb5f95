import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerWatermark } from './timer-watermark.js';

describe('TimerWatermark', () => {
  it('moves up only past contiguous done offsets', () => {
    const watermark = new TimerWatermark(10);
    expect(watermark.low).toBe(10);
    watermark.markDone(12);
    watermark.markDone(11);
    expect(watermark.low).toBe(10);
    expect(watermark.isDone(12)).toBe(true);
    expect(watermark.isDone(13)).toBe(false);
    expect(watermark.isDone(3)).toBe(true);
    watermark.markDone(10);
    expect(watermark.low).toBe(13);
    watermark.markDone(5);
    expect(watermark.low).toBe(13);
  });

  it('tells the low a batch would give without changing anything', () => {
    const watermark = new TimerWatermark(0);
    watermark.markDone(1);
    expect(watermark.lowWith(new Set([0, 2, 3]))).toBe(4);
    expect(watermark.lowWith(new Set([2]))).toBe(0);
    expect(watermark.low).toBe(0);
    expect(watermark.isDone(2)).toBe(false);
  });

  it('matches a model for any order of offsets, across compactions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), (count, seed) => {
        // A shuffle that keeps offsets roughly in order, as due-ordered delivery does.
        const offsets = Array.from({ length: count }, (_, i) => i);
        let state = seed;
        for (let i = 0; i < count; i++) {
          state = (state * 1_103_515_245 + 12_345) | 0;
          const j = Math.min(count - 1, i + (Math.abs(state) % 200));
          [offsets[i], offsets[j]] = [offsets[j] as number, offsets[i] as number];
        }
        const watermark = new TimerWatermark(0);
        const done = new Set<number>();
        let low = 0;
        for (const offset of offsets) {
          expect(watermark.lowWith(new Set([offset]))).toBe(offset === low ? firstMissing(done, low + 1) : low);
          watermark.markDone(offset);
          done.add(offset);
          low = firstMissing(done, low);
          expect(watermark.low).toBe(low);
        }
        expect(watermark.low).toBe(count);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps offsets far above the watermark', () => {
    const watermark = new TimerWatermark(0);
    watermark.markDone(1_000_000);
    expect(watermark.isDone(1_000_000)).toBe(true);
    for (let offset = 0; offset < 1_000_000; offset++) watermark.markDone(offset);
    expect(watermark.low).toBe(1_000_001);
  });
});

function firstMissing(done: ReadonlySet<number>, from: number): number {
  let offset = from;
  while (done.has(offset)) offset++;
  return offset;
}
