import { createMessage, EddyError, type Message } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from './consumer-offset-store.js';
import { createMessageFilter } from './filter/message-filter.js';
import { LongPollRegistry } from './long-poll.js';
import {
  type PoppedMessage,
  type PopRequest,
  type PopResult,
  PopService,
  type PopServiceOptions,
} from './pop-service.js';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.js';

const TOPIC = 'orders';
const INVISIBLE = 30_000;

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function body(popped: PoppedMessage): string {
  return Buffer.from(popped.message.body).toString();
}

function bodies(result: PopResult): string[] {
  return result.messages.map(body);
}

function track(promise: Promise<PopResult>): { result: PopResult | undefined } {
  const state: { result: PopResult | undefined } = { result: undefined };
  void promise.then((result) => {
    state.result = result;
  });
  return state;
}

interface Fixture {
  clock: FakeClock;
  store: MessageStore;
  offsets: ConsumerOffsetStore;
  longPoll: LongPollRegistry;
  pops: PopService;
  append(queueId: number, ...messages: (string | Partial<Parameters<typeof createMessage>[0]>)[]): Promise<void>;
  pop(overrides?: Partial<PopRequest>): Promise<PopResult>;
}

async function fixture(options: Partial<PopServiceOptions> = {}): Promise<Fixture> {
  const clock = new FakeClock();
  const store = await openMemoryStore({ clock });
  const offsets = new ConsumerOffsetStore(store.metadata);
  const longPoll = new LongPollRegistry({ clock });
  const pops = new PopService({ store, offsets, longPoll, clock, consumeFromWhere: 'FIRST_OFFSET', ...options });
  await pops.recover();
  return {
    clock,
    store,
    offsets,
    longPoll,
    pops,
    async append(queueId, ...messages) {
      const built: Message[] = messages.map((init) =>
        createMessage(typeof init === 'string' ? { topic: TOPIC, body: init } : { topic: TOPIC, body: '', ...init }),
      );
      await store.append(TOPIC, queueId, built);
      longPoll.notify(TOPIC, queueId);
    },
    pop(overrides = {}) {
      return pops.pop({
        group: 'g',
        topic: TOPIC,
        clientId: 'c1',
        maxMessages: 32,
        invisibleDurationMs: INVISIBLE,
        ...overrides,
      });
    },
  };
}

