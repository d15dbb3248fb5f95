import { describe, expect, it } from 'vitest';
import {
  defaultMessageIdGenerator,
  MessageIdGenerator,
  messageIdIndexIn,
  messageIdPlus,
  messageIdTimestamp,
} from './message-id.js';

const ID = /^[0-9A-F]{32}$/;

function random(processPart: number[], sequence: number): Uint8Array {
  const bytes = Buffer.alloc(10);
  Buffer.from(processPart).copy(bytes, 0);
  bytes.writeUInt32BE(sequence, 6);
  return bytes;
}

/** A clock that returns the given times in turn, then repeats the last one. */
function steps(...times: number[]): () => number {
  let index = 0;
  return () => times[Math.min(index++, times.length - 1)] as number;
}

function expectIncreasing(ids: readonly string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!((ids[i - 1] as string) < (ids[i] as string))) {
      throw new Error(`id ${i} (${ids[i]}) is not above id ${i - 1} (${ids[i - 1]})`);
    }
  }
}

describe('MessageIdGenerator', () => {
  it('makes 32 upper-case hex digits', () => {
    const generator = new MessageIdGenerator();
    for (let i = 0; i < 100; i++) expect(generator.next()).toMatch(ID);
  });

  it('lays out time, sequence and process part as documented', () => {
    const generator = new MessageIdGenerator({
      now: () => 0x0123_4567_89ab,
      random: random([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01], 41),
    });
    expect(generator.next()).toBe('0123456789AB' + '0000002A' + 'DEADBEEF0001');
    expect(generator.next()).toBe('0123456789AB' + '0000002B' + 'DEADBEEF0001');
  });

  it('makes strictly increasing ids over 100,000 calls on the real clock', () => {
    const generator = new MessageIdGenerator();
    const ids = Array.from({ length: 100_000 }, () => generator.next());
    expectIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays increasing when the clock steps back, keeping the later time', () => {
    const generator = new MessageIdGenerator({ now: steps(5000, 5000, 1000, 4999, 6000) });
    const ids = Array.from({ length: 5 }, () => generator.next());
    expectIncreasing(ids);
    expect(ids.map(messageIdTimestamp)).toEqual([5000, 5000, 5000, 5000, 6000]);
  });

  it('stays increasing when the 32-bit sequence wraps, moving the time on by 1 ms', () => {
    const generator = new MessageIdGenerator({ now: () => 1000, random: random([1, 2, 3, 4, 5, 6], 0xfffffffd) });
    const ids = Array.from({ length: 5 }, () => generator.next());
    expectIncreasing(ids);
    expect(ids.map((id) => id.slice(12, 20))).toEqual(['FFFFFFFE', 'FFFFFFFF', '00000000', '00000001', '00000002']);
    expect(ids.map(messageIdTimestamp)).toEqual([1000, 1000, 1001, 1001, 1001]);
  });

  it('stays increasing when the sequence wraps and the clock then reaches and passes the moved-on time', () => {
    const generator = new MessageIdGenerator({
      now: steps(1000, 1000, 1001, 1002),
      random: random([0, 0, 0, 0, 0, 0], 0xfffffffe),
    });
    const ids = Array.from({ length: 4 }, () => generator.next());
    expectIncreasing(ids);
    expect(ids.map(messageIdTimestamp)).toEqual([1000, 1001, 1001, 1002]);
  });

  it('gives distinct ids from two generators with different random parts at the same time and sequence', () => {
    const a = new MessageIdGenerator({ now: () => 7, random: random([1, 1, 1, 1, 1, 1], 0) });
    const b = new MessageIdGenerator({ now: () => 7, random: random([1, 1, 1, 1, 1, 2], 0) });
    const fromA = Array.from({ length: 100 }, () => a.next());
    const fromB = Array.from({ length: 100 }, () => b.next());
    expect(fromA[0]?.slice(0, 20)).toBe(fromB[0]?.slice(0, 20));
    expect(new Set([...fromA, ...fromB]).size).toBe(200);
  });

  it('refuses fewer than 10 random bytes', () => {
    expect(() => new MessageIdGenerator({ random: new Uint8Array(9) })).toThrow(RangeError);
  });

  it('has one default generator per process', () => {
    const first = defaultMessageIdGenerator();
    expect(defaultMessageIdGenerator()).toBe(first);
    const earlier = first.next();
    const later = first.next();
    expect(earlier < later).toBe(true);
  });
});

describe('messageIdTimestamp', () => {
  it('recovers the time an id was made', () => {
    const now = Date.UTC(2024, 1, 29, 12, 0, 0, 123);
    expect(messageIdTimestamp(new MessageIdGenerator({ now: () => now }).next())).toBe(now);
    const before = Date.now();
    const id = new MessageIdGenerator().next();
    const after = Date.now();
    const time = messageIdTimestamp(id) as number;
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });

  it('is undefined for ids of another format', () => {
    expect(messageIdTimestamp('client-id-1')).toBeUndefined();
    expect(messageIdTimestamp('0123456789abcdef0123456789abcdef')).toBeUndefined();
    expect(messageIdTimestamp('0123456789ABCDEF0123456789ABCDE')).toBeUndefined();
    expect(messageIdTimestamp('')).toBeUndefined();
  });
});

describe('MessageIdGenerator.nextRange', () => {
  it('reserves a range of increasing ids that next() continues after', () => {
    const ids = new MessageIdGenerator({ now: () => 1_700_000_000_000, random: new Uint8Array(10) });
    const first = ids.nextRange(5);
    const range = [0, 1, 2, 3, 4].map((i) => messageIdPlus(first, i));
    expect(new Set(range).size).toBe(5);
    expect([...range].sort()).toEqual(range);
    const after = ids.next();
    expect(after > (range[4] as string)).toBe(true);
    expect(range.map((id) => messageIdIndexIn(first, 5, id))).toEqual([0, 1, 2, 3, 4]);
    expect(messageIdIndexIn(first, 5, after)).toBe(-1);
    expect(messageIdIndexIn(first, 4, range[4] as string)).toBe(-1);
    expect(messageIdIndexIn(first, 5, 'not an id')).toBe(-1);
  });

  it('never wraps the sequence inside a range', () => {
    const random = new Uint8Array([1, 2, 3, 4, 5, 6, 0xff, 0xff, 0xff, 0xf0]);
    const ids = new MessageIdGenerator({ now: () => 1_700_000_000_000, random });
    const first = ids.nextRange(100);
    const last = messageIdPlus(first, 99);
    expect(last > first).toBe(true);
    expect(first.slice(0, 12)).toBe(last.slice(0, 12));
    expect(messageIdTimestamp(first)).toBe(1_700_000_000_001);
  });
});
