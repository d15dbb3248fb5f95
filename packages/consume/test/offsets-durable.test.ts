import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from '../src/consumer-offset-store.js';

// What a restart must keep: group offsets, a forced reset, a batch and a member's broadcasting offsets.
async function writeOffsets(offsets: ConsumerOffsetStore): Promise<void> {
  await offsets.commit('g', 'orders', 0, 100);
  await offsets.commit('g', 'orders', 0, 40, { force: true });
  await offsets.commitMany('g', [
    { topic: 'orders', queueId: 1, offset: 7 },
    { topic: 'payments', queueId: 3, offset: 9 },
  ]);
  await offsets.commit('b', 'orders', 0, 5, { clientId: 'client-1' });
  await offsets.commit('gone', 'orders', 0, 1);
  await offsets.deleteGroup('gone');
}

async function expectOffsets(offsets: ConsumerOffsetStore): Promise<void> {
  expect(await offsets.forGroup('g')).toEqual([
    { topic: 'orders', queueId: 0, offset: 40, clientId: undefined },
    { topic: 'orders', queueId: 1, offset: 7, clientId: undefined },
    { topic: 'payments', queueId: 3, offset: 9, clientId: undefined },
  ]);
  expect(await offsets.committed('b', 'orders', 0, { clientId: 'client-1' })).toBe(5);
  expect(await offsets.committed('b', 'orders', 0)).toBeUndefined();
  expect(await offsets.committed('gone', 'orders', 0)).toBeUndefined();
  // Still never backwards after the restart.
  expect(await offsets.commit('g', 'orders', 0, 39)).toBe(false);
}

describe('committed offsets survive a restart', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('consume-offsets');
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('on the CommitLog engine, across close and reopen', async () => {
    const clock = new FakeClock();
    const open = (): Promise<MessageStore> =>
      openCommitLogStore({ dir: temp.path, clock, segmentSize: 8 * 1024 * 1024 });
    const first = await open();
    await writeOffsets(new ConsumerOffsetStore(first.metadata));
    await first.close();

    const second = await open();
    try {
      await expectOffsets(new ConsumerOffsetStore(second.metadata));
    } finally {
      await second.close();
    }
  });

  it('on the memory engine, for a new offset store over the same metadata', async () => {
    const store = await openMemoryStore();
    await writeOffsets(new ConsumerOffsetStore(store.metadata));
    await expectOffsets(new ConsumerOffsetStore(store.metadata));
    await store.close();
  });
});