describe('PopService', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });

  it('delivers each message once with a handle; an acked message never comes back', async () => {
    await f.append(0, 'a', 'b', 'c');
    const first = await f.pop();
    expect(bodies(first)).toEqual(['a', 'b', 'c']);
    expect(first.messages.map((m) => m.deliveryAttempt)).toEqual([1, 1, 1]);
    expect(first.messages.every((m) => m.invisibleUntil === f.clock.now() + INVISIBLE)).toBe(true);
    expect(new Set(first.messages.map((m) => m.receiptHandle)).size).toBe(3);
    expect(bodies(await f.pop())).toEqual([]);

    for (const popped of first.messages) expect(await f.pops.ack('g', popped.receiptHandle)).toEqual({ status: 'ok' });
    await f.clock.advance(10 * INVISIBLE);
    expect(bodies(await f.pop())).toEqual([]);
    expect(await f.offsets.committed('g', TOPIC, 0)).toBe(3);
    // A second ack of the same delivery finds nothing to ack.
    expect((await f.pops.ack('g', (first.messages[0] as PoppedMessage).receiptHandle)).status).toBe('expired');
  });

  it('redelivers an unacked message after its invisible time, with a higher attempt', async () => {
    await f.append(0, 'a');
    const [first] = (await f.pop()).messages as [PoppedMessage];
    await f.clock.advance(INVISIBLE - 1);
    expect(bodies(await f.pop())).toEqual([]);
    await f.clock.advance(1);
    const [second] = (await f.pop()).messages as [PoppedMessage];
    expect(body(second)).toBe('a');
    expect(second.deliveryAttempt).toBe(2);
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
    expect(await f.pops.ack('g', first.receiptHandle)).toEqual({ status: 'expired' });
    await f.clock.advance(INVISIBLE);
    const [third] = (await f.pop()).messages as [PoppedMessage];
    expect(third.deliveryAttempt).toBe(3);
    expect(await f.pops.ack('g', third.receiptHandle)).toEqual({ status: 'ok' });
    expect(await f.offsets.committed('g', TOPIC, 0)).toBe(1);
  });

  it('counts attempts on top of the reconsume times a retried message carries', async () => {
    await f.append(0, { body: 'retried', reconsumeTimes: 3 });
    expect((await f.pop()).messages[0]?.deliveryAttempt).toBe(4);
  });

  describe('changeInvisibleDuration', () => {
    it('extends the invisible time and invalidates the old handle', async () => {
      await f.append(0, 'a');
      const [popped] = (await f.pop()).messages as [PoppedMessage];
      await f.clock.advance(10_000);
      const changed = await f.pops.changeInvisibleDuration('g', popped.receiptHandle, 60_000);
      expect(changed.status).toBe('ok');
      expect(changed.receiptHandle).not.toBe(popped.receiptHandle);
      expect(await f.pops.ack('g', popped.receiptHandle)).toEqual({ status: 'invalid-handle' });
      expect((await f.pops.changeInvisibleDuration('g', popped.receiptHandle, 1000)).status).toBe('invalid-handle');

      await f.clock.advance(59_999);
      expect(bodies(await f.pop())).toEqual([]);
      expect(await f.pops.ack('g', changed.receiptHandle)).toEqual({ status: 'ok' });
      await f.clock.advance(INVISIBLE);
      expect(bodies(await f.pop())).toEqual([]);
    });

    it('shortens it: the message comes back early, with the next attempt', async () => {
      await f.append(0, 'a');
      const [popped] = (await f.pop()).messages as [PoppedMessage];
      const changed = await f.pops.changeInvisibleDuration('g', popped.receiptHandle, 5_000);
      expect(decodeReceiptHandle(changed.receiptHandle)?.invisibleUntil).toBe(f.clock.now() + 5_000);
      await f.clock.advance(4_999);
      expect(bodies(await f.pop())).toEqual([]);
      await f.clock.advance(1);
      const again = await f.pop();
      expect(bodies(again)).toEqual(['a']);
      expect(again.messages[0]?.deliveryAttempt).toBe(2);
    });

    it('with 0 makes the message visible now', async () => {
      await f.append(0, 'a', 'b');
      const { messages } = await f.pop({ maxMessages: 1 });
      const changed = await f.pops.changeInvisibleDuration('g', (messages[0] as PoppedMessage).receiptHandle, 0);
      expect(changed.status).toBe('ok');
      const again = await f.pop();
      expect(bodies(again)).toEqual(['a', 'b']);
      expect(again.messages.map((m) => m.deliveryAttempt)).toEqual([2, 1]);
      expect(await f.pops.ack('g', changed.receiptHandle)).toEqual({ status: 'expired' });
    });

    it('refuses a negative or fractional duration', async () => {
      await f.append(0, 'a');
      const [popped] = (await f.pop()).messages as [PoppedMessage];
      await expect(f.pops.changeInvisibleDuration('g', popped.receiptHandle, -1)).rejects.toSatisfy((error) =>
        EddyError.is(error, 'INVALID_ARGUMENT'),
      );
      await expect(f.pops.changeInvisibleDuration('g', popped.receiptHandle, 1.5)).rejects.toThrow(/integer/);
    });
  });

  it('rejects handles that are garbage, of another group, or forged', async () => {
    await f.append(0, 'a');
    const [popped] = (await f.pop()).messages as [PoppedMessage];
    expect(await f.pops.ack('g', 'nonsense')).toEqual({ status: 'invalid-handle' });
    expect(await f.pops.ack('other', popped.receiptHandle)).toEqual({ status: 'invalid-handle' });
    const fields = decodeReceiptHandle(popped.receiptHandle);
    expect(fields).toMatchObject({ group: 'g', topic: TOPIC, queueId: 0, offset: 0 });
    if (fields === undefined) throw new Error('unreachable');
    expect(await f.pops.ack('g', encodeReceiptHandle({ ...fields, token: 'guess' }))).toEqual({
      status: 'invalid-handle',
    });
    expect(await f.pops.ack('g', encodeReceiptHandle({ ...fields, topic: 'a/b' }))).toEqual({
      status: 'invalid-handle',
    });
    expect(
      (await f.pops.changeInvisibleDuration('g', 'nonsense', 1000)).receiptHandle,
      'the handle given comes back',
    ).toBe('nonsense');
    expect(await f.pops.ack('g', popped.receiptHandle)).toEqual({ status: 'ok' });
    expect(await f.pops.ack('g', popped.receiptHandle)).toEqual({ status: 'invalid-handle' });
  });

  it('validates requests', async () => {
    await expect(f.pop({ maxMessages: 0 })).rejects.toSatisfy((error) => EddyError.is(error, 'INVALID_ARGUMENT'));
    await expect(f.pop({ invisibleDurationMs: 0 })).rejects.toThrow(/invisibleDurationMs/);
    await expect(f.pop({ pollTimeoutMs: -1 })).rejects.toThrow(/pollTimeoutMs/);
    await expect(f.pop({ queueIds: [-1] })).rejects.toSatisfy((error) => EddyError.is(error, 'INVALID_ARGUMENT'));
    await expect(f.pop({ group: 'a/b' })).rejects.toSatisfy((error) => EddyError.is(error, 'INVALID_NAME'));
    const { store, offsets, longPoll, clock } = f;
    expect(() => new PopService({ store, offsets, longPoll, clock, maxPendingPerQueue: 0 })).toThrow(
      /maxPendingPerQueue/,
    );
  });

  it('never gives one message to two poppers of a group at once', async () => {
    await f.append(0, ...Array.from({ length: 10 }, (_, i) => `m${i}`));
    await f.append(1, ...Array.from({ length: 10 }, (_, i) => `n${i}`));
    const [a, b] = await Promise.all([
      f.pop({ clientId: 'a', maxMessages: 7 }),
      f.pop({ clientId: 'b', maxMessages: 7 }),
    ]);
    const c = await f.pop({ clientId: 'c', maxMessages: 32 });
    const all = [...bodies(a), ...bodies(b), ...bodies(c)];
    expect(all).toHaveLength(20);
    expect(new Set(all).size).toBe(20);
    expect(bodies(await f.pop())).toEqual([]);
  });

  it('gives every message to each group', async () => {
    await f.append(0, 'a', 'b');
    await f.append(1, 'c');
    const one = await f.pop({ group: 'one' });
    const two = await f.pop({ group: 'two' });
    expect(bodies(one).sort()).toEqual(['a', 'b', 'c']);
    expect(bodies(two).sort()).toEqual(['a', 'b', 'c']);
    for (const popped of one.messages) await f.pops.ack('one', popped.receiptHandle);
    await f.clock.advance(INVISIBLE);
    expect(bodies(await f.pop({ group: 'one' }))).toEqual([]);
    expect(bodies(await f.pop({ group: 'two' })).sort()).toEqual(['a', 'b', 'c']);
  });

  it('pops only the queues asked for, spreading over them', async () => {
    await f.append(0, 'a', 'b');
    await f.append(1, 'c', 'd');
    await f.append(2, 'e', 'f');
    expect(bodies(await f.pop({ queueIds: [2] }))).toEqual(['e', 'f']);
    const first = await f.pop({ maxMessages: 1 });
    const second = await f.pop({ maxMessages: 1 });
    expect(first.messages[0]?.message.queueId).not.toBe(second.messages[0]?.message.queueId);
  });

  it('moves the committed offset only over contiguous acks', async () => {
    await f.append(0, 'm0', 'm1', 'm2', 'm3', 'm4');
    const handles = (await f.pop()).messages.map((m) => m.receiptHandle);
    const committed = () => f.offsets.committed('g', TOPIC, 0);
    expect(await committed()).toBe(0);
    await f.pops.ack('g', handles[1] as string);
    await f.pops.ack('g', handles[2] as string);
    expect(await committed()).toBe(0);
    expect(await f.pops.queueState('g', TOPIC, 0)).toMatchObject({ inFlight: 3, ackedAboveCommit: 2 });
    await f.pops.ack('g', handles[0] as string);
    expect(await committed()).toBe(3);
    expect(await f.pops.queueState('g', TOPIC, 0)).toMatchObject({ inFlight: 2, ackedAboveCommit: 0 });
    await f.pops.ack('g', handles[4] as string);
    expect(await committed()).toBe(3);
    await f.pops.ack('g', handles[3] as string);
    expect(await committed()).toBe(5);
    expect(await f.store.metadata.scan('consume/pop/')).toEqual([]);
  });

  it('skips messages the filter refuses, counting them as consumed', async () => {
    await f.append(0, { tag: 'TagA', body: 'a1' }, { tag: 'TagB', body: 'b1' }, { tag: 'TagA', body: 'a2' });
    const filter = createMessageFilter({ type: 'TAG', expression: 'TagA' });
    const popped = await f.pop({ filter });
    expect(bodies(popped)).toEqual(['a1', 'a2']);
    for (const m of popped.messages) await f.pops.ack('g', m.receiptHandle);
    expect(await f.offsets.committed('g', TOPIC, 0)).toBe(3);
    const sql = createMessageFilter({ type: 'SQL92', expression: "region = 'eu'" });
    await f.append(0, { body: 'us', properties: { region: 'us' } }, { body: 'eu', properties: { region: 'eu' } });
    expect(bodies(await f.pop({ filter: sql }))).toEqual(['eu']);
  });

  it('starts a new group at the latest offset by default, and keeps that start', async () => {
    const latest = await fixture({ consumeFromWhere: undefined });
    await latest.append(0, 'old');
    expect(bodies(await latest.pop())).toEqual([]);
    await latest.append(0, 'new');
    expect(bodies(await latest.pop())).toEqual(['new']);
    expect(await latest.offsets.committed('g', TOPIC, 0)).toBe(1);
  });

  it('drops its state for a queue whose committed offset an admin moved', async () => {
    await f.append(0, 'm0', 'm1', 'm2', 'm3');
    const [first] = (await f.pop({ maxMessages: 1 })).messages as [PoppedMessage];
    await f.offsets.commit('g', TOPIC, 0, 2, { force: true });
    expect(bodies(await f.pop())).toEqual(['m2', 'm3']);
    expect(await f.pops.ack('g', first.receiptHandle)).toEqual({ status: 'invalid-handle' });
  });

  it('takes no new messages from a queue with maxPendingPerQueue unacked', async () => {
    const bounded = await fixture({ maxPendingPerQueue: 3 });
    await bounded.append(0, 'a', 'b', 'c', 'd', 'e');
    const first = await bounded.pop();
    expect(bodies(first)).toEqual(['a', 'b', 'c']);
    expect(bodies(await bounded.pop())).toEqual([]);
    await bounded.pops.ack('g', (first.messages[1] as PoppedMessage).receiptHandle);
    expect(bodies(await bounded.pop())).toEqual(['d']);
  });

  it('forgets a message removed by retention instead of redelivering it', async () => {
    await f.append(0, 'a', 'b', 'c');
    await f.pop({ maxMessages: 2 });
    await f.store.deleteRecordsBefore(TOPIC, 0, 2);
    await f.clock.advance(INVISIBLE);
    expect(bodies(await f.pop())).toEqual(['c']);
    expect(await f.offsets.committed('g', TOPIC, 0)).toBe(2);
  });

  describe('long polling', () => {
    it('answers a held pop as soon as a message is appended', async () => {
      const held = track(f.pop({ pollTimeoutMs: 20_000 }));
      await settle();
      expect(held.result).toBeUndefined();
      expect(f.longPoll.waiting).toBe(1);
      await f.append(0, 'late');
      await settle();
      expect(held.result && bodies(held.result)).toEqual(['late']);
      expect(f.longPoll.waiting).toBe(0);
    });

    it('answers empty at the poll timeout', async () => {
      await f.append(0, 'seed');
      await f.pop();
      const held = track(f.pop({ pollTimeoutMs: 5_000 }));
      await f.clock.advance(4_999);
      expect(held.result).toBeUndefined();
      await f.clock.advance(1);
      expect(held.result).toEqual({ messages: [] });
    });

    it('answers a held pop when an invisible time ends', async () => {
      await f.append(0, 'a');
      await f.pop({ invisibleDurationMs: 10_000 });
      const held = track(f.pop({ pollTimeoutMs: 20_000 }));
      await f.clock.advance(9_999);
      expect(held.result).toBeUndefined();
      await f.clock.advance(1);
      expect(held.result?.messages.map((m) => [body(m), m.deliveryAttempt])).toEqual([['a', 2]]);
    });

    it('ignores appends to queues it does not watch', async () => {
      await f.append(1, 'x');
      const held = track(f.pop({ queueIds: [0], pollTimeoutMs: 1_000 }));
      await f.append(1, 'y');
      await settle();
      expect(held.result).toBeUndefined();
      await f.append(0, 'z');
      await settle();
      expect(held.result && bodies(held.result)).toEqual(['z']);
    });
  });

  it('keeps one clock task for the invisible times of 1,000 messages', async () => {
    await f.append(0, ...Array.from({ length: 1_000 }, (_, i) => `m${i}`));
    const popped: PoppedMessage[] = [];
    // Descending invisible times: each pop brings an earlier deadline, the worst case for re-arming.
    for (let i = 0; i < 100; i++) {
      popped.push(...(await f.pop({ maxMessages: 10, invisibleDurationMs: 200_000 - i * 1_000 })).messages);
      expect(f.clock.pendingTasks).toBe(1);
    }
    expect(popped).toHaveLength(1_000);
    for (const [i, m] of popped.entries()) {
      if (i % 2 === 0) await f.pops.changeInvisibleDuration('g', m.receiptHandle, 5_000 + i);
    }
    expect(f.clock.pendingTasks).toBe(1);
    await f.clock.advance(6_000);
    expect(f.clock.pendingTasks).toBe(1);
    const again = await f.pop({ maxMessages: 1_000 });
    expect(again.messages).toHaveLength(500);
    for (const m of again.messages) await f.pops.ack('g', m.receiptHandle);
    for (const [i, m] of popped.entries()) if (i % 2 === 1) await f.pops.ack('g', m.receiptHandle);
    expect(f.clock.pendingTasks).toBe(0);
    expect(await f.offsets.committed('g', TOPIC, 0)).toBe(1_000);
  });

  describe('FIFO', () => {
    const fifo = { fifo: true, maxMessages: 32 } as const;

    it('holds the next message of a message group until the previous is acked; other groups flow', async () => {
      await f.append(
        0,
        { body: 'A1', messageGroup: 'A' },
        { body: 'A2', messageGroup: 'A' },
        { body: 'B1', messageGroup: 'B' },
        { body: 'free' },
        { body: 'B2', messageGroup: 'B' },
      );
      const first = await f.pop(fifo);
      expect(bodies(first)).toEqual(['A1', 'B1', 'free']);
      expect(bodies(await f.pop(fifo))).toEqual([]);
      expect(await f.pops.queueState('g', TOPIC, 0)).toMatchObject({ inFlight: 3, heldBack: 2 });

      await f.pops.ack('g', (first.messages[0] as PoppedMessage).receiptHandle);
      expect(bodies(await f.pop(fifo))).toEqual(['A2']);
      await f.pops.ack('g', (first.messages[1] as PoppedMessage).receiptHandle);
      expect(bodies(await f.pop(fifo))).toEqual(['B2']);
    });

    it('redelivers an expired message before the next of its group', async () => {
      await f.append(0, { body: 'A1', messageGroup: 'A' }, { body: 'A2', messageGroup: 'A' });
      const first = await f.pop(fifo);
      expect(bodies(first)).toEqual(['A1']);
      await f.clock.advance(INVISIBLE);
      const again = await f.pop(fifo);
      expect(again.messages.map((m) => [body(m), m.deliveryAttempt])).toEqual([['A1', 2]]);
      await f.pops.ack('g', (again.messages[0] as PoppedMessage).receiptHandle);
      expect(bodies(await f.pop(fifo))).toEqual(['A2']);
    });

    it('releases the group when the message is dead-lettered', async () => {
      await f.append(0, { body: 'A1', messageGroup: 'A' }, { body: 'A2', messageGroup: 'A' });
      const [a1] = (await f.pop(fifo)).messages as [PoppedMessage];
      expect(await f.pops.markDeadLettered('g', a1.receiptHandle)).toEqual({ status: 'ok' });
      expect(bodies(await f.pop(fifo))).toEqual(['A2']);
      expect(await f.offsets.committed('g', TOPIC, 0)).toBe(1);
    });

    it('wakes a held FIFO pop when the blocking message is acked', async () => {
      await f.append(0, { body: 'A1', messageGroup: 'A' }, { body: 'A2', messageGroup: 'A' });
      const [a1] = (await f.pop(fifo)).messages as [PoppedMessage];
      const held = track(f.pop({ ...fifo, pollTimeoutMs: 20_000 }));
      await settle();
      expect(held.result).toBeUndefined();
      await f.pops.ack('g', a1.receiptHandle);
      await settle();
      expect(held.result && bodies(held.result)).toEqual(['A2']);
    });

    it('orders per queue: the same message group on another queue is not blocked', async () => {
      await f.append(0, { body: 'A1', messageGroup: 'A' }, { body: 'A2', messageGroup: 'A' });
      await f.append(1, { body: 'A1@1', messageGroup: 'A' });
      expect(bodies(await f.pop(fifo)).sort()).toEqual(['A1', 'A1@1']);
    });
  });

  it('keeps its promises under any interleaving of poppers, acks and time (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('pop' as const), client: fc.nat(2), max: fc.integer({ min: 1, max: 4 }) }),
            fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
            fc.record({ kind: fc.constant('change' as const), pick: fc.nat(), ms: fc.integer({ min: 0, max: 3 }) }),
            fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 4 }) }),
          ),
          { maxLength: 40 },
        ),
        fc.boolean(),
        async (commands, fifoMode) => {
          const p = await fixture();
          const groupOf = (index: number): string | undefined => (index % 3 === 0 ? undefined : `g${index % 2}`);
          const count = 12;
          await p.append(0, ...Array.from({ length: count }, (_, i) => ({ body: `m${i}`, messageGroup: groupOf(i) })));
          const unit = 1_000;
          const held = new Map<string, { handle: string; until: number }>();
          const acked = new Set<string>();
          const check = (result: PopResult): void => {
            for (const m of result.messages) {
              const name = body(m);
              const { messageGroup, queueOffset } = m.message;
              if (fifoMode && messageGroup !== undefined) {
                for (let earlier = 0; earlier < queueOffset; earlier++) {
                  if (groupOf(earlier) !== messageGroup) continue;
                  expect(acked.has(`m${earlier}`), `${name} before m${earlier} of its group`).toBe(true);
                }
              }
              expect(acked.has(name), `${name} came back after its ack`).toBe(false);
              const current = held.get(name);
              expect(current === undefined || current.until <= p.clock.now(), `${name} held twice`).toBe(true);
              held.set(name, { handle: m.receiptHandle, until: m.invisibleUntil });
            }
          };
          for (const command of commands) {
            const live = [...held.entries()];
            if (command.kind === 'pop') {
              check(
                await p.pop({
                  clientId: `c${command.client}`,
                  maxMessages: command.max,
                  fifo: fifoMode,
                  invisibleDurationMs: 2 * unit,
                }),
              );
            } else if (command.kind === 'advance') {
              await p.clock.advance(command.ms * unit);
            } else if (live.length > 0) {
              const [name, entry] = live[command.pick % live.length] as [string, { handle: string; until: number }];
              const valid = entry.until > p.clock.now();
              if (command.kind === 'ack') {
                const { status } = await p.pops.ack('g', entry.handle);
                expect(status).toBe(valid ? 'ok' : 'expired');
                if (valid) {
                  acked.add(name);
                  held.delete(name);
                }
              } else {
                const changed = await p.pops.changeInvisibleDuration('g', entry.handle, command.ms * unit);
                expect(changed.status).toBe(valid ? 'ok' : 'expired');
                if (valid) held.set(name, { handle: changed.receiptHandle, until: p.clock.now() + command.ms * unit });
              }
            }
          }
          // Drain: everything not acked is delivered again, and in the end all is acked and committed.
          for (let round = 0; round < 40 && acked.size < count; round++) {
            await p.clock.advance(2 * unit);
            const result = await p.pop({ maxMessages: count, fifo: fifoMode, invisibleDurationMs: unit });
            check(result);
            for (const m of result.messages) {
              expect((await p.pops.ack('g', m.receiptHandle)).status).toBe('ok');
              acked.add(body(m));
              held.delete(body(m));
            }
          }
          expect(acked.size).toBe(count);
          expect(await p.offsets.committed('g', TOPIC, 0)).toBe(count);
          expect(p.clock.pendingTasks).toBe(0);
          p.pops.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
