import type { Message } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { expectStoredMessage } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

/** Registers the tests of the look-ups: queue ranges, by time, by id, by key, and the topic and queue lists. */
export function describeLookups(harness: StoreHarness): void {
  describe('look-ups', () => {
    const context = useStore(harness);

    it('queueRange gives the range of a queue and undefined for an unknown one', async () => {
      const { store } = context;
      expect(await store.queueRange('ranges', 0)).toBeUndefined();
      await store.append('ranges', 2, [context.message('ranges'), context.message('ranges')]);
      expect(await store.queueRange('ranges', 2)).toEqual({ queueId: 2, minOffset: 0, maxOffset: 2 });
      expect(await store.queueRange('ranges', 0)).toBeUndefined();
      expect(await store.queueRange('elsewhere', 2)).toBeUndefined();
    });

    describe('offsetForTimestamp', () => {
      async function appendAtTimes(): Promise<number> {
        const { store, clock } = context;
        const start = clock.now();
        for (const delta of [0, 1000, 1000, 3000]) {
          clock.set(start + delta);
          await store.append('timed', 0, [context.message('timed'), context.message('timed')]);
        }
        return start;
      }

      it('gives the first offset stored at or after the time', async () => {
        const { store } = context;
        const start = await appendAtTimes();
        expect(await store.offsetForTimestamp('timed', 0, 0)).toBe(0);
        expect(await store.offsetForTimestamp('timed', 0, start)).toBe(0);
        expect(await store.offsetForTimestamp('timed', 0, start + 1)).toBe(2);
        expect(await store.offsetForTimestamp('timed', 0, start + 1000)).toBe(2);
        expect(await store.offsetForTimestamp('timed', 0, start + 2999)).toBe(6);
        expect(await store.offsetForTimestamp('timed', 0, start + 3000)).toBe(6);
      });

      it('gives undefined when every message is older, or for an unknown queue', async () => {
        const { store } = context;
        const start = await appendAtTimes();
        expect(await store.offsetForTimestamp('timed', 0, start + 3001)).toBeUndefined();
        expect(await store.offsetForTimestamp('timed', 1, start)).toBeUndefined();
        expect(await store.offsetForTimestamp('untimed', 0, start)).toBeUndefined();
      });

      it('only gives readable offsets', async () => {
        const { store } = context;
        const start = await appendAtTimes();
        await store.deleteRecordsBefore('timed', 0, 3);
        expect(await store.offsetForTimestamp('timed', 0, 0)).toBe(3);
        expect(await store.offsetForTimestamp('timed', 0, start + 1000)).toBe(3);
        expect(await store.offsetForTimestamp('timed', 0, start + 3000)).toBe(6);
        await store.deleteRecordsBefore('timed', 0, 8);
        expect(await store.offsetForTimestamp('timed', 0, 0)).toBeUndefined();
      });

      it('sees the clamped store time after the clock stepped back', async () => {
        const { store, clock } = context;
        const start = clock.now();
        await store.append('timed', 0, [context.message('timed')]);
        clock.set(start - 5000);
        await store.append('timed', 0, [context.message('timed')]);
        expect(await store.offsetForTimestamp('timed', 0, start - 5000)).toBe(0);
        expect(await store.offsetForTimestamp('timed', 0, start + 1)).toBeUndefined();
      });
    });

    describe('findById', () => {
      it('finds a message by id with every field and its position', async () => {
        const { store } = context;
        const wanted = context.message('ids', { keys: ['a'], tag: 'T', properties: { p: 'v' } });
        await store.append('ids', 0, [context.message('ids')]);
        const result = await store.append('ids', 1, [context.message('ids'), wanted]);
        expectStoredMessage(await store.findById(wanted.messageId), wanted, {
          queueId: 1,
          queueOffset: 1,
          storeTimestamp: result.storeTimestamp,
        });
        expect(await store.findById('no-such-id')).toBeUndefined();
      });

      it('gives the most recently stored readable message with the id', async () => {
        const { store, clock } = context;
        const older = context.message('ids', { messageId: 'duplicate-id', body: 'older' });
        const newer = context.message('ids-2', { messageId: 'duplicate-id', body: 'newer' });
        await store.append('ids', 0, [older]);
        clock.advance(10);
        await store.append('ids-2', 3, [context.message('ids-2'), newer]);
        expectStoredMessage(await store.findById('duplicate-id'), newer, { queueId: 3, queueOffset: 1 });

        await store.deleteRecordsBefore('ids-2', 3, 2);
        expectStoredMessage(await store.findById('duplicate-id'), older, { queueId: 0, queueOffset: 0 });
        await store.deleteRecordsBefore('ids', 0, 1);
        expect(await store.findById('duplicate-id')).toBeUndefined();
      });

      it('gives undefined once the topic is deleted', async () => {
        const { store } = context;
        const message = context.message('doomed');
        await store.append('doomed', 0, [message]);
        expect((await store.findById(message.messageId))?.messageId).toBe(message.messageId);
        await store.deleteTopic('doomed');
        expect(await store.findById(message.messageId)).toBeUndefined();
      });
    });

    describe('findByKey', () => {
      it('gives messages of the topic with the key among their keys, newest first', async () => {
        const { store, clock } = context;
        const sent: Message[] = [];
        for (let i = 0; i < 6; i++) {
          const message = context.message('keyed', {
            keys: i % 2 === 0 ? ['even', `n${i}`] : [`n${i}`, 'odd'],
            body: `m${i}`,
          });
          sent.push(message);
          await store.append('keyed', i % 3, [message]);
          clock.advance(1);
        }
        await store.append('other', 0, [context.message('other', { keys: ['even'] })]);

        const even = await store.findByKey('keyed', 'even');
        expect(even.map((message) => message.messageId)).toEqual([4, 2, 0].map((i) => sent[i]?.messageId));
        expectStoredMessage(even[0], sent[4] as Message, { queueId: 1, queueOffset: 1 });
        const odd = await store.findByKey('keyed', 'odd');
        expect(odd.map((message) => message.messageId)).toEqual([5, 3, 1].map((i) => sent[i]?.messageId));
        expect((await store.findByKey('keyed', 'n3')).map((message) => message.messageId)).toEqual([
          sent[3]?.messageId,
        ]);
        expect(await store.findByKey('keyed', 'missing')).toEqual([]);
        expect(await store.findByKey('nowhere', 'even')).toEqual([]);
        expect((await store.findByKey('other', 'even')).map((message) => message.topic)).toEqual(['other']);
      });

      it('orders a batch newest first by offset and applies the limit (64 by default)', async () => {
        const { store } = context;
        const batch = Array.from({ length: 70 }, (_, i) => context.message('many', { keys: ['same'], body: `m${i}` }));
        await store.append('many', 0, batch);
        const newestFirst = batch.map((message) => message.messageId).reverse();
        expect((await store.findByKey('many', 'same')).map((message) => message.messageId)).toEqual(
          newestFirst.slice(0, 64),
        );
        expect((await store.findByKey('many', 'same', { limit: 5 })).map((message) => message.queueOffset)).toEqual([
          69, 68, 67, 66, 65,
        ]);
        expect(await store.findByKey('many', 'same', { limit: 100 })).toHaveLength(70);
      });

      it('matches unicode keys exactly and skips unreadable messages', async () => {
        const { store } = context;
        const keys = ['注文-1', 'ключ', '🔑', 'e\u0301', '\u00e9'];
        const messages = keys.map((key) => context.message('unicode', { keys: [key] }));
        await store.append('unicode', 0, messages);
        for (const [i, key] of keys.entries()) {
          expect(
            (await store.findByKey('unicode', key)).map((message) => message.queueOffset),
            key,
          ).toEqual([i]);
        }
        await store.deleteRecordsBefore('unicode', 0, 2);
        expect(await store.findByKey('unicode', 'ключ')).toEqual([]);
        expect((await store.findByKey('unicode', '🔑')).map((message) => message.queueOffset)).toEqual([2]);
      });
    });

    it('listTopics gives every topic with a queue, sorted', async () => {
      const { store } = context;
      expect(await store.listTopics()).toEqual([]);
      for (const topic of ['orders', 'Audit', 'b.events', '%RETRY%group', 'a_1', 'a-1']) {
        await store.append(topic, 0, [context.message(topic)]);
      }
      await store.append('orders', 5, [context.message('orders')]);
      expect(await store.listTopics()).toEqual(['%RETRY%group', 'Audit', 'a-1', 'a_1', 'b.events', 'orders']);
    });

    it('listQueues gives the queues of a topic by queue id, and none for an unknown topic', async () => {
      const { store } = context;
      for (const queueId of [10, 2, 0, 100]) {
        await store.append(
          'queues',
          queueId,
          Array.from({ length: queueId + 1 }, () => context.message('queues')),
        );
      }
      await store.append('other', 1, [context.message('other')]);
      await store.deleteRecordsBefore('queues', 10, 4);
      expect(await store.listQueues('queues')).toEqual([
        { queueId: 0, minOffset: 0, maxOffset: 1 },
        { queueId: 2, minOffset: 0, maxOffset: 3 },
        { queueId: 10, minOffset: 4, maxOffset: 11 },
        { queueId: 100, minOffset: 0, maxOffset: 101 },
      ]);
      expect(await store.listQueues('unknown')).toEqual([]);
    });
  });
}
