import type { StoredMessage } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { patternBytes, plainMessage, readToEnd } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

/** Everything a reader can see in the store that does not depend on a query's arguments. */
async function snapshot(store: MessageStore): Promise<Record<string, unknown>> {
  const topics = await store.listTopics();
  const queues: Record<string, unknown> = {};
  for (const topic of topics) {
    for (const range of await store.listQueues(topic)) {
      const messages = await readToEnd(store, topic, range.queueId, range.minOffset);
      queues[`${topic}/${range.queueId}`] = { range, messages: messages.map(plainMessage) };
    }
  }
  const metadata = (await store.metadata.scan('')).map((entry) => [
    entry.key,
    Buffer.from(entry.value).toString('hex'),
  ]);
  return { topics, queues, metadata };
}

/** Registers the persistence tests; only durable harnesses get them (nothing is registered, or skipped, otherwise). */
export function describeDurability(harness: StoreHarness): void {
  if (!harness.durable) return;
  describe('durability', () => {
    const context = useStore(harness);

    it('keeps messages, ranges, deletions, metadata and look-ups across close and reopen', async () => {
      const { clock } = context;
      let store = context.store;
      const t0 = clock.now();
      const full = context.message('orders', {
        body: patternBytes(5000, 9),
        keys: ['order-1', '注文'],
        tag: 'TagA',
        properties: Object.fromEntries([
          ['ключ', 'значение'],
          ['__proto__', 'data'],
        ]),
        bornHost: '198.51.100.1:4000',
        producerGroup: 'pg',
        messageGroup: 'mg',
        deliveryTimestamp: t0 + 1000,
        transaction: 'commit',
        reconsumeTimes: 2,
      });
      await store.append('orders', 0, [context.message('orders', { keys: ['order-1'] }), full]);
      clock.advance(1000);
      await store.append('orders', 0, [context.message('orders', { tag: 'TagB' })]);
      await store.append(
        'orders',
        3,
        Array.from({ length: 4 }, (_, i) => context.message('orders', { body: `q3-${i}` })),
      );
      await store.append('payments', 0, [context.message('payments', { keys: ['order-1'] })]);
      const doomed = context.message('gone');
      await store.append('gone', 0, [doomed, context.message('gone')]);
      clock.advance(1000);
      await store.append(
        'trimmed',
        1,
        Array.from({ length: 6 }, () => context.message('trimmed')),
      );
      await store.deleteRecordsBefore('trimmed', 1, 4);
      await store.append('emptied', 0, [context.message('emptied'), context.message('emptied')]);
      await store.deleteRecordsBefore('emptied', 0, 2);
      expect(await store.deleteTopic('gone')).toBe(true);
      await store.metadata.put('config/orders', new TextEncoder().encode('{"queues":4}'));
      await store.metadata.put('config/\u{1F600}', new Uint8Array([0, 255]));
      await store.metadata.put('config/\uFF61', new Uint8Array(0));
      await store.metadata.put('temporary', new Uint8Array([1]));
      await store.metadata.delete('temporary');
      await store.metadata.batch([
        { type: 'put', key: 'offsets/g/orders/0', value: new Uint8Array([1]) },
        { type: 'put', key: 'offsets/g/orders/0', value: new Uint8Array([2]) },
        { type: 'put', key: 'offsets/g/orders/3', value: new Uint8Array([3]) },
        { type: 'delete', key: 'offsets/g/orders/3' },
      ]);

      const before = await snapshot(store);
      const byId = await store.findById(full.messageId);
      const byKey = await store.findByKey('orders', 'order-1');
      const byTime = await store.offsetForTimestamp('orders', 0, t0 + 1);

      store = await context.reopen();
      expect(await snapshot(store)).toEqual(before);
      expect(plainMessage((await store.findById(full.messageId)) as StoredMessage)).toEqual(
        plainMessage(byId as StoredMessage),
      );
      expect((await store.findByKey('orders', 'order-1')).map(plainMessage)).toEqual(byKey.map(plainMessage));
      expect(byKey).toHaveLength(2);
      expect(await store.offsetForTimestamp('orders', 0, t0 + 1)).toBe(byTime);
      expect(byTime).toBe(2);
      expect(await store.findById(doomed.messageId)).toBeUndefined();
      expect(await store.read('gone', 0, 0)).toEqual({ status: 'unknown-queue' });
      expect(await store.queueRange('trimmed', 1)).toEqual({ queueId: 1, minOffset: 4, maxOffset: 6 });
      expect(await store.queueRange('emptied', 0)).toEqual({ queueId: 0, minOffset: 2, maxOffset: 2 });
      expect(await store.read('trimmed', 1, 3)).toEqual({ status: 'offset-out-of-range', minOffset: 4, maxOffset: 6 });
      expect(await store.metadata.get('temporary')).toBeUndefined();
      expect(await store.metadata.get('offsets/g/orders/0')).toEqual(new Uint8Array([2]));

      expect((await store.append('orders', 0, [context.message('orders')])).baseOffset).toBe(3);
      expect((await store.append('orders', 3, [context.message('orders')])).baseOffset).toBe(4);
      expect((await store.append('trimmed', 1, [context.message('trimmed')])).baseOffset).toBe(6);
      expect((await store.append('emptied', 0, [context.message('emptied')])).baseOffset).toBe(2);
      expect((await store.append('gone', 0, [context.message('gone')])).baseOffset).toBe(0);
    });

    it('keeps store timestamps from decreasing across a reopen when the clock stepped back', async () => {
      const { clock } = context;
      let store = context.store;
      clock.advance(60_000);
      const last = (await store.append('timed', 0, [context.message('timed')])).storeTimestamp;
      store = await context.reopen();
      clock.set(last - 30_000);
      const after = await store.append('timed', 0, [context.message('timed')]);
      expect(after.storeTimestamp).toBeGreaterThanOrEqual(last);
      const stamps = (await readToEnd(store, 'timed', 0, 0)).map((message) => message.storeTimestamp);
      expect(stamps).toEqual([last, after.storeTimestamp]);
    });

    it('survives several reopen cycles with appends, trims and deletions in between', async () => {
      const { clock } = context;
      let store = context.store;
      const expectedIds: string[] = [];
      for (let cycle = 0; cycle < 4; cycle++) {
        const batch = Array.from({ length: 3 }, (_, i) => context.message('cycles', { body: `c${cycle}m${i}` }));
        const result = await store.append('cycles', 0, batch);
        expect(result.baseOffset).toBe(cycle * 3);
        expectedIds.push(...batch.map((message) => message.messageId));
        await store.append('scratch', cycle, [context.message('scratch')]);
        if (cycle === 2) await store.deleteTopic('scratch');
        await store.metadata.put(`cycle/${cycle}`, new Uint8Array([cycle]));
        clock.advance(100);
        store = await context.reopen();
      }
      expect((await readToEnd(store, 'cycles', 0, 0)).map((message) => message.messageId)).toEqual(expectedIds);
      expect(await store.listQueues('scratch')).toEqual([{ queueId: 3, minOffset: 0, maxOffset: 1 }]);
      expect((await store.metadata.scan('cycle/')).map((entry) => entry.key)).toEqual([
        'cycle/0',
        'cycle/1',
        'cycle/2',
        'cycle/3',
      ]);
      expect(await store.listTopics()).toEqual(['cycles', 'scratch']);
    });

    it('keeps minimum offsets moved by retention across reopen', async () => {
      const { clock } = context;
      let store = context.store;
      const t0 = clock.now();
      await store.append('kept', 0, [context.message('kept'), context.message('kept')]);
      clock.set(t0 + 1000);
      await store.append('kept', 0, [context.message('kept')]);
      await store.enforceRetention({ storedBefore: t0 + 1000 });
      const range = await store.queueRange('kept', 0);
      store = await context.reopen();
      expect(await store.queueRange('kept', 0)).toEqual(range);
      expect(range?.maxOffset).toBe(3);
      if (store.capabilities.retention === 'message') expect(range?.minOffset).toBe(2);
      expect((await store.append('kept', 0, [context.message('kept')])).baseOffset).toBe(3);
    });
  });
}
