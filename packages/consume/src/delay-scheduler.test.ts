import type { Logger } from '@eddy/message';
import { createMessage, EddyError, type Message, SystemProperty, SystemTopic } from '@eddy/message';
import { decodeJsonValue, type MessageStore, type MetadataStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DELAY_LEVELS,
  DelayLevelScheduler,
  parseDelayLevels,
  SCHEDULE_FAILURE_BACKOFF_MS,
} from './delay-scheduler.js';

const decoder = new TextDecoder();

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<Message[]> {
  const read = await store.read(topic, queueId, 0, { maxMessages: 1000 });
  return read.status === 'ok' ? read.messages : [];
}

async function bodies(store: MessageStore, topic: string, queueId: number): Promise<string[]> {
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

describe('parseDelayLevels', () => {
  it('reads RocketMQ’s default table', () => {
    expect(parseDelayLevels(DEFAULT_DELAY_LEVELS)).toEqual([
      1000, 5000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000,
      600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
    ]);
    expect(parseDelayLevels('  2s\t1d ')).toEqual([2000, 86_400_000]);
  });

  it.each(['', '   ', '5x', '10', '0s', '-1s', '1.5s', '1s 5'])('refuses %j', (levels) => {
    expect(() => parseDelayLevels(levels)).toThrow(EddyError);
  });

  it('makes a bad table an INVALID_CONFIG of the scheduler', async () => {
    const store = await openMemoryStore();
    expect(() => new DelayLevelScheduler({ store, clock: new FakeClock(), levels: '1s 2q' })).toThrow(
      /delay level 2 is '2q'/,
    );
  });
});

describe('DelayLevelScheduler', () => {
  let clock: FakeClock;
  let store: MessageStore;
  let scheduler: DelayLevelScheduler;
  let appended: string[];
  const message = (body: string, extra: Partial<Message> = {}): Message => ({
    ...createMessage({ topic: 'ignored', body, properties: { region: 'eu' }, keys: ['k'], tag: 'T' }, { clock }),
    ...extra,
  });

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
    appended = [];
    scheduler = new DelayLevelScheduler({
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

  it('stores a scheduled message in SCHEDULE_TOPIC_XXXX queue level-1 with its real queue and due time', async () => {
    const start = clock.now();
    const result = await scheduler.schedule(message('a'), 3, { topic: 'orders', queueId: 2 });
    expect(result).toEqual({ level: 3, dueAt: start + 10_000, scheduleOffset: 0 });
    const [scheduled] = await readAll(store, SystemTopic.SCHEDULE, 2);
    expect(scheduled?.deliveryTimestamp).toBe(start + 10_000);
    expect(scheduled?.properties).toEqual({
      region: 'eu',
      [SystemProperty.REAL_TOPIC]: 'orders',
      [SystemProperty.REAL_QUEUE_ID]: '2',
      [SystemProperty.DELAY_TIME_LEVEL]: '3',
    });
  });

  it('delivers each level in due order, no earlier than due, without the bookkeeping', async () => {
    const start = clock.now();
    const first = message('l2-a');
    await scheduler.schedule(first, 2, { topic: 'orders', queueId: 0 }); // due start + 5 s
    await scheduler.schedule(message('l1-a'), 1, { topic: 'orders', queueId: 0 }); // start + 1 s
    await clock.advance(500);
    await scheduler.schedule(message('l2-b'), 2, { topic: 'orders', queueId: 1 }); // start + 5.5 s
    await scheduler.schedule(message('l1-b'), 1, { topic: 'orders', queueId: 0 }); // start + 1.5 s
    await scheduler.whenIdle();
    // Four messages waiting on two levels: one clock task per level.
    expect(scheduler.armedTimers).toBe(2);
    expect(clock.pendingTasks).toBe(2);

    const expectAt = async (elapsed: number, queue0: string[], queue1: string[]): Promise<void> => {
      await clock.advance(start + elapsed - clock.now());
      await scheduler.whenIdle();
      expect([await bodies(store, 'orders', 0), await bodies(store, 'orders', 1)]).toEqual([queue0, queue1]);
    };
    await expectAt(999, [], []);
    await expectAt(1000, ['l1-a'], []);
    await expectAt(1499, ['l1-a'], []);
    await expectAt(1500, ['l1-a', 'l1-b'], []);
    expect(clock.pendingTasks).toBe(1);
    await expectAt(4999, ['l1-a', 'l1-b'], []);
    await expectAt(5000, ['l1-a', 'l1-b', 'l2-a'], []);
    await expectAt(5499, ['l1-a', 'l1-b', 'l2-a'], []);
    await expectAt(5500, ['l1-a', 'l1-b', 'l2-a'], ['l2-b']);

    const delivered = (await readAll(store, 'orders', 0))[2] as Message & { storeTimestamp: number };
    expect(delivered.storeTimestamp).toBe(start + 5000);
    expect(delivered.messageId).toBe(first.messageId);
    // The bookkeeping is gone; the delivery id is what makes the relay exactly once across crashes.
    expect(delivered.properties).toEqual({ region: 'eu', [SystemProperty.DELIVERY_ID]: 'delay:2:0' });
    expect(delivered.keys).toEqual(['k']);
    expect(delivered.tag).toBe('T');
    expect(delivered.deliveryTimestamp).toBe(start + 5000);
    expect(appended).toEqual(['orders/0', 'orders/0', 'orders/0', 'orders/1']);
    expect(scheduler.armedTimers).toBe(0);
    expect(clock.pendingTasks).toBe(0);
    expect(scheduler.progress().slice(0, 3)).toEqual([2, 2, 0]);
    const progress = await store.metadata.get('consume/schedule/2');
    expect(progress === undefined ? undefined : decodeJsonValue(progress)).toEqual({ offset: 2 });
  });

  it('keeps one timer per level however many messages wait', async () => {
    for (let i = 0; i < 50; i++) {
      await scheduler.schedule(message(`m${i}`), 1 + (i % 3), { topic: 'orders', queueId: 0 });
      await clock.advance(10);
    }
    await scheduler.whenIdle();
    expect(clock.pendingTasks).toBe(3);
    await clock.advance(10_000);
    await scheduler.whenIdle();
    expect(await readAll(store, 'orders', 0)).toHaveLength(50);
    expect(clock.pendingTasks).toBe(0);
  });

  it('caps a level above the highest and refuses bad levels and targets', async () => {
    expect((await scheduler.schedule(message('x'), 99, { topic: 'orders', queueId: 0 })).level).toBe(18);
    expect(scheduler.delayOf(18)).toBe(7_200_000);
    await expect(scheduler.schedule(message('x'), 0, { topic: 'orders', queueId: 0 })).rejects.toThrow(/integer ≥ 1/);
    await expect(scheduler.schedule(message('x'), 1.5, { topic: 'orders', queueId: 0 })).rejects.toThrow(EddyError);
    await expect(scheduler.schedule(message('x'), 1, { topic: 'a/b', queueId: 0 })).rejects.toMatchObject({
      code: 'INVALID_NAME',
    });
    await expect(scheduler.schedule(message('x'), 1, { topic: 'orders', queueId: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // System targets are the broker's own and allowed.
    await scheduler.schedule(message('r'), 1, { topic: '%RETRY%billing', queueId: 0 });
    await clock.advance(1000);
    await scheduler.whenIdle();
    expect(await bodies(store, '%RETRY%billing', 0)).toEqual(['r']);
  });
});

describe('DelayLevelScheduler start, stop and failures', () => {
  let clock: FakeClock;
  let store: MessageStore;
  beforeEach(async () => {
    clock = new FakeClock();
    store = await openMemoryStore({ clock });
  });
  afterEach(async () => {
    await store.close();
  });

  it('keeps what is scheduled before start, and stop cancels its timers', async () => {
    const scheduler = new DelayLevelScheduler({ store, clock });
    await scheduler.schedule(createMessage({ topic: 'x', body: 'early' }, { clock }), 1, {
      topic: 'orders',
      queueId: 0,
    });
    await scheduler.schedule(createMessage({ topic: 'x', body: 'late' }, { clock }), 4, {
      topic: 'orders',
      queueId: 0,
    });
    expect(clock.pendingTasks).toBe(0);
    await clock.advance(5000);
    expect(await bodies(store, 'orders', 0)).toEqual([]);
    await scheduler.start();
    expect(scheduler.started).toBe(true);
    expect(await bodies(store, 'orders', 0)).toEqual(['early']);
    expect(clock.pendingTasks).toBe(1);
    await scheduler.stop();
    expect(clock.pendingTasks).toBe(0);
    await clock.advance(60_000);
    expect(await bodies(store, 'orders', 0)).toEqual(['early']);
  });

  it('skips a scheduled message without a real queue, with an error log', async () => {
    const logger = recordingLogger();
    const scheduler = new DelayLevelScheduler({ store, clock, logger });
    await store.append(SystemTopic.SCHEDULE, 0, [
      createMessage({ topic: SystemTopic.SCHEDULE, body: 'stray', deliveryTimestamp: clock.now() }, { clock }),
      createMessage(
        {
          topic: SystemTopic.SCHEDULE,
          body: 'bad queue',
          deliveryTimestamp: clock.now(),
          properties: { [SystemProperty.REAL_TOPIC]: 'orders', [SystemProperty.REAL_QUEUE_ID]: 'x' },
        },
        { clock },
      ),
    ]);
    await scheduler.schedule(createMessage({ topic: 'x', body: 'good' }, { clock }), 1, {
      topic: 'orders',
      queueId: 0,
    });
    await scheduler.start();
    await clock.advance(1000);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders', 0)).toEqual(['good']);
    expect(logger.errors).toHaveLength(2);
    expect(scheduler.progress()[0]).toBe(3);
    await scheduler.stop();
  });

  it('tries a failed delivery again after a back-off, without skipping it', async () => {
    let failures = 1;
    const flaky = override(store, {
      append: (topic: string, queueId: number, messages: readonly Message[]) => {
        if (topic === 'orders' && failures > 0) {
          failures--;
          return Promise.reject(new EddyError('DISK_FULL', 'disk is full'));
        }
        return store.append(topic, queueId, messages);
      },
    });
    const logger = recordingLogger();
    const scheduler = new DelayLevelScheduler({ store: flaky, clock, logger });
    await scheduler.start();
    await scheduler.schedule(createMessage({ topic: 'x', body: 'm' }, { clock }), 1, { topic: 'orders', queueId: 0 });
    await clock.advance(1000);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders', 0)).toEqual([]);
    expect(logger.errors).toHaveLength(1);
    expect(clock.pendingTasks).toBe(1);
    await clock.advance(SCHEDULE_FAILURE_BACKOFF_MS);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders', 0)).toEqual(['m']);
    await scheduler.stop();
  });

  it('delivers once after a crash between the appends and the progress write', async () => {
    // The closing metadata batch fails as a crash right after the appends would leave it: not written.
    const lost: MetadataStore = override(store.metadata, {
      batch: () => Promise.reject(new EddyError('IO_ERROR', 'crashed')),
    });
    const first = new DelayLevelScheduler({ store, clock, metadata: lost });
    await first.start();
    await first.schedule(createMessage({ topic: 'x', body: 'once' }, { clock }), 1, { topic: 'orders', queueId: 0 });
    await first.schedule(createMessage({ topic: 'x', body: 'twice?' }, { clock }), 1, { topic: 'audit', queueId: 3 });
    await clock.advance(1000);
    await first.whenIdle();
    await first.stop();
    expect(await bodies(store, 'orders', 0)).toEqual(['once']);
    expect(await bodies(store, 'audit', 3)).toEqual(['twice?']);
    expect(first.progress()[0]).toBe(0);

    const appended: string[] = [];
    const second = new DelayLevelScheduler({
      store,
      clock,
      onAppended: (topic, queueId) => appended.push(`${topic}/${queueId}`),
    });
    await second.start();
    expect(await bodies(store, 'orders', 0)).toEqual(['once']);
    expect(await bodies(store, 'audit', 3)).toEqual(['twice?']);
    expect(second.progress()[0]).toBe(2);
    expect(appended).toEqual([]);
    await second.stop();
  });

  it('finishes a relay that failed between its appends in-process, then goes on, each message once', async () => {
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
    const appended: string[] = [];
    const scheduler = new DelayLevelScheduler({
      store: flaky,
      clock,
      logger: recordingLogger(),
      onAppended: (topic, queueId) => appended.push(`${topic}/${queueId}`),
    });
    await scheduler.start();
    const target = (i: number) => (i % 2 === 0 ? { topic: 'orders', queueId: 0 } : { topic: 'audit', queueId: 0 });
    for (let i = 0; i < 6; i++) {
      await scheduler.schedule(createMessage({ topic: 'x', body: `m${i}` }, { clock }), 1, target(i));
    }
    await clock.advance(1000);
    await scheduler.whenIdle();
    // The relay reached orders/0 and failed on audit/0: half done, nothing more until it is finished.
    expect(await bodies(store, 'orders', 0)).toEqual(['m0', 'm2', 'm4']);
    expect(await bodies(store, 'audit', 0)).toEqual([]);
    expect(scheduler.progress()[0]).toBe(0);
    await scheduler.schedule(createMessage({ topic: 'x', body: 'm6' }, { clock }), 1, target(6));
    await clock.advance(SCHEDULE_FAILURE_BACKOFF_MS);
    await scheduler.whenIdle();
    expect(await bodies(store, 'orders', 0)).toEqual(['m0', 'm2', 'm4', 'm6']);
    expect(await bodies(store, 'audit', 0)).toEqual(['m1', 'm3', 'm5']);
    expect(scheduler.progress()[0]).toBe(7);
    // The failed relay wakes both queues (some of it landed), its recovery the queue it finished.
    expect(appended).toEqual(['orders/0', 'audit/0', 'audit/0', 'orders/0']);
    expect(await store.metadata.scan('consume/journal/')).toEqual([]);
    await scheduler.stop();
  });

  it('a journal record it cannot read stops the start instead of guessing', async () => {
    await store.metadata.put('consume/journal/delay/x', new TextEncoder().encode('nonsense'));
    const scheduler = new DelayLevelScheduler({ store, clock });
    await expect(scheduler.start()).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    expect(scheduler.started).toBe(false);
  });

  it('uses a configured table', async () => {
    const scheduler = new DelayLevelScheduler({ store, clock, levels: '3s 1h' });
    expect(scheduler.levelCount).toBe(2);
    await scheduler.start();
    const result = await scheduler.schedule(createMessage({ topic: 'x', body: 'm' }, { clock }), 5, {
      topic: 'orders',
      queueId: 0,
    });
    expect(result.level).toBe(2);
    expect(result.dueAt).toBe(clock.now() + 3_600_000);
    expect(() => scheduler.delayOf(3)).toThrow(/1…2/);
    await scheduler.stop();
  });
});
