import { describe, expect, it } from 'vitest';
import { MANUAL_CLOCK_START, ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('starts at a fixed time and moves only when told', () => {
    const clock = new ManualClock();
    expect(clock.now()).toBe(MANUAL_CLOCK_START);
    clock.advance(250);
    expect(clock.now()).toBe(MANUAL_CLOCK_START + 250);
    clock.set(1000);
    expect(clock.now()).toBe(1000);
  });

  it('runs scheduled tasks in due order when advanced past them, each at its due time', () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    clock.schedule(30, () => seen.push(`late@${clock.now()}`));
    clock.schedule(10, () => seen.push(`early@${clock.now()}`));
    clock.schedule(10, () => {
      seen.push(`tie@${clock.now()}`);
      clock.schedule(5, () => seen.push(`nested@${clock.now()}`));
    });
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(21);
    expect(seen).toEqual(['early@10', 'tie@10', 'nested@15', 'late@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTasks).toBe(0);
  });

  it('does not run cancelled tasks, and does not run tasks when the time is set', () => {
    const clock = new ManualClock(0);
    let runs = 0;
    const task = clock.schedule(5, () => runs++);
    clock.schedule(5, () => runs++);
    task.cancel();
    clock.set(100);
    expect(runs).toBe(0);
    clock.advance(0);
    expect(runs).toBe(1);
    expect(clock.pendingTasks).toBe(0);
  });

  it('refuses to advance backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});
