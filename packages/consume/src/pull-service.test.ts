import { createMessage, EddyError, type Message } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { LongPollRegistry } from './long-poll.js';
import { type PullRequest, type PullResult, PullService } from './pull-service.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function message(body: string, tag?: string): Message {
  return createMessage({ topic: 't', body, tag });
}

function bodies(result: PullResult): string[] {
  return result.messages.map((stored) => Buffer.from(stored.body).toString());
}

function track(promise: Promise<PullResult>): { result: PullResult | undefined } {
  const state: { result: PullResult | undefined } = { result: undefined };
  void promise.then((result) => {
    state.result = result;
  });
  return state;
}

describe('PullService', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let longPoll: LongPollRegistry;
  let service: PullService;
  const request = (overrides: Partial<PullRequest> = {}): PullRequest => ({
    group: 'g',
    topic: 't',
    queueId: 0,
    offset: 0,
    maxMessages: 32,
    pollTimeoutMs: 0,
    ...overrides,
  });

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    longPoll = new LongPollRegistry({ clock });
    service = new PullService({ store, longPoll, clock });
  });

  it('answers at once with what is there', async () => {
    await service.appendAndNotify('t', 0, [message('a'), message('b'), message('c')]);
    const result = await service.pull(request({ offset: 1, maxMessages: 1, pollTimeoutMs: 10_000 }));
    expect(result).toMatchObject({ status: 'found', nextOffset: 2, minOffset: 0, maxOffset: 3 });
    expect(bodies(result)).toEqual(['b']);
  });

  it('answers no-new-message at once without a poll timeout', async () => {
    await store.append('t', 0, [message('a')]);
    expect(await service.pull(request({ offset: 1 }))).toEqual({
      status: 'no-new-message',
      messages: [],
      nextOffset: 1,
      minOffset: 0,
      maxOffset: 1,
    });
  });

  it('holds a pull and answers it as soon as an append is notified, without the clock moving', async () => {
    await store.append('t', 0, [message('old')]);
    const start = clock.now();
    const pending = track(service.pull(request({ offset: 1, pollTimeoutMs: 15_000 })));
    await settle();
    await settle();
    expect(pending.result).toBeUndefined();
    expect(longPoll.waiting).toBe(1);

    await store.append('t', 0, [message('new')]);
    expect(service.notifyAppended('t', 0)).toBe(1);
    // Answered within the turn of the notify or the next one: the wake is not tied to any timer.
    await settle();
    if (pending.result === undefined) await settle();
    expect(pending.result?.status).toBe('found');
    expect(bodies(pending.result as PullResult)).toEqual(['new']);
    expect(pending.result?.nextOffset).toBe(2);
    expect(clock.now()).toBe(start);
    expect(clock.pendingTasks).toBe(0);
  });

  it('answers a held pull empty at the timeout, by the clock', async () => {
    await store.append('t', 0, [message('a')]);
    const pending = track(service.pull(request({ offset: 1, pollTimeoutMs: 5000 })));
    await clock.advance(4999);
    expect(pending.result).toBeUndefined();
    await clock.advance(1);
    expect(pending.result).toEqual({
      status: 'no-new-message',
      messages: [],
      nextOffset: 1,
      minOffset: 0,
      maxOffset: 1,
    });
    expect(longPoll.waiting).toBe(0);
  });

  it('keeps a tag-filtered pull held through non-matching appends, skipping them', async () => {
    const pending = track(service.pull(request({ filter: { tags: ['TagA'] }, pollTimeoutMs: 5000 })));
    await settle();
    await service.appendAndNotify('t', 0, [message('b1', 'TagB'), message('b2', 'TagB')]);
    await settle();
    await settle();
    expect(pending.result).toBeUndefined();
    expect(longPoll.waiting).toBe(1);
    await clock.advance(1000);
    await service.appendAndNotify('t', 0, [message('a1', 'TagA')]);
    await settle();
    await settle();
    expect(pending.result?.status).toBe('found');
    expect(bodies(pending.result as PullResult)).toEqual(['a1']);
    expect(pending.result?.nextOffset).toBe(3);
  });

  it('answers no-matched-message with the offset moved past what the filter refused', async () => {
    const pending = track(service.pull(request({ filter: { tags: ['TagA'] }, pollTimeoutMs: 5000 })));
    await settle();
    await service.appendAndNotify('t', 0, [message('b1', 'TagB')]);
    await clock.advance(5000);
    expect(pending.result).toMatchObject({ status: 'no-matched-message', messages: [], nextOffset: 1 });
  });

  it('confirms with filter.matches after the tag pre-filter', async () => {
    await store.append('t', 0, [message('x1', 'A'), message('keep', 'A'), message('x2', 'B'), message('x3', 'A')]);
    const matches = (stored: { body: Uint8Array }): boolean => Buffer.from(stored.body).toString() === 'keep';
    const found = await service.pull(request({ filter: { tags: ['A'], matches } }));
    expect(found.status).toBe('found');
    expect(bodies(found)).toEqual(['keep']);
    expect(found.nextOffset).toBe(4);
    // Refused messages with more behind them: answered at once, not held, so the client reads on.
    const refused = await service.pull(
      request({ maxMessages: 1, filter: { tags: ['A'], matches }, pollTimeoutMs: 5000 }),
    );
    expect(refused).toMatchObject({ status: 'no-matched-message', messages: [], nextOffset: 1 });
  });

  it('maps offset-out-of-range with the nearest valid offset, and does not hold it', async () => {
    await store.append('t', 0, [message('a'), message('b'), message('c')]);
    await store.deleteRecordsBefore('t', 0, 1);
    expect(await service.pull(request({ offset: 9, pollTimeoutMs: 5000 }))).toEqual({
      status: 'offset-out-of-range',
      messages: [],
      nextOffset: 3,
      minOffset: 1,
      maxOffset: 3,
    });
    expect((await service.pull(request({ offset: 0, pollTimeoutMs: 5000 }))).nextOffset).toBe(1);
    expect(longPoll.waiting).toBe(0);
  });

  it('answers unknown-queue, and holds a pull on a queue until its first append', async () => {
    expect(await service.pull(request({ queueId: 5 }))).toEqual({
      status: 'unknown-queue',
      messages: [],
      nextOffset: 0,
      minOffset: 0,
      maxOffset: 0,
    });
    const pending = track(service.pull(request({ queueId: 5, pollTimeoutMs: 5000 })));
    await settle();
    expect(pending.result).toBeUndefined();
    await service.appendAndNotify('t', 5, [message('first')]);
    await settle();
    await settle();
    expect(bodies(pending.result as PullResult)).toEqual(['first']);
  });

  it('does not miss an append that lands between its read and its wait', async () => {
    // A store whose read lets an append (with its notify) complete before the read's answer arrives.
    let raced = false;
    const read: MessageStore['read'] = async (...args) => {
      const result = await store.read(...args);
      if (!raced) {
        raced = true;
        await service.appendAndNotify('t', 0, [message('raced')]);
      }
      return result;
    };
    const racing = new Proxy(store, {
      get(target, key) {
        if (key === 'read') return read;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const racingService = new PullService({ store: racing, longPoll, clock });
    const result = await racingService.pull(request({ pollTimeoutMs: 60_000 }));
    expect(bodies(result)).toEqual(['raced']);
    expect(clock.pendingTasks).toBe(0);
  });

  it('finds at the timeout a message appended without a notify', async () => {
    const pending = track(service.pull(request({ pollTimeoutMs: 1000 })));
    await settle();
    await store.append('t', 0, [message('silent')]);
    await clock.advance(1000);
    expect(pending.result?.status).toBe('found');
  });

  it('holds 1,000 idle pulls with at most ONE clock task, and answers them all on one notify', async () => {
    const pulls = Array.from({ length: 1000 }, (_, i) => service.pull(request({ pollTimeoutMs: 10_000 + i })));
    await settle();
    await settle();
    expect(longPoll.waiting).toBe(1000);
    expect(clock.pendingTasks).toBeLessThanOrEqual(1);
    await service.appendAndNotify('t', 0, [message('all')]);
    const results = await Promise.all(pulls);
    expect(results.every((result) => result.status === 'found')).toBe(true);
    expect(clock.pendingTasks).toBe(0);
    expect(longPoll.waiting).toBe(0);
  });

  it('refuses a bad poll timeout or offset', async () => {
    for (const bad of [request({ pollTimeoutMs: -1 }), request({ offset: -1 }), request({ maxMessages: 0 })]) {
      const error = await service.pull(bad).catch((caught: unknown) => caught);
      expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});
