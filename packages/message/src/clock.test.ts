import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';

describe('systemClock', () => {
  it('tells the wall-clock time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('runs a scheduled task once after its delay', async () => {
    const start = performance.now();
    const ranAt = await new Promise<number>((resolve) => systemClock.schedule(20, () => resolve(performance.now())));
    // Timers may fire up to a millisecond early by performance.now(), never much earlier.
    expect(ranAt - start).toBeGreaterThanOrEqual(19);
  });

  it('runs a task with a negative delay as soon as possible', async () => {
    let ran = false;
    systemClock.schedule(-100, () => {
      ran = true;
    });
    await sleep(5);
    expect(ran).toBe(true);
  });

  it('does not run a cancelled task, and cancelling after it ran is harmless', async () => {
    const seen: string[] = [];
    const cancelled = systemClock.schedule(5, () => seen.push('cancelled'));
    const kept = systemClock.schedule(5, () => seen.push('kept'));
    cancelled.cancel();
    await sleep(30);
    expect(seen).toEqual(['kept']);
    expect(() => kept.cancel()).not.toThrow();
    expect(seen).toEqual(['kept']);
  });

  it('does not keep the process alive (the timer is unref’d)', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `import('${new URL('./clock.ts', import.meta.url).href}').then(({ systemClock }) => {
      systemClock.schedule(60_000, () => process.exit(3));
    })`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('.', import.meta.url),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
