import { createMessage, type StoredMessage, SystemTopic } from '@eddy/message';
import { decodeJsonValue, type MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TIMER_PROGRESS_KEY } from '../src/timer-progress.js';
import { TimerScheduler } from '../src/timer-scheduler.js';

const decoder = new TextDecoder();

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let offset = 0; ; ) {
    const read = await store.read(topic, queueId, offset, { maxMessages: 500 });
    if (read.status !== 'ok' || read.messages.length === 0) return all;
    all.push(...read.messages);
    offset = read.nextOffset;
  }
}

async function delivered(store: MessageStore): Promise<string[]> {
  const all = [...(await readAll(store, 'orders', 0)), ...(await readAll(store, 'orders', 1))];
  return all.map((message) => decoder.decode(message.body)).sort();
}

describe('timer scheduler on the CommitLog engine', () => {
  let temp: TempDir;
  let clock: FakeClock;
  const open = (): Promise<MessageStore> => openCommitLogStore({ dir: temp.path, clock, segmentSize: 8 * 1024 * 1024 });

  beforeEach(async () => {
    temp = await makeTempDir('consume-timer');
    clock = new FakeClock();
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('keeps pending timers across a reopen and does not deliver the delivered ones again', async () => {
    const start = clock.now();
    const first = await open();
    const before = new TimerScheduler({ store: first, clock });
    await before.start();
    const names = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    // Due 1 s … 50 s ahead, scheduled in a shuffled order; one due 23 h ahead holds the low watermark.
    for (const i of names.map((_, i) => (i * 17) % 50)) {
      await before.schedule(
        createMessage({ topic: 'x', body: names[i] as string, deliveryTimestamp: start + (i + 1) * 1000 }, { clock }),
        {
          topic: 'orders',
          queueId: i % 2,
        },
      );
    }
    await before.schedule(
      createMessage({ topic: 'x', body: 'tomorrow', deliveryTimestamp: start + 23 * 3_600_000 }, { clock }),
      {
        topic: 'orders',
        queueId: 0,
      },
    );
    await clock.advance(25_000);
    await before.whenIdle();
    expect(await delivered(first)).toEqual(names.slice(0, 25));
    expect(before.pending).toBe(26);
    await before.stop();
    await first.close();

    // 10 s pass with the broker down: ten more fall due.
    await clock.advance(10_000);
    const second = await open();
    try {
      const progress = await second.metadata.get(TIMER_PROGRESS_KEY);
      expect(progress === undefined ? undefined : decodeJsonValue(progress)).toMatchObject({ due: start + 25_000 });
      const after = new TimerScheduler({ store: second, clock });
      await after.start();
      expect(await delivered(second)).toEqual(names.slice(0, 35));
      expect(after.pending).toBe(16);
      await clock.advance(15_000);
      await after.whenIdle();
      expect(await delivered(second)).toEqual(names);
      expect(after.pending).toBe(1);
      // Scheduled after the restart, due before the one left: keyed above what was delivered.
      await after.schedule(
        createMessage({ topic: 'x', body: 'new', deliveryTimestamp: clock.now() + 1000 }, { clock }),
        {
          topic: 'orders',
          queueId: 1,
        },
      );
      await clock.advance(1000);
      await after.whenIdle();
      expect(await delivered(second)).toEqual([...names, 'new'].sort());
      await after.stop();
    } finally {
      await second.close();
    }

    await clock.advance(23 * 3_600_000);
    const third = await open();
    try {
      const last = new TimerScheduler({ store: third, clock });
      await last.start();
      expect(await delivered(third)).toEqual([...names, 'new', 'tomorrow'].sort());
      expect(last.pending).toBe(0);
      const progress = await third.metadata.get(TIMER_PROGRESS_KEY);
      const range = await third.queueRange(SystemTopic.TIMER, 0);
      // Everything delivered: the next start scans nothing.
      expect(progress === undefined ? undefined : decodeJsonValue(progress)).toMatchObject({ low: range?.maxOffset });
      await last.stop();
    } finally {
      await third.close();
    }
  });
});
