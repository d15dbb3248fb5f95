import {
  type Clock,
  createMessage,
  EddyError,
  encodedRecordSize,
  type Message,
  MessageIdGenerator,
} from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { openMemoryStore } from './index.js';
import { MemoryStore } from './memory-store.js';
import { MemoryStoreOptionsSchema } from './options.js';

const START = Date.UTC(2026, 0, 1);

/** A clock the test sets by hand; these tests never schedule. */
function manualClock(start = START): Clock & { set(time: number): void } {
  let time = start;
  return {
    now: () => time,
    set: (next) => {
      time = next;
    },
    schedule: () => {
      throw new Error('not used');
    },
  };
}

const ids = new MessageIdGenerator({ now: () => START });

function message(topic: string, body: string | Uint8Array, extra: Partial<Message> = {}): Message {
  return { ...createMessage({ topic, body }, { ids }), ...extra };
}

function messages(topic: string, count: number, extra: (index: number) => Partial<Message> = () => ({})): Message[] {
  return Array.from({ length: count }, (_, index) => message(topic, `m${index}`, extra(index)));
}

async function readAll(store: MessageStore, topic: string, queueId: number, from: number) {
  const result = await store.read(topic, queueId, from, { maxMessages: 1_000_000 });
  if (result.status !== 'ok') throw new Error(`read ${topic}/${queueId}@${from}: ${result.status}`);
  return result.messages;
}

