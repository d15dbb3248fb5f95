import { createMessage } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from '../src/consumer-offset-store.js';
import { LongPollRegistry } from '../src/long-poll.js';
import { type PoppedMessage, type PopRequest, PopService } from '../src/pop-service.js';

const TOPIC = 'orders';

interface Broker {
  store: MessageStore;
  offsets: ConsumerOffsetStore;
  pops: PopService;
  pop(overrides?: Partial<PopRequest>): Promise<PoppedMessage[]>;
  close(): Promise<void>;
}

const bodyOf = (popped: PoppedMessage): string => Buffer.from(popped.message.body).toString();

describe('pop state survives a broker restart (CommitLog engine)', () => {
  let temp: TempDir;
  let clock: FakeClock;
  beforeEach(async () => {
    temp = await makeTempDir('consume-pop');
    clock = new FakeClock();
  });
  afterEach(async () => {
    await temp.remove();
  });

  async function start(): Promise<Broker> {
    const store = await openCommitLogStore({ dir: temp.path, clock, segmentSize: 8 * 1024 * 1024 });
    const offsets = new ConsumerOffsetStore(store.metadata);
    const pops = new PopService({
      store,
      offsets,
      longPoll: new LongPollRegistry({ clock }),
      clock,
      consumeFromWhere: 'FIRST_OFFSET',
    });
    return {
      store,
      offsets,
      pops,
      pop: async (overrides = {}) =>
        (
          await pops.pop({
            group: 'g',
            topic: TOPIC,
            clientId: 'c',
            maxMessages: 100,
            invisibleDurationMs: 30_000,
            ...overrides,
          })
        ).messages,
      async close() {
        pops.close();
        await store.close();
      },
    };
  }

  it('never redelivers acked messages, redelivers in-flight ones at their deadline, loses nothing', async () => {
    const first = await start();
    await first.pops.recover();
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await first.store.append(
      TOPIC,
      0,
      bodies.map((body) => createMessage({ topic: TOPIC, body })),
    );
    await first.store.append(TOPIC, 1, [createMessage({ topic: TOPIC, body: 'q1' })]);
    const popped = await first.pop({ queueIds: [0] });
    expect(popped.map(bodyOf)).toEqual(bodies);
    const handle = (index: number): string => (popped[index] as PoppedMessage).receiptHandle;
    // Acked in and out of order: committed offset 2, with 5 and 7 acked above it.
    for (const index of [0, 1, 5, 7]) expect((await first.pops.ack('g', handle(index))).status).toBe('ok');
    // m3 longer, m4 shorter; m6 first comes back once (attempt 2), then is popped again below.
    const m3 = await first.pops.changeInvisibleDuration('g', handle(3), 120_000);
    const m4 = await first.pops.changeInvisibleDuration('g', handle(4), 10_000);
    expect(await first.offsets.committed('g', TOPIC, 0)).toBe(2);
    await first.close();

    const second = await start();
    expect(await second.pops.recover()).toEqual({ queues: 1, inFlight: 6, acked: 2 });
    expect(await second.pops.queueState('g', TOPIC, 0)).toEqual({
      committedOffset: 2,
      inFlight: 6,
      awaitingRedelivery: 0,
      heldBack: 0,
      ackedAboveCommit: 2,
    });
    // Queue 1 was never popped: its message is new.
    expect((await second.pop()).map(bodyOf)).toEqual(['q1']);
    expect(await second.pop()).toEqual([]);
    // A handle from before the restart still acks (m2).
    expect((await second.pops.ack('g', handle(2))).status).toBe('ok');
    expect(await second.offsets.committed('g', TOPIC, 0)).toBe(3);

    await clock.advance(10_000);
    const early = await second.pop({ queueIds: [0] });
    expect(early.map((m) => [bodyOf(m), m.deliveryAttempt])).toEqual([['m4', 2]]);
    expect((await second.pops.ack('g', m4.receiptHandle)).status).toBe('expired');

    await clock.advance(20_000);
    const due = await second.pop({ queueIds: [0] });
    expect(due.map((m) => [bodyOf(m), m.deliveryAttempt])).toEqual([
      ['m6', 2],
      ['m8', 2],
      ['m9', 2],
    ]);
    await clock.advance(90_000);
    const late = await second.pop({ queueIds: [0], maxMessages: 1 });
    // m3's extended deadline passed; m4 (popped at 10 s for 30 s) is due as well and waits its turn.
    expect(late.map((m) => [bodyOf(m), m.deliveryAttempt])).toEqual([['m3', 2]]);
    const rest = await second.pop({ queueIds: [0] });
    expect(rest.map((m) => [bodyOf(m), m.deliveryAttempt])).toEqual([
      ['m4', 3],
      ['m6', 3],
      ['m8', 3],
      ['m9', 3],
    ]);
    expect(m3.status).toBe('ok');

    // Ack some before a second restart; the remaining one must still come back.
    for (const m of [...late, ...rest.slice(0, 3)])
      expect((await second.pops.ack('g', m.receiptHandle)).status).toBe('ok');
    expect(await second.offsets.committed('g', TOPIC, 0)).toBe(9);
    await second.close();

    const third = await start();
    expect(await third.pops.recover()).toEqual({ queues: 2, inFlight: 2, acked: 0 });
    await clock.advance(30_000);
    const last = await third.pop();
    expect(last.map((m) => [bodyOf(m), m.deliveryAttempt]).sort()).toEqual([
      ['m9', 4],
      ['q1', 2],
    ]);
    for (const m of last) expect((await third.pops.ack('g', m.receiptHandle)).status).toBe('ok');
    expect(await third.offsets.committed('g', TOPIC, 0)).toBe(10);
    expect(await third.offsets.committed('g', TOPIC, 1)).toBe(1);
    expect(await third.store.metadata.scan('consume/pop/')).toEqual([]);
    await clock.advance(10 * 60_000);
    expect(await third.pop()).toEqual([]);
    await third.close();
  });

  it('keeps FIFO order across a restart: a held-back message waits for the in-flight one of its group', async () => {
    const first = await start();
    await first.pops.recover();
    await first.store.append(TOPIC, 0, [
      createMessage({ topic: TOPIC, body: 'A1', messageGroup: 'A' }),
      createMessage({ topic: TOPIC, body: 'A2', messageGroup: 'A' }),
      createMessage({ topic: TOPIC, body: 'B1', messageGroup: 'B' }),
    ]);
    const popped = await first.pop({ fifo: true });
    expect(popped.map(bodyOf)).toEqual(['A1', 'B1']);
    await first.close();

    const second = await start();
    await second.pops.recover();
    expect(await second.pop({ fifo: true })).toEqual([]);
    expect((await second.pops.ack('g', (popped[0] as PoppedMessage).receiptHandle)).status).toBe('ok');
    expect((await second.pop({ fifo: true })).map(bodyOf)).toEqual(['A2']);
    await second.close();
  });
});
