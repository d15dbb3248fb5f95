import { createMessage, systemClock } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { describe, expect, it } from 'vitest';
import { LongPollRegistry } from '../src/long-poll.js';
import { PullService } from '../src/pull-service.js';

// Real time, on purpose: these prove behaviour a fake clock cannot show (no spinning while idle, and a
// wake-up that does not wait for any timer). The bounds are generous; they are not performance targets.
describe('long polling on the system clock', () => {
  it('does not spin while idle: 100 held pulls over 300 ms use almost no CPU', async () => {
    const store = await openMemoryStore();
    await store.append('t', 0, [createMessage({ topic: 't', body: 'x' })]);
    const longPoll = new LongPollRegistry({ clock: systemClock });
    const service = new PullService({ store, longPoll, clock: systemClock });
    const pulls = Array.from({ length: 100 }, () =>
      service.pull({ group: 'g', topic: 't', queueId: 0, offset: 1, maxMessages: 32, pollTimeoutMs: 300 }),
    );
    // Let the pulls reach their hold before measuring.
    await new Promise((resolve) => setImmediate(resolve));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const results = await Promise.all(pulls);
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(results.every((result) => result.status === 'no-new-message')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(cpuMs).toBeLessThan(50);
    await store.close();
  });

  it('answers a held pull within a few ms of the notify', async () => {
    const store = await openMemoryStore();
    const longPoll = new LongPollRegistry({ clock: systemClock });
    const service = new PullService({ store, longPoll, clock: systemClock });
    const pull = service.pull({
      group: 'g',
      topic: 't',
      queueId: 0,
      offset: 0,
      maxMessages: 32,
      pollTimeoutMs: 10_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sent = performance.now();
    await service.appendAndNotify('t', 0, [createMessage({ topic: 't', body: 'x' })]);
    const result = await pull;
    expect(result.status).toBe('found');
    expect(performance.now() - sent).toBeLessThan(100);
    expect(longPoll.waiting).toBe(0);
    await store.close();
  });
});
