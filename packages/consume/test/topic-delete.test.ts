import { createMessage } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from '../src/consumer-offset-store.js';
import { LongPollRegistry } from '../src/long-poll.js';
import { PopService } from '../src/pop-service.js';
import { POP_STATE_PREFIX } from '../src/pop-state.js';

async function setUp() {
  const clock = new FakeClock();
  const store = await openMemoryStore({ clock });
  const offsets = new ConsumerOffsetStore(store.metadata);
  const pops = new PopService({
    store,
    offsets,
    longPoll: new LongPollRegistry({ clock }),
    clock,
    consumeFromWhere: 'FIRST_OFFSET',
  });
  for (const topic of ['doomed', 'kept']) {
    for (let index = 0; index < 3; index++) {
      await store.append(topic, 0, [createMessage({ topic, body: `${topic}-${index}` }, { clock })]);
    }
  }
  return { clock, store, offsets, pops };
}

describe('deleting a topic', () => {
  it('ConsumerOffsetStore.deleteTopic removes every group and member offset of the topic, and no other', async () => {
    const { store, offsets } = await setUp();
    await offsets.commit('g1', 'doomed', 0, 10);
    await offsets.commit('g1', 'doomed', 1, 4);
    await offsets.commit('g2', 'doomed', 0, 7);
    await offsets.commit('g1', 'kept', 0, 3);
    await offsets.commit('g3', 'doomed', 0, 5, { clientId: 'a/b' });
    await offsets.commit('g3', 'kept', 0, 6, { clientId: 'a/b' });
    // A topic whose name extends the deleted one's is another topic.
    await offsets.commit('g1', 'doomed2', 0, 9);

    expect(await offsets.deleteTopic('doomed')).toBe(4);

    expect(await offsets.committed('g1', 'doomed', 0)).toBeUndefined();
    expect(await offsets.committed('g2', 'doomed', 0)).toBeUndefined();
    expect(await offsets.committed('g3', 'doomed', 0, { clientId: 'a/b' })).toBeUndefined();
    expect(await offsets.committed('g1', 'kept', 0)).toBe(3);
    expect(await offsets.committed('g3', 'kept', 0, { clientId: 'a/b' })).toBe(6);
    expect(await offsets.committed('g1', 'doomed2', 0)).toBe(9);
    // Gone durably, not only from the cache; and a lower commit is accepted again.
    expect(await new ConsumerOffsetStore(store.metadata).committed('g1', 'doomed', 0)).toBeUndefined();
    expect(await offsets.commit('g1', 'doomed', 0, 0)).toBe(true);
    await expect(offsets.deleteTopic('a/b')).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('PopService.deleteTopic removes in-flight and acked records and in-memory state of the topic only', async () => {
    const { store, offsets, pops } = await setUp();
    const request = { group: 'g', clientId: 'c', maxMessages: 2, invisibleDurationMs: 60_000 } as const;
    const doomed = await pops.pop({ ...request, topic: 'doomed' });
    expect(doomed.messages).toHaveLength(2);
    // Ack the second: an acked record above the committed offset; the first stays in flight.
    expect(await pops.ack('g', (doomed.messages[1] as { receiptHandle: string }).receiptHandle)).toEqual({
      status: 'ok',
    });
    const kept = await pops.pop({ ...request, topic: 'kept' });
    expect(kept.messages).toHaveLength(2);
    expect(await pops.queueState('g', 'doomed', 0)).toMatchObject({ inFlight: 1, ackedAboveCommit: 1 });

    expect(await pops.deleteTopic('doomed')).toBe(2);
    await offsets.deleteTopic('doomed');

    const records = (await store.metadata.scan(POP_STATE_PREFIX)).map(({ key }) => key);
    expect(records.some((key) => key.includes('/doomed/'))).toBe(false);
    expect(records.filter((key) => key.includes('/kept/'))).toHaveLength(2);
    // The old delivery's handle is no longer valid.
    expect(await pops.ack('g', (doomed.messages[0] as { receiptHandle: string }).receiptHandle)).toEqual({
      status: 'invalid-handle',
    });
    expect(await pops.queueState('g', 'doomed', 0)).toEqual({
      committedOffset: undefined,
      inFlight: 0,
      awaitingRedelivery: 0,
      heldBack: 0,
      ackedAboveCommit: 0,
    });
    expect(await pops.queueState('g', 'kept', 0)).toMatchObject({ committedOffset: 0, inFlight: 2 });

    // The topic's messages come again from the start (as for a re-created topic).
    await store.deleteTopic('doomed');
    await store.append('doomed', 0, [createMessage({ topic: 'doomed', body: 'new-0' })]);
    const again = await pops.pop({ ...request, topic: 'doomed' });
    expect(again.messages.map(({ message }) => Buffer.from(message.body).toString())).toEqual(['new-0']);
    pops.close();
  });
});
