import { EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('counts a value in the first bucket whose bound it does not exceed, cumulatively', () => {
    const histogram = new Histogram([0.1, 1, 10]);
    for (const value of [0, 0.1, 0.2, 1, 5, 10, 11, 1000]) histogram.observe(value);
    expect(histogram.snapshot()).toEqual({
      buckets: [
        { le: 0.1, count: 2 },
        { le: 1, count: 4 },
        { le: 10, count: 6 },
      ],
      sum: 1027.3,
      count: 8,
    });
  });

  it('starts empty', () => {
    expect(new Histogram([1]).snapshot()).toEqual({ buckets: [{ le: 1, count: 0 }], sum: 0, count: 0 });
  });

  it('ignores NaN, which would poison the sum forever', () => {
    const histogram = new Histogram([1]);
    histogram.observe(Number.NaN);
    histogram.observe(0.5);
    expect(histogram.snapshot()).toEqual({ buckets: [{ le: 1, count: 1 }], sum: 0.5, count: 1 });
  });

  it.each([
    ['empty', []],
    ['not ascending', [1, 1]],
    ['descending', [2, 1]],
    ['infinite', [1, Number.POSITIVE_INFINITY]],
    ['NaN', [Number.NaN]],
  ])('refuses bounds that are %s', (_what, bounds) => {
    expect(() => new Histogram(bounds)).toThrow(EddyError);
  });
});