describe('MemoryStore', () => {
  describe('copies', () => {
    it('keeps its own copy of what was appended, so a producer may reuse its buffers', async () => {
      const store = new MemoryStore();
      const body = new Uint8Array([1, 2, 3]);
      const keys = ['k1'];
      const properties: Record<string, string> = { a: '1' };
      await store.append('t', 0, [message('t', body, { keys, properties })]);
      body.fill(9);
      keys.push('k2');
      properties.a = 'changed';
      const [stored] = await readAll(store, 't', 0, 0);
      expect([...(stored?.body ?? [])]).toEqual([1, 2, 3]);
      expect(stored?.keys).toEqual(['k1']);
      expect(stored?.properties).toEqual({ a: '1' });
    });

    it('hands out copies, so a reader cannot change stored data', async () => {
      const store = new MemoryStore();
      await store.append('t', 0, [message('t', 'abc', { keys: ['k'], properties: { a: '1' } })]);
      const [first] = await readAll(store, 't', 0, 0);
      if (first === undefined) throw new Error('no message');
      first.body.fill(0);
      expect(() => (first.keys as string[]).push('x')).toThrow(TypeError);
      expect(() => {
        (first.properties as Record<string, string>).a = 'x';
      }).toThrow(TypeError);
      (first as { queueOffset: number }).queueOffset = 42;
      const byId = await store.findById(first.messageId);
      const byKey = await store.findByKey('t', 'k');
      const [again] = await readAll(store, 't', 0, 0);
      for (const copy of [byId, byKey[0], again]) {
        expect(new TextDecoder().decode(copy?.body)).toBe('abc');
        expect(copy?.queueOffset).toBe(0);
      }
    });

    it('stores only the fields of a message, not a queue position it already carried', async () => {
      const store = new MemoryStore();
      const carried = { ...message('t', 'x'), queueId: 7, queueOffset: 99, storeTimestamp: 1, extra: 'dropped' };
      await store.append('t', 0, [carried]);
      const [stored] = await readAll(store, 't', 0, 0);
      expect(stored).toMatchObject({ queueId: 0, queueOffset: 0 });
      expect(stored).not.toHaveProperty('extra');
    });

    it('keeps a property named __proto__ as a property', async () => {
      const store = new MemoryStore();
      const properties = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
      await store.append('t', 0, [message('t', 'x', { properties })]);
      const [stored] = await readAll(store, 't', 0, 0);
      expect(Object.keys(stored?.properties ?? {})).toEqual(['__proto__']);
    });
  });

  describe('store timestamps', () => {
    it('stamps a batch with the clock and absorbs a clock that steps back', async () => {
      const clock = manualClock();
      const store = new MemoryStore(clock);
      expect((await store.append('t', 0, messages('t', 2))).storeTimestamp).toBe(START);
      clock.set(START - 5000);
      expect((await store.append('t', 0, messages('t', 1))).storeTimestamp).toBe(START);
      // Another queue has its own history, so it takes the clock as it is.
      expect((await store.append('t', 1, messages('t', 1))).storeTimestamp).toBe(START - 5000);
      clock.set(START + 10);
      expect((await store.append('t', 0, messages('t', 1))).storeTimestamp).toBe(START + 10);
    });

    it('keeps the last timestamp after every message of the queue is deleted', async () => {
      const clock = manualClock();
      const store = new MemoryStore(clock);
      await store.append('t', 0, messages('t', 3));
      await store.deleteRecordsBefore('t', 0, 3);
      clock.set(START - 1);
      expect((await store.append('t', 0, messages('t', 1))).storeTimestamp).toBe(START);
    });
  });

  describe('dropping the front of a queue', () => {
    it('reclaims dropped slots once they are half the array, and reads stay correct', async () => {
      const store = new MemoryStore();
      const total = 10_000;
      for (let start = 0; start < total; start += 500) await store.append('t', 0, messages('t', 500));
      for (let cut = 1; cut <= 9_000; cut += 7) {
        const range = await store.deleteRecordsBefore('t', 0, cut);
        expect(range).toEqual({ queueId: 0, minOffset: cut, maxOffset: total });
        const live = total - cut;
        expect(store.retainedQueueSlots('t', 0)).toBeLessThanOrEqual(Math.max(2 * live, live + 1024));
      }
      const remaining = await readAll(store, 't', 0, 8_996);
      expect(remaining).toHaveLength(total - 8_996);
      expect(remaining.map((stored) => stored.queueOffset)).toEqual(
        Array.from({ length: total - 8_996 }, (_, index) => 8_996 + index),
      );
      expect(new TextDecoder().decode(remaining[0]?.body)).toBe(`m${8_996 % 500}`);
      expect(await store.read('t', 0, 8_995)).toEqual({
        status: 'offset-out-of-range',
        minOffset: 8_996,
        maxOffset: total,
      });
    });

    it('drops a big front in time linear in what is dropped', async () => {
      const store = new MemoryStore();
      for (let batch = 0; batch < 100; batch++) await store.append('t', 0, messages('t', 1000));
      const started = performance.now();
      for (let cut = 1; cut <= 100_000; cut++) await store.deleteRecordsBefore('t', 0, cut);
      // Splicing the array per call would be ~5·10⁹ element moves; amortised dropping is well under a second.
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await store.queueRange('t', 0)).toEqual({ queueId: 0, minOffset: 100_000, maxOffset: 100_000 });
      expect(store.retainedQueueSlots('t', 0)).toBe(0);
    });

    it('clamps to the end, never moves down, and continues offsets after everything is dropped', async () => {
      const store = new MemoryStore();
      await store.append('t', 0, messages('t', 5));
      expect(await store.deleteRecordsBefore('t', 0, 99)).toEqual({ queueId: 0, minOffset: 5, maxOffset: 5 });
      expect(await store.deleteRecordsBefore('t', 0, 2)).toEqual({ queueId: 0, minOffset: 5, maxOffset: 5 });
      expect(await store.append('t', 0, messages('t', 2))).toMatchObject({ baseOffset: 5, nextOffset: 7 });
      expect((await readAll(store, 't', 0, 5)).map((stored) => stored.queueOffset)).toEqual([5, 6]);
      expect(await store.listTopics()).toEqual(['t']);
    });
  });

  describe('indexes', () => {
    it('forgets ids and keys of messages that deleteRecordsBefore dropped', async () => {
      const store = new MemoryStore();
      const appended = messages('t', 100, (index) => ({ keys: [`key-${index % 2}`, `key-${index % 2}`] }));
      await store.append('t', 0, appended.slice(0, 50));
      await store.append('t', 1, appended.slice(50));
      expect(store.indexedIdCount).toBe(100);
      await store.deleteRecordsBefore('t', 0, 40);
      expect(store.indexedIdCount).toBe(60);
      expect(await store.findById(appended[39]?.messageId ?? '')).toBeUndefined();
      expect((await store.findById(appended[40]?.messageId ?? ''))?.queueOffset).toBe(40);
      const even = await store.findByKey('t', 'key-0', { limit: 1000 });
      // A message listing a key twice is still one match.
      expect(even.map((stored) => stored.messageId)).toEqual(
        appended
          .filter((_, index) => index % 2 === 0 && index >= 40)
          .map((m) => m.messageId)
          .reverse(),
      );
      // Removed entries may linger in a key's list, but never more than the readable ones.
      expect(store.retainedKeyEntries('t')).toBeLessThanOrEqual(2 * 60);
      await store.deleteRecordsBefore('t', 0, 50);
      await store.deleteRecordsBefore('t', 1, 50);
      expect(store.indexedIdCount).toBe(0);
      expect(store.retainedKeyEntries('t')).toBe(0);
      expect(await store.findByKey('t', 'key-0')).toEqual([]);
    });

    it('forgets ids of messages that retention removed', async () => {
      const clock = manualClock();
      const store = new MemoryStore(clock);
      const old = messages('t', 3, () => ({ keys: ['k'] }));
      await store.append('t', 0, old);
      clock.set(START + 1000);
      const fresh = messages('t', 2, () => ({ keys: ['k'] }));
      await store.append('t', 0, fresh);
      const report = await store.enforceRetention({ storedBefore: START + 1000 });
      expect(report).toEqual({ queues: [{ topic: 't', queueId: 0, minOffset: 3, maxOffset: 5 }] });
      expect(await store.findById(old[0]?.messageId ?? '')).toBeUndefined();
      expect((await store.findByKey('t', 'k')).map((stored) => stored.queueOffset)).toEqual([4, 3]);
      expect(store.indexedIdCount).toBe(2);
    });

    it('finds the older copy of a repeated id once the newer one is deleted with its topic', async () => {
      const store = new MemoryStore();
      const original = message('a', 'first');
      await store.append('a', 0, [original]);
      await store.append('b', 0, [{ ...original, topic: 'b', body: new TextEncoder().encode('second') }]);
      expect((await store.findById(original.messageId))?.topic).toBe('b');
      expect(await store.deleteTopic('b')).toBe(true);
      expect((await store.findById(original.messageId))?.topic).toBe('a');
      expect(await store.deleteTopic('a')).toBe(true);
      expect(await store.findById(original.messageId)).toBeUndefined();
      expect(store.indexedIdCount).toBe(0);
    });

    it('starts a re-created topic at offset 0 with an empty key index', async () => {
      const store = new MemoryStore();
      await store.append(
        't',
        0,
        messages('t', 3, () => ({ keys: ['k'] })),
      );
      await store.deleteTopic('t');
      expect(await store.deleteTopic('t')).toBe(false);
      expect(await store.findByKey('t', 'k')).toEqual([]);
      expect(await store.append('t', 0, messages('t', 1))).toMatchObject({ baseOffset: 0, nextOffset: 1 });
      expect(await store.findByKey('t', 'k')).toEqual([]);
    });
  });

  describe('reads', () => {
    it('counts maxBytes in encoded record sizes and always returns the first message', async () => {
      const store = new MemoryStore();
      const batch = messages('t', 4);
      await store.append('t', 0, batch);
      const [first] = await readAll(store, 't', 0, 0);
      const size = encodedRecordSize(first as Message);
      const exact = await store.read('t', 0, 0, { maxBytes: 2 * size });
      expect(exact.status === 'ok' && exact.messages.length).toBe(2);
      expect(exact.status === 'ok' && exact.nextOffset).toBe(2);
      const tiny = await store.read('t', 0, 0, { maxBytes: 1 });
      expect(tiny.status === 'ok' && tiny.messages.length).toBe(1);
    });

    it('scans at most maxScan entries with a tag filter and says where it stopped', async () => {
      const store = new MemoryStore();
      await store.append(
        't',
        0,
        messages('t', 10, (index) => ({ tag: index === 7 ? 'wanted' : 'other' })),
      );
      expect(await store.read('t', 0, 0, { tags: ['wanted'], maxScan: 5 })).toMatchObject({
        status: 'ok',
        messages: [],
        nextOffset: 5,
      });
      const found = await store.read('t', 0, 5, { tags: ['wanted'], maxScan: 5 });
      expect(found.status === 'ok' && found.messages.map((stored) => stored.queueOffset)).toEqual([7]);
      expect(found.status === 'ok' && found.nextOffset).toBe(10);
      const all = await store.read('t', 0, 0, { tags: ['*'], maxMessages: 3 });
      expect(all.status === 'ok' && all.nextOffset).toBe(3);
    });
  });

  describe('lifecycle and options', () => {
    it('rejects every call with STORE_CLOSED after close, which is idempotent', async () => {
      const store = await openMemoryStore();
      await store.append('t', 0, messages('t', 1));
      await store.close();
      await store.close();
      const calls: (() => Promise<unknown>)[] = [
        () => store.append('t', 0, messages('t', 1)),
        () => store.read('t', 0, 0),
        () => store.queueRange('t', 0),
        () => store.offsetForTimestamp('t', 0, 0),
        () => store.findById('x'),
        () => store.findByKey('t', 'k'),
        () => store.listTopics(),
        () => store.listQueues('t'),
        () => store.deleteTopic('t'),
        () => store.deleteRecordsBefore('t', 0, 0),
        () => store.enforceRetention({ storedBefore: 0 }),
        () => store.flush(),
        () => store.metadata.get('k'),
        () => store.metadata.put('k', new Uint8Array()),
        () => store.metadata.delete('k'),
        () => store.metadata.scan(''),
        () => store.metadata.batch([]),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(EddyError.is(error, 'STORE_CLOSED')).toBe(true);
      }
    });

    it('describes itself', async () => {
      const store = await openMemoryStore();
      expect(store.specificationVersion).toBe('v1');
      expect(store.engine).toBe('memory');
      expect(store.capabilities).toEqual({ durable: false, retention: 'message' });
    });

    it('honours maxBodySize and rejects a bad one as INVALID_CONFIG', async () => {
      const store = await openMemoryStore({ maxBodySize: 4 });
      await expect(store.append('t', 0, [message('t', 'abcd')])).resolves.toMatchObject({ baseOffset: 0 });
      await expect(store.append('t', 0, [message('t', 'abcde')])).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
      await expect(openMemoryStore({ maxBodySize: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openMemoryStore({ maxBodySize: 1.5 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    });

    it('defaults maxBodySize to 4 MiB in its schema', () => {
      expect(MemoryStoreOptionsSchema.parse({})).toEqual({ maxBodySize: 4 * 1024 * 1024 });
      expect(MemoryStoreOptionsSchema.safeParse({ maxBodySize: -1 }).success).toBe(false);
      expect(MemoryStoreOptionsSchema.safeParse({ unknown: 1 }).success).toBe(false);
    });

    it('leaves a queue untouched when a batch is rejected', async () => {
      const store = new MemoryStore(undefined, 4);
      await expect(store.append('t', 0, [message('t', 'ok'), message('t', 'too long')])).rejects.toMatchObject({
        code: 'MESSAGE_TOO_LARGE',
      });
      expect(await store.queueRange('t', 0)).toBeUndefined();
      expect(await store.listTopics()).toEqual([]);
    });
  });
});
