import { describe, expect, it } from 'vitest';
import { md5Digest } from './body-digest.js';
import { durationToMs, msToDuration, msToTimestamp, timestampToMs } from './time.js';

describe('durations and timestamps', () => {
  it.each([
    [0, { seconds: 0, nanos: 0 }],
    [1, { seconds: 0, nanos: 1_000_000 }],
    [1500, { seconds: 1, nanos: 500_000_000 }],
    [20_000, { seconds: 20, nanos: 0 }],
  ])('turns %d ms into %o and back', (ms, duration) => {
    expect(msToDuration(ms)).toEqual(duration);
    expect(durationToMs(duration)).toBe(ms);
  });

  it('reads absent fields as zero and an absent duration as undefined', () => {
    expect(durationToMs({ seconds: 2 })).toBe(2000);
    expect(durationToMs({ nanos: 999_999 })).toBe(0);
    expect(durationToMs(undefined)).toBeUndefined();
    expect(durationToMs(null)).toBeUndefined();
  });

  it('keeps millisecond timestamps exact', () => {
    const ms = Date.UTC(2026, 0, 1, 12, 0, 0, 345);
    expect(msToTimestamp(ms)).toEqual({ seconds: Math.floor(ms / 1000), nanos: 345_000_000 });
    expect(timestampToMs(msToTimestamp(ms))).toBe(ms);
  });
});

describe('md5Digest', () => {
  it('is MD5 in uppercase hex, as both official clients compute it', () => {
    expect(md5Digest(Buffer.from('hello'))).toBe('5D41402ABC4B2A76B9719D911017C592');
    expect(md5Digest(new Uint8Array(0))).toBe('D41D8CD98F00B204E9800998ECF8427E');
  });
});
