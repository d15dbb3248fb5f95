import {
  createMessage,
  EddyError,
  type Logger,
  type Message,
  type StoredMessage,
  SystemProperty,
  SystemTopic,
} from '@eddy/message';
import { decodeJsonValue, type MessageStore, type MetadataStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TIMER_PROGRESS_KEY } from './timer-progress.js';
import { DEFAULT_MAX_TIMER_DELAY_MS, TIMER_FAILURE_BACKOFF_MS, TimerScheduler } from './timer-scheduler.js';

const decoder = new TextDecoder();

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let offset = 0; ; ) {
    const read = await store.read(topic, queueId, offset, { maxMessages: 1000 });
    if (read.status !== 'ok' || read.messages.length === 0) return all;
    all.push(...read.messages);
    offset = read.nextOffset;
  }
}

async function bodies(store: MessageStore, topic: string, queueId = 0): Promise<string[]> {
  return (await readAll(store, topic, queueId)).map((message) => decoder.decode(message.body));
}

// A stand-in for `target` with some members replaced; the others are the target's, bound to it.
function override<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info() {}, warn() {}, error: (message) => errors.push(message) };
}

const orders = { topic: 'orders', queueId: 0 };

describe('TimerScheduler', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let scheduler: TimerScheduler;
  let appended: string[];
  const timer = (body: string, deliveryTimestamp: number | undefined, extra: Partial<Message> = {}): Message => ({
    ...createMessage(
      {
        topic: 'ignored',
        body,
        properties: { region: 'eu' },
        keys: ['k'],
        tag: 'T',
        messageGroup: 'g',
        deliveryTimestamp,
      },
      { clock },
    ),
    ...extra,
  });
  // Moves the clock to `start + elapsed` and lets deliveries finish.
  const at = async (time: number): Promise<void> => {
    await clock.advance(time - clock.now());
    await scheduler.whenIdle();
  };

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    appended = [];
    scheduler = new TimerScheduler({
      store,
      clock,
      onAppended: (topic, queueId) => appended.push(`${topic}/${queueId}`),
    });
    await scheduler.start();
  });
  afterEach(async () => {
    await scheduler.stop();
    await store.close();
  });

  it('keeps the message in the timer log with its real queue, and delivers it at its due time, not before', async () => {
    const start = clock.now();
    const message = timer('a', start + 5000);
    expect(await scheduler.schedule(message, { topic: 'orders', queueId: 2 })).toEqual({
      dueAt: start + 5000,
      timerOffset: 0,
    });
    const [stored] = await readAll(store, SystemTopic.TIMER, 0);
    expect(stored?.deliveryTimestamp).toBe(start + 5000);
    expect(stored?.properties).toEqual({
      region: 'eu',
      [SystemProperty.REAL_TOPIC]: 'orders',
      [SystemProperty.REAL_QUEUE_ID]: '2',
    });
    expect(scheduler.pending).toBe(1);
    expect(clock.pendingTasks).toBe(1);

    await at(start + 4999);
    expect(await bodies(store, 'orders', 2)).toEqual([]);
    await at(start + 5000);
    const [delivered] = await readAll(store, 'orders', 2);
    expect(delivered?.storeTimestamp).toBe(start + 5000);
    expect(delivered).toMatchObject({
      messageId: message.messageId,
      keys: ['k'],
      tag: 'T',
      messageGroup: 'g',
      deliveryTimestamp: start + 5000,
      bornTimestamp: message.bornTimestamp,
    });
    expect(decoder.decode(delivered?.body)).toBe('a');
    expect(delivered?.properties).toEqual({ region: 'eu', [SystemProperty.DELIVERY_ID]: 'timer:0' });
    expect(appended).toEqual(['orders/2']);
    expect(scheduler.pending).toBe(0);
    expect(clock.pendingTasks).toBe(0);
    const progress = await store.metadata.get(TIMER_PROGRESS_KEY);
    expect(progress === undefined ? undefined : decodeJsonValue(progress)).toEqual({
      due: start + 5000,
      offset: 0,
      low: 1,
    });
  });

  it('delivers in due order whatever the order they were scheduled in, ties in arrival order', async () => {
    const start = clock.now();
    await scheduler.schedule(timer('c', start + 30_000), orders);
    await scheduler.schedule(timer('a1', start + 10_000), orders);
    await scheduler.schedule(timer('b', start + 20_000), { topic: 'audit', queueId: 1 });
    await scheduler.schedule(timer('a2', start + 10_000), orders);
    await clock.advance(5000);
    await scheduler.schedule(timer('a0', start + 9000), orders);
    expect(clock.pendingTasks).toBe(1);
    await at(start + 9000);
    expect(await bodies(store, 'orders')).toEqual(['a0']);
    await at(start + 10_000);
    expect(await bodies(store, 'orders')).toEqual(['a0', 'a1', 'a2']);
    await at(start + 20_000);
    expect(await bodies(store, 'audit', 1)).toEqual(['b']);
    await at(start + 30_000);
    expect(await bodies(store, 'orders')).toEqual(['a0', 'a1', 'a2', 'c']);
    expect(scheduler.pending).toBe(0);
  });

  it('delivers a time now or in the past at once', async () => {
    const now = clock.now();
    expect((await scheduler.schedule(timer('past', now - 3_600_000), orders)).dueAt).toBe(now - 3_600_000);
    await scheduler.schedule(timer('now', now), orders);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['past', 'now']);
    // Earlier than what was delivered: keyed at the last due time delivered, so still at once and once.
    const late = await scheduler.schedule(timer('later past', now - 7_200_000), orders);
    expect(late.dueAt).toBe(now);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['past', 'now', 'later past']);
    expect(clock.pendingTasks).toBe(0);
  });

  it('refuses a time beyond the maximum delay with ILLEGAL_DELIVERY_TIME naming the limit', async () => {
    const now = clock.now();
    await expect(scheduler.schedule(timer('x', now + DEFAULT_MAX_TIMER_DELAY_MS + 1), orders)).rejects.toThrow(
      'delivery time 2026-01-02T00:00:00.001Z is 86400001 ms from now; the limit is 86400000 ms (maxDelayMs)',
    );
    await expect(scheduler.schedule(timer('x', now + DEFAULT_MAX_TIMER_DELAY_MS + 1), orders)).rejects.toMatchObject({
      code: 'ILLEGAL_DELIVERY_TIME',
      details: { max: DEFAULT_MAX_TIMER_DELAY_MS },
    });
    expect((await scheduler.schedule(timer('edge', now + DEFAULT_MAX_TIMER_DELAY_MS), orders)).dueAt).toBe(
      now + DEFAULT_MAX_TIMER_DELAY_MS,
    );
    expect(scheduler.pending).toBe(1);
    expect(await store.queueRange(SystemTopic.TIMER, 0)).toMatchObject({ maxOffset: 1 });

    const short = new TimerScheduler({ store, clock, maxDelayMs: 60_000 });
    await expect(short.schedule(timer('x', now + 60_001), orders)).rejects.toMatchObject({
      code: 'ILLEGAL_DELIVERY_TIME',
    });
    expect(() => new TimerScheduler({ store, clock, maxDelayMs: 0 })).toThrow(/maxDelayMs/);
  });

  it('refuses a message without a delivery time and bad targets', async () => {
    await expect(scheduler.schedule(timer('x', undefined), orders)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(scheduler.schedule(timer('x', 1.5), orders)).rejects.toThrow(/deliveryTimestamp/);
    await expect(scheduler.schedule(timer('x', clock.now()), { topic: 'a/b', queueId: 0 })).rejects.toMatchObject({
      code: 'INVALID_NAME',
    });
    await expect(scheduler.schedule(timer('x', clock.now()), { topic: 'orders', queueId: -1 })).rejects.toThrow(
      EddyError,
    );
    expect(await store.listTopics()).toEqual([]);
  });

  it('holds 10,000 pending timers with one clock task and delivers each once, never early', async () => {
    const start = clock.now();
    let seed = 7;
    const dues = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const due = start + 1000 + (seed % 600) * 1000;
      dues.set(`m${i}`, due);
      await scheduler.schedule(timer(`m${i}`, due), { topic: 'orders', queueId: i % 4 });
    }
    expect(scheduler.pending).toBe(10_000);
    expect(clock.pendingTasks).toBe(1);
    await at(start + 300_000);
    const halfway = scheduler.pending;
    expect(halfway).toBeGreaterThan(0);
    expect(halfway).toBeLessThan(10_000);
    expect(clock.pendingTasks).toBe(1);
    await at(start + 601_000);
    expect(scheduler.pending).toBe(0);
    expect(clock.pendingTasks).toBe(0);
    const delivered = (await Promise.all([0, 1, 2, 3].map((queueId) => readAll(store, 'orders', queueId)))).flat();
    expect(delivered).toHaveLength(10_000);
    expect(new Set(delivered.map((message) => decoder.decode(message.body))).size).toBe(10_000);
    for (const message of delivered) {
      expect(message.storeTimestamp).toBeGreaterThanOrEqual(dues.get(decoder.decode(message.body)) as number);
      expect(message.deliveryTimestamp).toBe(dues.get(decoder.decode(message.body)));
    }
  });

  it('never delivers before the due time when the clock steps back', async () => {
    const start = clock.now();
    await scheduler.schedule(timer('a', start + 10_000), orders);
    await scheduler.schedule(timer('c', start + 20_000), orders);
    await at(start + 10_000);
    expect(await bodies(store, 'orders')).toEqual(['a']);
    clock.set(start - 50_000);
    // Due 10 s ahead by the stepped clock, but before what was delivered: it waits for that time.
    const b = await scheduler.schedule(timer('b', start - 40_000), orders);
    expect(b.dueAt).toBe(start + 10_000);
    await at(start + 9999);
    expect(await bodies(store, 'orders')).toEqual(['a']);
    await at(start + 10_000);
    expect(await bodies(store, 'orders')).toEqual(['a', 'b']);
    await at(start + 19_999);
    expect(await bodies(store, 'orders')).toEqual(['a', 'b']);
    await at(start + 20_000);
    expect(await bodies(store, 'orders')).toEqual(['a', 'b', 'c']);
  });

  it('stop cancels its clock task; a restart delivers what fell due meanwhile, once', async () => {
    const start = clock.now();
    await scheduler.schedule(timer('early', start + 1000), orders);
    await scheduler.schedule(timer('late', start + 60_000), orders);
    await at(start + 1000);
    await scheduler.stop();
    expect(clock.pendingTasks).toBe(0);
    await clock.advance(120_000);
    expect(await bodies(store, 'orders')).toEqual(['early']);

    scheduler = new TimerScheduler({ store, clock });
    await scheduler.start();
    expect(await bodies(store, 'orders')).toEqual(['early', 'late']);
    expect(scheduler.pending).toBe(0);
  });
});

