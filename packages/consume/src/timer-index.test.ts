import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TimerEntry, TimerIndex } from './timer-index.js';

function drain(index: TimerIndex): TimerEntry[] {
  const out: TimerEntry[] = [];
  for (let entry = index.pop(); entry !== undefined; entry = index.pop()) out.push(entry);
  return out;
}

describe('TimerIndex', () => {
  it('pops by due time, ties by offset, whatever the order of pushes', () => {
    const index = new TimerIndex();
    index.push(30, 1);
    index.push(10, 7);
    index.push(20, 2);
    index.push(10, 3);
    expect(index.size).toBe(4);
    expect(index.peekDue()).toBe(10);
    expect(drain(index)).toEqual([
      { due: 10, offset: 3 },
      { due: 10, offset: 7 },
      { due: 20, offset: 2 },
      { due: 30, offset: 1 },
    ]);
    expect(index.peekDue()).toBeUndefined();
    expect(index.pop()).toBeUndefined();
  });

  it('matches a sort for any pushes and pops, past its initial capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 3000 }),
        (operations) => {
          const index = new TimerIndex();
          const model: TimerEntry[] = [];
          let offset = 0;
          for (const [due, pop] of operations) {
            if (pop) {
              model.sort((a, b) => a.due - b.due || a.offset - b.offset);
              expect(index.pop()).toEqual(model.shift());
            } else {
              index.push(due, offset);
              model.push({ due, offset });
              offset++;
            }
          }
          model.sort((a, b) => a.due - b.due || a.offset - b.offset);
          expect(drain(index)).toEqual(model);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('holds epoch-millisecond times and large offsets exactly, and clears', () => {
    const index = new TimerIndex();
    const due = Date.UTC(2026, 0, 1) + 1;
    index.push(due, Number.MAX_SAFE_INTEGER);
    index.push(due, Number.MAX_SAFE_INTEGER - 1);
    expect(index.pop()).toEqual({ due, offset: Number.MAX_SAFE_INTEGER - 1 });
    index.clear();
    expect(index.size).toBe(0);
  });
});
