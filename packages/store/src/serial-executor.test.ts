import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SerialExecutor } from './serial-executor.js';

describe('SerialExecutor', () => {
  it('runs tasks in submission order even when earlier ones are slower, one at a time', async () => {
    const executor = new SerialExecutor();
    const events: string[] = [];
    let running = 0;
    const task = (name: string, ms: number) => async () => {
      running++;
      expect(running).toBe(1);
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([
      executor.run(task('a', 30)),
      executor.run(task('b', 1)),
      executor.run(() => {
        events.push('sync c');
        return 'c';
      }),
      executor.run(task('d', 10)),
    ]);
    expect(results).toEqual(['a', 'b', 'c', 'd']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'sync c', 'start d', 'end d']);
  });

  it('does not run a task synchronously inside run()', async () => {
    const executor = new SerialExecutor();
    let ran = false;
    const done = executor.run(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    await done;
    expect(ran).toBe(true);
  });

  it('calls tasks without arguments', async () => {
    const executor = new SerialExecutor();
    const seen = await Promise.all([1, 2, 3].map(() => executor.run((...args: unknown[]) => args.length)));
    expect(seen).toEqual([0, 0, 0]);
  });

  it('rejects with a failed task’s error and still runs the tasks after it', async () => {
    const executor = new SerialExecutor();
    const order: string[] = [];
    const failing = executor.run(async () => {
      await sleep(5);
      order.push('async failure');
      throw new Error('boom');
    });
    const throwing = executor.run(() => {
      order.push('sync failure');
      throw new TypeError('bang');
    });
    const after = executor.run(() => {
      order.push('after');
      return 42;
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(throwing).rejects.toThrow(TypeError);
    await expect(after).resolves.toBe(42);
    expect(order).toEqual(['async failure', 'sync failure', 'after']);
    expect(executor.pending).toBe(0);
  });

  it('counts pending tasks until they settle', async () => {
    const executor = new SerialExecutor();
    expect(executor.pending).toBe(0);
    let release!: () => void;
    const first = executor.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = executor.run(() => 'x');
    expect(executor.pending).toBe(2);
    await sleep(1);
    expect(executor.pending).toBe(2);
    release();
    await first;
    expect(executor.pending).toBe(1);
    await second;
    expect(executor.pending).toBe(0);
  });

  it('idle() waits for everything submitted so far, including failures, and resolves at once when empty', async () => {
    const executor = new SerialExecutor();
    await executor.idle();
    const done: string[] = [];
    executor.run(async () => {
      await sleep(10);
      done.push('a');
    });
    executor
      .run(async () => {
        await sleep(5);
        throw new Error('b');
      })
      .catch(() => done.push('b failed'));
    executor.run(() => done.push('c'));
    await executor.idle();
    expect(done).toEqual(['a', 'b failed', 'c']);
    expect(executor.pending).toBe(0);
  });

  it('keeps separate executors independent', async () => {
    const slow = new SerialExecutor();
    const fast = new SerialExecutor();
    const order: string[] = [];
    const a = slow.run(async () => {
      await sleep(20);
      order.push('slow');
    });
    const b = fast.run(() => order.push('fast'));
    await Promise.all([a, b]);
    expect(order).toEqual(['fast', 'slow']);
  });
});