describe('TimerScheduler start, failures and recovery', () => {
  let clock: FakeClock;
  let store: MessageStore;
  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
  });
  afterEach(async () => {
    await store.close();
  });
  const timer = (body: string, deliveryTimestamp: number): Message =>
    createMessage({ topic: 'x', body, deliveryTimestamp }, { clock });

  it('keeps timers scheduled before start and delivers them once started', async () => {
    const scheduler = new TimerScheduler({ store, clock });
    await scheduler.schedule(timer('due', clock.now() + 1000), orders);
    await scheduler.schedule(timer('later', clock.now() + 5000), orders);
    expect(scheduler.pending).toBe(2);
    expect(clock.pendingTasks).toBe(0);
    await clock.advance(2000);
    expect(await bodies(store, 'orders')).toEqual([]);
    await scheduler.start();
    expect(scheduler.started).toBe(true);
    expect(await bodies(store, 'orders')).toEqual(['due']);
    expect(clock.pendingTasks).toBe(1);
    await clock.advance(3000);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['due', 'later']);
    await scheduler.stop();
  });

  it('skips a timer without a real queue, with an error log, and goes on', async () => {
    await store.append(SystemTopic.TIMER, 0, [
      createMessage({ topic: SystemTopic.TIMER, body: 'stray', deliveryTimestamp: clock.now() }, { clock }),
    ]);
    const logger = recordingLogger();
    const scheduler = new TimerScheduler({ store, clock, logger });
    await scheduler.schedule(timer('good', clock.now()), orders);
    await scheduler.start();
    expect(await bodies(store, 'orders')).toEqual(['good']);
    expect(logger.errors).toEqual(['timer message has no valid REAL_TOPIC / REAL_QID; skipping it']);
    expect(scheduler.pending).toBe(0);
    await scheduler.stop();
  });

  it('finishes a relay that failed between its appends, then goes on: each timer once', async () => {
    let failures = 1;
    const flaky = override(store, {
      append: (topic: string, queueId: number, messages: readonly Message[]) => {
        if (topic === 'audit' && failures > 0) {
          failures--;
          return Promise.reject(new EddyError('DISK_FULL', 'disk is full'));
        }
        return store.append(topic, queueId, messages);
      },
    });
    const logger = recordingLogger();
    const scheduler = new TimerScheduler({ store: flaky, clock, logger });
    await scheduler.start();
    const due = clock.now() + 1000;
    for (let i = 0; i < 6; i++) {
      await scheduler.schedule(timer(`m${i}`, due), i % 2 === 0 ? orders : { topic: 'audit', queueId: 0 });
    }
    await clock.advance(1000);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['m0', 'm2', 'm4']);
    expect(await bodies(store, 'audit')).toEqual([]);
    expect(scheduler.pending).toBe(6);
    expect(logger.errors).toHaveLength(1);
    expect(clock.pendingTasks).toBe(1);
    await scheduler.schedule(timer('m6', clock.now()), orders);
    await scheduler.whenIdle();
    // Still backing off: nothing relayed before the failed relay is finished.
    expect(await bodies(store, 'orders')).toEqual(['m0', 'm2', 'm4']);
    await clock.advance(TIMER_FAILURE_BACKOFF_MS);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['m0', 'm2', 'm4', 'm6']);
    expect(await bodies(store, 'audit')).toEqual(['m1', 'm3', 'm5']);
    expect(scheduler.pending).toBe(0);
    expect(await store.metadata.scan('consume/journal/')).toEqual([]);
    await scheduler.stop();
  });

  it('gives the timers of a relay that never began back to the index', async () => {
    let failures = 1;
    const metadata: MetadataStore = override(store.metadata, {
      put: (key: string, value: Uint8Array) => {
        if (key.startsWith('consume/journal/') && failures > 0) {
          failures--;
          return Promise.reject(new EddyError('IO_ERROR', 'write failed'));
        }
        return store.metadata.put(key, value);
      },
    });
    const scheduler = new TimerScheduler({ store, clock, metadata, logger: recordingLogger() });
    await scheduler.start();
    await scheduler.schedule(timer('a', clock.now()), orders);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual([]);
    expect(scheduler.pending).toBe(1);
    await clock.advance(TIMER_FAILURE_BACKOFF_MS);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['a']);
    expect(scheduler.pending).toBe(0);
    await scheduler.stop();
  });

  it('delivers once after a crash between the appends and the progress write', async () => {
    const lost: MetadataStore = override(store.metadata, {
      batch: () => Promise.reject(new EddyError('IO_ERROR', 'crashed')),
    });
    const first = new TimerScheduler({ store, clock, metadata: lost });
    await first.start();
    await first.schedule(timer('once', clock.now()), orders);
    await first.schedule(timer('not yet', clock.now() + 60_000), orders);
    await first.whenIdle();
    await first.stop();
    expect(await bodies(store, 'orders')).toEqual(['once']);

    const second = new TimerScheduler({ store, clock });
    await second.start();
    expect(await bodies(store, 'orders')).toEqual(['once']);
    expect(second.pending).toBe(1);
    await clock.advance(60_000);
    await second.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['once', 'not yet']);
    await second.stop();
  });

  it('relays nothing past a timer whose append is still in flight, so a restart neither loses nor repeats', async () => {
    let release: (() => void) | undefined;
    const gated = override(store, {
      append: async (topic: string, queueId: number, messages: readonly Message[]) => {
        const result = await store.append(topic, queueId, messages);
        if (topic === SystemTopic.TIMER && decoder.decode(messages[0]?.body) === 'slow') {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return result;
      },
    });
    const scheduler = new TimerScheduler({ store: gated, clock });
    await scheduler.start();
    const now = clock.now();
    await scheduler.schedule(timer('first', now + 1000), orders);
    const slow = scheduler.schedule(timer('slow', now + 1000), orders);
    await clock.advance(0);
    // Appended (offset 1) but not acknowledged: 'fast' (offset 2, also due) must wait for it.
    await scheduler.schedule(timer('fast', now + 1000), orders);
    await clock.advance(1000);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual([]);
    release?.();
    expect((await slow).timerOffset).toBe(1);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders')).toEqual(['first', 'slow', 'fast']);
    await scheduler.stop();

    const restarted = new TimerScheduler({ store, clock });
    await restarted.start();
    expect(restarted.pending).toBe(0);
    expect(await bodies(store, 'orders')).toEqual(['first', 'slow', 'fast']);
    await restarted.stop();
  });

  it('refuses to guess when its progress record is unreadable', async () => {
    await store.metadata.put(TIMER_PROGRESS_KEY, new TextEncoder().encode('{"due":"x"}'));
    const scheduler = new TimerScheduler({ store, clock });
    await expect(scheduler.start()).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await expect(scheduler.schedule(timer('x', clock.now()), orders)).rejects.toMatchObject({
      code: 'CORRUPT_DATA',
    });
  });
});
