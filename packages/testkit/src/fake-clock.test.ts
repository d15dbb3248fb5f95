import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('runs tasks in due order, each at its due time, during advance', async () => {
    const clock = new FakeClock(1000);
    const seen: [string, number][] = [];
    clock.schedule(30, () => seen.push(['c', clock.now()]));
    clock.schedule(10, () => seen.push(['a', clock.now()]));
    clock.schedule(10, () => seen.push(['b', clock.now()]));
    await clock.advance(20);
    expect(seen).toEqual([
      ['a', 1010],
      ['b', 1010],
    ]);
    expect(clock.now()).toBe(1020);
    await clock.advance(10);
    expect(seen.at(-1)).toEqual(['c', 1030]);
    expect(clock.pendingTasks).toBe(0);
  });

  it('does not run cancelled tasks and runs tasks scheduled by tasks', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.schedule(5, () => seen.push(1)).cancel();
    clock.schedule(5, () => clock.schedule(5, () => seen.push(clock.now())));
    await clock.advance(10);
    expect(seen).toEqual([10]);
  });

  it('lets awaited work inside a task finish before the next task', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.schedule(1, async () => {
      await Promise.resolve();
      seen.push('first done');
    });
    clock.schedule(2, () => seen.push('second'));
    await clock.advance(2);
    expect(seen).toEqual(['first done', 'second']);
  });

  it('refuses to go back but can be set to any time', async () => {
    const clock = new FakeClock(100);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    clock.set(50);
    expect(clock.now()).toBe(50);
  });
});
