import { EddyError, type Message, type StoredMessage } from '@eddy/message';
import { MAX_QUEUE_ID } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import {
  expectBytes,
  expectEddyError,
  expectOk,
  expectStoredMessage,
  patternBytes,
  readToEnd,
  seededRandom,
} from './assertions.js';
import { maxBodySizeOf, type StoreHarness, useStore } from './harness.js';

/** A property bag with awkward names; `Object.fromEntries` makes `__proto__` an own property, not a prototype. */
function awkwardProperties(): Record<string, string> {
  return Object.fromEntries([
    ['trace', 'abc-123'],
    ['ключ', 'значение'],
    ['名前', '値 🚀'],
    ['__proto__', 'not a prototype'],
    ['constructor', 'not a function'],
    ['empty', ''],
  ]);
}

/** Registers the tests of `append`: offsets, store time, round-trips, invalid input, concurrency. */
export function describeAppend(harness: StoreHarness): void {
  describe('append', () => {
    const context = useStore(harness);

    it('gives a batch contiguous offsets from 0 and reports baseOffset, nextOffset and one store timestamp', async () => {
      const { store, clock } = context;
      const batch = [1, 2, 3].map((n) => context.message('orders', { body: `m${n}` }));
      const first = await store.append('orders', 0, batch);
      expect(first).toEqual({ baseOffset: 0, nextOffset: 3, storeTimestamp: clock.now() });

      clock.advance(5);
      const second = await store.append('orders', 0, [context.message('orders'), context.message('orders')]);
      expect(second).toEqual({ baseOffset: 3, nextOffset: 5, storeTimestamp: clock.now() });

      const read = expectOk(await store.read('orders', 0, 0));
      expect(read.messages.map((message) => message.queueOffset)).toEqual([0, 1, 2, 3, 4]);
      expect(read.messages.map((message) => message.storeTimestamp)).toEqual([
        first.storeTimestamp,
        first.storeTimestamp,
        first.storeTimestamp,
        second.storeTimestamp,
        second.storeTimestamp,
      ]);
      expect(read.nextOffset).toBe(5);
      expect(await store.queueRange('orders', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 5 });
    });

    it('counts offsets per queue: every queue of every topic starts at 0', async () => {
      const { store } = context;
      expect((await store.append('a', 0, [context.message('a'), context.message('a')])).baseOffset).toBe(0);
      expect((await store.append('a', 1, [context.message('a')])).baseOffset).toBe(0);
      expect((await store.append('b', 0, [context.message('b')])).baseOffset).toBe(0);
      expect((await store.append('a', 0, [context.message('a')])).baseOffset).toBe(2);
      expect((await store.append('a', 1, [context.message('a')])).baseOffset).toBe(1);
      expect(await store.queueRange('a', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 3 });
      expect(await store.queueRange('a', 1)).toEqual({ queueId: 1, minOffset: 0, maxOffset: 2 });
      expect(await store.queueRange('b', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 1 });
    });

    it('takes the store timestamp from the clock and never lets it decrease within a queue when the clock steps back', async () => {
      const { store, clock } = context;
      const start = clock.now();
      expect((await store.append('t', 0, [context.message('t')])).storeTimestamp).toBe(start);

      clock.set(start - 60_000);
      const stepped = await store.append('t', 0, [context.message('t'), context.message('t')]);
      expect(stepped.storeTimestamp).toBeGreaterThanOrEqual(start);

      clock.set(start + 10_000);
      const later = await store.append('t', 0, [context.message('t')]);
      expect(later.storeTimestamp).toBe(start + 10_000);

      const stamps = expectOk(await store.read('t', 0, 0)).messages.map((message) => message.storeTimestamp);
      expect(stamps).toEqual([start, stepped.storeTimestamp, stepped.storeTimestamp, start + 10_000]);
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1] as number);
    });

    it('round-trips every field of a fully populated message', async () => {
      const { store, clock } = context;
      const full = context.message('orders', {
        body: patternBytes(1000, 7),
        keys: ['order-1', 'ключ', '🔑 key', '注文'],
        tag: 'タグ',
        properties: awkwardProperties(),
        messageId: 'client-supplied-id-ü-1',
        bornTimestamp: Date.UTC(2025, 5, 30, 12, 0, 0, 123),
        bornHost: '192.0.2.10:53211',
        producerGroup: 'producer-group-1',
        messageGroup: 'group-é',
        deliveryTimestamp: clock.now() + 60_000,
        transaction: 'prepared',
        reconsumeTimes: 3,
      });
      const result = await store.append('orders', 7, [full]);
      const [stored] = expectOk(await store.read('orders', 7, 0)).messages;
      expectStoredMessage(stored, full, { queueId: 7, queueOffset: 0, storeTimestamp: result.storeTimestamp });
      const properties = (stored as StoredMessage).properties;
      expect(Object.hasOwn(properties, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(properties, '__proto__')?.value).toBe('not a prototype');
    });

    it('round-trips a minimal message: no tag, keys, properties, groups or delivery time', async () => {
      const { store } = context;
      const minimal = context.message('orders', { body: new Uint8Array(0) });
      expect(minimal.tag).toBeUndefined();
      await store.append('orders', 0, [minimal]);
      const [stored] = expectOk(await store.read('orders', 0, 0)).messages;
      expectStoredMessage(stored, minimal, { queueId: 0, queueOffset: 0 });
      expect(stored?.tag).toBeUndefined();
      expect(stored?.producerGroup).toBeUndefined();
      expect(stored?.messageGroup).toBeUndefined();
      expect(stored?.deliveryTimestamp).toBeUndefined();
      expect(stored?.keys).toEqual([]);
      expect(stored?.properties).toEqual({});
      expect(stored?.bornHost).toBe('');
    });

    it('round-trips every transaction phase, every byte value and message ids as given', async () => {
      const { store } = context;
      const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
      const batch = (['none', 'prepared', 'commit', 'rollback'] as const).map((transaction, i) =>
        context.message('tx', { transaction, body: everyByte, messageId: `id-${i}`, reconsumeTimes: i }),
      );
      const result = await store.append('tx', 3, batch);
      const read = expectOk(await store.read('tx', 3, 0));
      expect(read.messages).toHaveLength(4);
      batch.forEach((message, i) => {
        expectStoredMessage(read.messages[i], message, {
          queueId: 3,
          queueOffset: i,
          storeTimestamp: result.storeTimestamp,
        });
      });
    });

    it('keeps what was appended when the caller later changes its body buffer', async () => {
      const { store } = context;
      const body = patternBytes(64, 1);
      const original = body.slice();
      await store.append('orders', 0, [context.message('orders', { body })]);
      body.fill(0);
      const [stored] = expectOk(await store.read('orders', 0, 0)).messages;
      expectBytes((stored as StoredMessage).body, original);
    });

    it('rejects an empty batch with EMPTY_BATCH', async () => {
      await expectEddyError(() => context.store.append('orders', 0, []), 'EMPTY_BATCH');
      expect(await context.store.queueRange('orders', 0)).toBeUndefined();
      expect(await context.store.listTopics()).toEqual([]);
    });

    it('rejects a body over maxBodySize with MESSAGE_TOO_LARGE and appends nothing of the batch', async () => {
      const { store } = context;
      const limit = maxBodySizeOf(harness);
      const tooLarge = () => [context.message('big'), context.message('big', { body: new Uint8Array(limit + 1) })];

      await expectEddyError(() => store.append('big', 0, tooLarge()), 'MESSAGE_TOO_LARGE');
      expect(await store.queueRange('big', 0)).toBeUndefined();
      expect(await store.listTopics()).toEqual([]);

      await store.append('big', 1, [context.message('big')]);
      await expectEddyError(() => store.append('big', 1, tooLarge()), 'MESSAGE_TOO_LARGE');
      expect(await store.queueRange('big', 1)).toEqual({ queueId: 1, minOffset: 0, maxOffset: 1 });
      expect((await store.append('big', 1, [context.message('big')])).baseOffset).toBe(1);
      expect(expectOk(await store.read('big', 1, 0)).messages).toHaveLength(2);
    });

    it('accepts a body of exactly maxBodySize and reads it back byte-exact, even above maxBytes', async () => {
      const { store } = context;
      const limit = maxBodySizeOf(harness);
      const body = patternBytes(limit, 3);
      const message = context.message('big', { body });
      await store.append('big', 0, [message]);
      const read = expectOk(await store.read('big', 0, 0, { maxBytes: 1024 }));
      expect(read.messages).toHaveLength(1);
      expectStoredMessage(read.messages[0], message, { queueId: 0, queueOffset: 0 });
    }, 30_000);

    it.each([
      ['negative', -1],
      ['fractional', 1.5],
      ['above the maximum', MAX_QUEUE_ID + 1],
      ['NaN', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
    ])('rejects a %s queue id with INVALID_ARGUMENT', async (_, queueId) => {
      await expectEddyError(
        () => context.store.append('orders', queueId, [context.message('orders')]),
        'INVALID_ARGUMENT',
      );
      expect(await context.store.listTopics()).toEqual([]);
    });

    it('accepts queue ids 0 and MAX_QUEUE_ID', async () => {
      const { store } = context;
      await store.append('edge', MAX_QUEUE_ID, [context.message('edge')]);
      await store.append('edge', 0, [context.message('edge')]);
      expect(await store.listQueues('edge')).toEqual([
        { queueId: 0, minOffset: 0, maxOffset: 1 },
        { queueId: MAX_QUEUE_ID, minOffset: 0, maxOffset: 1 },
      ]);
      expect(expectOk(await store.read('edge', MAX_QUEUE_ID, 0)).messages[0]?.queueId).toBe(MAX_QUEUE_ID);
    });

    it('rejects a batch holding a message of another topic with INVALID_ARGUMENT, appending none of it', async () => {
      const { store } = context;
      await store.append('orders', 0, [context.message('orders')]);
      const mixed = [context.message('orders'), context.message('payments'), context.message('orders')];
      await expectEddyError(() => store.append('orders', 0, mixed), 'INVALID_ARGUMENT');
      expect(await store.queueRange('orders', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 1 });
      expect(await store.listTopics()).toEqual(['orders']);
    });

    it('orders 50 concurrent batches to one queue by call order, never interleaving or reusing offsets', async () => {
      const { store, clock } = context;
      const random = seededRandom(50);
      const batches: Message[][] = [];
      const pending: Promise<{ baseOffset: number; nextOffset: number; storeTimestamp: number }>[] = [];
      for (let i = 0; i < 50; i++) {
        const size = 1 + random(12);
        const batch = Array.from({ length: size }, (_, j) => context.message('busy', { body: `${i}:${j}` }));
        batches.push(batch);
        pending.push(store.append('busy', 0, batch));
        clock.advance(random(3));
      }
      const results = await Promise.all(pending);
      let expectedBase = 0;
      results.forEach((result, i) => {
        const size = (batches[i] as Message[]).length;
        expect(result.baseOffset, `batch ${i}`).toBe(expectedBase);
        expect(result.nextOffset, `batch ${i}`).toBe(expectedBase + size);
        expectedBase += size;
      });

      const stored = await readToEnd(store, 'busy', 0, 0);
      expect(stored.map((message) => message.messageId)).toEqual(batches.flat().map((message) => message.messageId));
      results.forEach((result, i) => {
        for (let offset = result.baseOffset; offset < result.nextOffset; offset++) {
          expect(stored[offset]?.storeTimestamp, `batch ${i} has one store time`).toBe(result.storeTimestamp);
        }
      });
      for (let i = 1; i < stored.length; i++) {
        expect(stored[i]?.storeTimestamp).toBeGreaterThanOrEqual(stored[i - 1]?.storeTimestamp as number);
      }
    });

    it('keeps every queue in call order when concurrent batches go to several queues and topics', async () => {
      const { store } = context;
      const random = seededRandom(7);
      const queues = [
        ['left', 0],
        ['left', 1],
        ['left', 2],
        ['right', 0],
        ['right', 9],
      ] as const;
      const sent = new Map<string, Message[]>();
      const calls: { key: string; size: number; result: Promise<{ baseOffset: number; nextOffset: number }> }[] = [];
      for (let i = 0; i < 60; i++) {
        const [topic, queueId] = queues[random(queues.length)] as (typeof queues)[number];
        const key = `${topic}/${queueId}`;
        const batch = Array.from({ length: 1 + random(6) }, (_, j) => context.message(topic, { body: `${i}:${j}` }));
        sent.set(key, [...(sent.get(key) ?? []), ...batch]);
        calls.push({ key, size: batch.length, result: store.append(topic, queueId, batch) });
      }
      const next = new Map<string, number>();
      for (const call of calls) {
        const result = await call.result;
        const base = next.get(call.key) ?? 0;
        expect(result, call.key).toEqual(expect.objectContaining({ baseOffset: base, nextOffset: base + call.size }));
        next.set(call.key, base + call.size);
      }
      for (const [topic, queueId] of new Set(queues)) {
        const expected = sent.get(`${topic}/${queueId}`) ?? [];
        if (expected.length === 0) continue;
        const stored = await readToEnd(store, topic, queueId, 0);
        expect(stored.map((message) => message.messageId)).toEqual(expected.map((message) => message.messageId));
        expect(stored.map((message) => message.queueOffset)).toEqual(expected.map((_, i) => i));
      }
    });

    it('lets a rejected batch among concurrent appends take no offsets and not stop the ones after it', async () => {
      const { store } = context;
      const calls = Array.from({ length: 20 }, (_, i) =>
        store.append(
          'mixed',
          0,
          i === 7 ? [context.message('other')] : [context.message('mixed'), context.message('mixed')],
        ),
      );
      const settled = await Promise.allSettled(calls);
      settled.forEach((outcome, i) => {
        if (i === 7) {
          expect(outcome.status).toBe('rejected');
          expect(EddyError.is((outcome as PromiseRejectedResult).reason, 'INVALID_ARGUMENT')).toBe(true);
          return;
        }
        const base = 2 * (i < 7 ? i : i - 1);
        expect(outcome).toEqual({
          status: 'fulfilled',
          value: expect.objectContaining({ baseOffset: base, nextOffset: base + 2 }),
        });
      });
      expect(await store.queueRange('mixed', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 38 });
    });

    it('keeps 1,000 queues of one topic and a few other topics apart', async () => {
      const { store } = context;
      const appends: Promise<unknown>[] = [];
      for (let queueId = 0; queueId < 1000; queueId++) {
        const count = 1 + (queueId % 3);
        const batch = Array.from({ length: count }, (_, j) =>
          context.message('wide', { body: `q${queueId}m${j}`, tag: `T${j}` }),
        );
        appends.push(store.append('wide', queueId, batch));
      }
      for (const topic of ['narrow-a', 'narrow-b', 'narrow-c']) {
        appends.push(store.append(topic, 0, [context.message(topic, { body: topic })]));
      }
      await Promise.all(appends);

      expect(await store.listTopics()).toEqual(['narrow-a', 'narrow-b', 'narrow-c', 'wide']);
      const queues = await store.listQueues('wide');
      expect(queues).toHaveLength(1000);
      queues.forEach((range, queueId) => {
        expect(range).toEqual({ queueId, minOffset: 0, maxOffset: 1 + (queueId % 3) });
      });
      const decoder = new TextDecoder();
      for (let queueId = 0; queueId < 1000; queueId++) {
        const read = expectOk(await store.read('wide', queueId, 0));
        expect(read.messages.map((message) => decoder.decode(message.body))).toEqual(
          Array.from({ length: 1 + (queueId % 3) }, (_, j) => `q${queueId}m${j}`),
        );
        expect(read.messages.every((message) => message.queueId === queueId && message.topic === 'wide')).toBe(true);
      }
      for (const topic of ['narrow-a', 'narrow-b', 'narrow-c']) {
        const [only] = expectOk(await store.read(topic, 0, 0)).messages;
        expect(decoder.decode(only?.body)).toBe(topic);
        expect(await store.listQueues(topic)).toEqual([{ queueId: 0, minOffset: 0, maxOffset: 1 }]);
      }
    }, 60_000);
  });
}
