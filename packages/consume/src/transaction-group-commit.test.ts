import { describe, expect, it } from 'vitest';
import { GroupCommit } from './transaction-group-commit.js';

describe('GroupCommit', () => {
  it('flushes a lone item at once and groups what arrives during a flush', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, string>(async (items) => {
      batches.push([...items]);
      await new Promise((resolve) => setImmediate(resolve));
      return items.map((item) => `r${item}`);
    }, 3);
    const first = group.submit(0);
    expect(batches).toEqual([[0]]);
    const rest = [1, 2, 3, 4].map((item) => group.submit(item));
    expect(group.waiting).toBe(4);
    expect(await Promise.all([first, ...rest])).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(batches).toEqual([[0], [1, 2, 3], [4]]);
    expect(group.waiting).toBe(0);
  });

  it('fails every item of a failed batch, and carries on with the next', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      if (calls === 2) throw new Error('disk full');
      return [...items];
    }, 10);
    const results = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await group.submit(4)).toBe(4);
  });
});
