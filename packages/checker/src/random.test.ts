import { describe, expect, it } from 'vitest';
import { createRandom } from './random.js';

describe('createRandom', () => {
  it('replays the same sequence from the same seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const drawn = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(drawn);
    expect(Array.from({ length: 5 }, () => createRandom(43).next())).not.toEqual(drawn);
  });

  it('draws next in [0, 1), int within inclusive bounds, and pick from the list', () => {
    const random = createRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const value = random.next();
      expect(value >= 0 && value < 1).toBe(true);
      const int = random.int(-2, 2);
      expect(Number.isInteger(int) && int >= -2 && int <= 2).toBe(true);
      seen.add(int);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
    expect(['a', 'b', 'c']).toContain(random.pick(['a', 'b', 'c']));
    expect(random.int(3, 3)).toBe(3);
  });

  it('rejects an empty pick and inverted bounds', () => {
    const random = createRandom(1);
    expect(() => random.pick([])).toThrow(RangeError);
    expect(() => random.int(2, 1)).toThrow(RangeError);
  });
});
