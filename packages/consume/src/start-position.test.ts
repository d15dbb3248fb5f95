import { createMessage, EddyError } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from './consumer-offset-store.js';
import { OffsetAdmin, resolveStartOffset } from './start-position.js';

const T0 = Date.UTC(2026, 0, 1);

// Queue t/0 holds offsets 2…9 (0 and 1 deleted), stored at T0 + 1000 × offset; t/1 holds 0…2.
async function fixture(): Promise<{ store: MessageStore; clock: FakeClock }> {
  const clock = new FakeClock(T0);
  const store = await openMemoryStore({ clock });
  for (let offset = 0; offset < 10; offset++) {
    clock.set(T0 + 1000 * offset);
    await store.append('t', 0, [createMessage({ topic: 't', body: `m${offset}` })]);
  }
  await store.deleteRecordsBefore('t', 0, 2);
  for (let offset = 0; offset < 3; offset++) await store.append('t', 1, [createMessage({ topic: 't', body: 'x' })]);
  return { store, clock };
}

describe('resolveStartOffset', () => {
  let store: MessageStore;
  beforeEach(async () => {
    ({ store } = await fixture());
  });

  it('starts at maxOffset by default and for LAST_OFFSET', async () => {
    expect(await resolveStartOffset(store, 't', 0)).toBe(10);
    expect(await resolveStartOffset(store, 't', 0, 'LAST_OFFSET')).toBe(10);
  });

  it('starts at minOffset for FIRST_OFFSET', async () => {
    expect(await resolveStartOffset(store, 't', 0, 'FIRST_OFFSET')).toBe(2);
  });

  it('starts at the first message stored at or after a timestamp', async () => {
    expect(await resolveStartOffset(store, 't', 0, { timestamp: T0 + 4500 })).toBe(5);
    expect(await resolveStartOffset(store, 't', 0, { timestamp: T0 + 5000 })).toBe(5);
    expect(await resolveStartOffset(store, 't', 0, { timestamp: 0 })).toBe(2);
  });

  it('starts at maxOffset when every message is older than the timestamp', async () => {
    expect(await resolveStartOffset(store, 't', 0, { timestamp: T0 + 60_000 })).toBe(10);
  });

  it('starts an unknown queue at 0', async () => {
    expect(await resolveStartOffset(store, 't', 7, 'LAST_OFFSET')).toBe(0);
    expect(await resolveStartOffset(store, 'nope', 0, { timestamp: 1 })).toBe(0);
  });
});

describe('OffsetAdmin', () => {
  let store: MessageStore;
  let offsets: ConsumerOffsetStore;
  let admin: OffsetAdmin;
  beforeEach(async () => {
    ({ store } = await fixture());
    offsets = new ConsumerOffsetStore(store.metadata);
    admin = new OffsetAdmin({ store, offsets });
  });

  it('resets to an offset, backwards too, clamped to the queue range', async () => {
    await offsets.commit('g', 't', 0, 9);
    expect(await admin.resetToOffset('g', 't', 0, 4)).toBe(4);
    expect(await offsets.committed('g', 't', 0)).toBe(4);
    expect(await admin.resetToOffset('g', 't', 0, 0)).toBe(2);
    expect(await admin.resetToOffset('g', 't', 0, 1_000)).toBe(10);
    expect(await admin.resetToOffset('g', 't', 9, 5)).toBe(0);
    const error = await admin.resetToOffset('g', 't', 0, -1).catch((caught: unknown) => caught);
    expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('resets every queue of a topic to a timestamp', async () => {
    await offsets.commit('g', 't', 0, 10);
    await offsets.commit('g', 't', 1, 3);
    expect(await admin.resetToTimestamp('g', 't', T0 + 3000)).toEqual([
      { queueId: 0, offset: 3 },
      // Queue 1 was written at T0 + 9000, after the timestamp: all of it.
      { queueId: 1, offset: 0 },
    ]);
    expect(await offsets.committed('g', 't', 0)).toBe(3);
    expect(await offsets.committed('g', 't', 1)).toBe(0);
    expect(await admin.resetToTimestamp('g', 't', T0 + 60_000)).toEqual([
      { queueId: 0, offset: 10 },
      { queueId: 1, offset: 3 },
    ]);
    expect(await admin.resetToTimestamp('g', 'nope', T0)).toEqual([]);
  });

  it('resets a broadcasting member on its own', async () => {
    await admin.resetToOffset('g', 't', 0, 5, { clientId: 'c1' });
    expect(await offsets.committed('g', 't', 0, { clientId: 'c1' })).toBe(5);
    expect(await offsets.committed('g', 't', 0)).toBeUndefined();
  });

  it('reports lag = maxOffset − committed per queue', async () => {
    await offsets.commit('g', 't', 0, 6);
    await offsets.commit('g', 't', 1, 3);
    expect(await admin.lag('g', 't')).toEqual([
      { queueId: 0, committed: 6, maxOffset: 10, lag: 4 },
      { queueId: 1, committed: 3, maxOffset: 3, lag: 0 },
    ]);
  });

  it('counts lag from the start position where the group never committed', async () => {
    await offsets.commit('g', 't', 1, 1);
    expect(await admin.lag('g', 't')).toEqual([
      { queueId: 0, committed: undefined, maxOffset: 10, lag: 0 },
      { queueId: 1, committed: 1, maxOffset: 3, lag: 2 },
    ]);
    expect((await admin.lag('g', 't', 'FIRST_OFFSET'))[0]).toEqual({
      queueId: 0,
      committed: undefined,
      maxOffset: 10,
      lag: 8,
    });
    expect((await admin.lag('g', 't', { timestamp: T0 + 7000 }))[0]?.lag).toBe(3);
    expect(await admin.lag('g', 'nope')).toEqual([]);
  });
});
