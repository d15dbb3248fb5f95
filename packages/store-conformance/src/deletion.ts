import type { QueueRange } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { expectOk, readToEnd } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

/** Registers the tests of what removes messages: `deleteTopic`, `deleteRecordsBefore`, `enforceRetention`. */
export function describeDeletion(harness: StoreHarness): void {
  describe('deletion', () => {
    const context = useStore(harness);

    async function fill(topic: string, queueId: number, count: number): Promise<void> {
      await context.store.append(
        topic,
        queueId,
        Array.from({ length: count }, (_, i) =>
          context.message(topic, { keys: ['shared'], body: `${topic}/${queueId}/${i}` }),
        ),
      );
    }

    describe('deleteTopic', () => {
      it('removes every queue and message of the topic and leaves other topics and metadata alone', async () => {
        const { store } = context;
        await fill('doomed', 0, 3);
        await fill('doomed', 4, 2);
        await fill('kept', 0, 2);
        await store.metadata.put('topic/doomed', new Uint8Array([1]));

        expect(await store.deleteTopic('doomed')).toBe(true);
        expect(await store.read('doomed', 0, 0)).toEqual({ status: 'unknown-queue' });
        expect(await store.read('doomed', 4, 0)).toEqual({ status: 'unknown-queue' });
        expect(await store.queueRange('doomed', 0)).toBeUndefined();
        expect(await store.listQueues('doomed')).toEqual([]);
        expect(await store.listTopics()).toEqual(['kept']);
        expect(await store.findByKey('doomed', 'shared')).toEqual([]);
        expect(await store.offsetForTimestamp('doomed', 0, 0)).toBeUndefined();
        expect(await store.deleteRecordsBefore('doomed', 0, 1)).toBeUndefined();

        expect(await store.queueRange('kept', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 2 });
        expect((await readToEnd(store, 'kept', 0, 0)).map((message) => message.queueOffset)).toEqual([0, 1]);
        expect(await store.findByKey('kept', 'shared')).toHaveLength(2);
        expect(await store.metadata.get('topic/doomed')).toEqual(new Uint8Array([1]));
      });

      it('returns false for a topic that does not exist (any more)', async () => {
        const { store } = context;
        expect(await store.deleteTopic('never')).toBe(false);
        await fill('once', 0, 1);
        expect(await store.deleteTopic('once')).toBe(true);
        expect(await store.deleteTopic('once')).toBe(false);
      });

      it('lets a queue made again start at offset 0 with only its new messages', async () => {
        const { store } = context;
        await fill('again', 0, 5);
        await store.deleteTopic('again');
        const result = await store.append('again', 0, [context.message('again', { body: 'new' })]);
        expect(result.baseOffset).toBe(0);
        expect(result.nextOffset).toBe(1);
        expect(await store.queueRange('again', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 1 });
        const read = expectOk(await store.read('again', 0, 0));
        expect(read.messages.map((message) => new TextDecoder().decode(message.body))).toEqual(['new']);
        expect(await store.findByKey('again', 'shared')).toEqual([]);
        expect(await store.listTopics()).toEqual(['again']);
      });
    });

    describe('deleteRecordsBefore', () => {
      it('moves the minimum offset up and makes what lies below unreadable', async () => {
        const { store } = context;
        await fill('trim', 0, 10);
        expect(await store.deleteRecordsBefore('trim', 0, 4)).toEqual({ queueId: 0, minOffset: 4, maxOffset: 10 });
        expect(await store.queueRange('trim', 0)).toEqual({ queueId: 0, minOffset: 4, maxOffset: 10 });
        expect(await store.read('trim', 0, 0)).toEqual({ status: 'offset-out-of-range', minOffset: 4, maxOffset: 10 });
        expect(await store.read('trim', 0, 3)).toEqual({ status: 'offset-out-of-range', minOffset: 4, maxOffset: 10 });
        const read = expectOk(await store.read('trim', 0, 4));
        expect(read.messages.map((message) => message.queueOffset)).toEqual([4, 5, 6, 7, 8, 9]);
        expect(read.minOffset).toBe(4);
        expect(await store.findByKey('trim', 'shared', { limit: 100 })).toHaveLength(6);
      });

      it('never moves the minimum offset down', async () => {
        const { store } = context;
        await fill('trim', 0, 10);
        await store.deleteRecordsBefore('trim', 0, 6);
        expect(await store.deleteRecordsBefore('trim', 0, 2)).toEqual({ queueId: 0, minOffset: 6, maxOffset: 10 });
        expect(await store.deleteRecordsBefore('trim', 0, 6)).toEqual({ queueId: 0, minOffset: 6, maxOffset: 10 });
        expect(await store.deleteRecordsBefore('trim', 0, 0)).toEqual({ queueId: 0, minOffset: 6, maxOffset: 10 });
        expect(await store.queueRange('trim', 0)).toEqual({ queueId: 0, minOffset: 6, maxOffset: 10 });
      });

      it('clamps to maxOffset, keeps the queue, and never reuses an offset afterwards', async () => {
        const { store } = context;
        await fill('trim', 0, 10);
        expect(await store.deleteRecordsBefore('trim', 0, 1000)).toEqual({ queueId: 0, minOffset: 10, maxOffset: 10 });
        expect(await store.read('trim', 0, 10)).toEqual({
          status: 'ok',
          messages: [],
          nextOffset: 10,
          minOffset: 10,
          maxOffset: 10,
        });
        expect(await store.read('trim', 0, 9)).toEqual({ status: 'offset-out-of-range', minOffset: 10, maxOffset: 10 });
        expect(await store.listTopics()).toEqual(['trim']);
        expect((await store.append('trim', 0, [context.message('trim')])).baseOffset).toBe(10);
        expect(await store.queueRange('trim', 0)).toEqual({ queueId: 0, minOffset: 10, maxOffset: 11 });
        expect(expectOk(await store.read('trim', 0, 10)).messages.map((message) => message.queueOffset)).toEqual([10]);
      });

      it('touches only the queue named and gives undefined for an unknown queue', async () => {
        const { store } = context;
        await fill('trim', 0, 4);
        await fill('trim', 1, 4);
        await store.deleteRecordsBefore('trim', 0, 2);
        expect(await store.queueRange('trim', 1)).toEqual({ queueId: 1, minOffset: 0, maxOffset: 4 });
        expect(await store.deleteRecordsBefore('trim', 2, 1)).toBeUndefined();
        expect(await store.deleteRecordsBefore('untrimmed', 0, 1)).toBeUndefined();
        expect(await store.queueRange('trim', 2)).toBeUndefined();
        expect(await store.listTopics()).toEqual(['trim']);
      });
    });

    describe('enforceRetention', () => {
      // q0: 3 messages at t0, 2 at t0+1000; q1: 2 at t0; q2: 1 at t0+2000. Cut-off t0+1000.
      async function layOut(): Promise<{ cutOff: number; before: QueueRange[] }> {
        const { clock } = context;
        const t0 = clock.now();
        await fill('old', 0, 3);
        await fill('old', 1, 2);
        clock.set(t0 + 1000);
        await fill('old', 0, 2);
        clock.set(t0 + 2000);
        await fill('old', 2, 1);
        return { cutOff: t0 + 1000, before: await context.store.listQueues('old') };
      }

      it('never removes a message stored at or after the cut-off', async () => {
        const { store } = context;
        const { cutOff } = await layOut();
        const report = await store.enforceRetention({ storedBefore: cutOff });
        for (const queue of await store.listQueues('old')) {
          const kept = await readToEnd(store, 'old', queue.queueId, queue.minOffset);
          expect(kept.filter((message) => message.storeTimestamp >= cutOff).length, `queue ${queue.queueId}`).toBe(
            { 0: 2, 1: 0, 2: 1 }[queue.queueId],
          );
        }
        const ranges = await store.listQueues('old');
        expect(ranges.map((range) => range.maxOffset)).toEqual([5, 2, 1]);
        expect(ranges[0]?.minOffset).toBeLessThanOrEqual(3);
        expect(ranges[2]?.minOffset).toBe(0);
        for (const moved of report.queues) {
          expect(moved.topic).toBe('old');
          expect(await store.queueRange('old', moved.queueId)).toEqual({
            queueId: moved.queueId,
            minOffset: moved.minOffset,
            maxOffset: moved.maxOffset,
          });
        }
      });

      it('reports exactly the queues whose minimum offset moved', async () => {
        const { store } = context;
        const { cutOff, before } = await layOut();
        const report = await store.enforceRetention({ storedBefore: cutOff });
        const after = await store.listQueues('old');
        const moved = after.filter((range, i) => range.minOffset !== before[i]?.minOffset);
        const reported = [...report.queues].sort((a, b) => a.queueId - b.queueId);
        expect(reported).toEqual(moved.map((range) => ({ topic: 'old', ...range })));
        after.forEach((range, i) => {
          expect(range.minOffset).toBeGreaterThanOrEqual(before[i]?.minOffset as number);
        });
      });

      // Segment engines keep some older messages by design, so only message-granular ones get this test.
      const messageGranular = (harness.retention ?? 'message') === 'message';
      if (messageGranular) {
        it('removes every older message', async () => {
          const { store } = context;
          const { cutOff } = await layOut();
          const report = await store.enforceRetention({ storedBefore: cutOff });
          expect(await store.listQueues('old')).toEqual([
            { queueId: 0, minOffset: 3, maxOffset: 5 },
            { queueId: 1, minOffset: 2, maxOffset: 2 },
            { queueId: 2, minOffset: 0, maxOffset: 1 },
          ]);
          expect([...report.queues].sort((a, b) => a.queueId - b.queueId)).toEqual([
            { topic: 'old', queueId: 0, minOffset: 3, maxOffset: 5 },
            { topic: 'old', queueId: 1, minOffset: 2, maxOffset: 2 },
          ]);
          expect(await store.read('old', 0, 2)).toEqual({ status: 'offset-out-of-range', minOffset: 3, maxOffset: 5 });
          expect(await store.offsetForTimestamp('old', 0, 0)).toBe(3);
          expect(await store.findByKey('old', 'shared', { limit: 100 })).toHaveLength(3);
        });
      }

      it('keeps emptied queues and their offsets: appends continue at the old maxOffset', async () => {
        const { store, clock } = context;
        const { cutOff } = await layOut();
        clock.set(cutOff + 10_000);
        await store.enforceRetention({ storedBefore: cutOff + 5000 });
        expect((await store.listQueues('old')).map((range) => range.queueId)).toEqual([0, 1, 2]);
        expect((await store.append('old', 0, [context.message('old')])).baseOffset).toBe(5);
        expect((await store.append('old', 1, [context.message('old')])).baseOffset).toBe(2);
        expect((await store.append('old', 2, [context.message('old')])).baseOffset).toBe(1);
        if (store.capabilities.retention === 'message') {
          expect(await store.queueRange('old', 0)).toEqual({ queueId: 0, minOffset: 5, maxOffset: 6 });
        }
      });

      it('never lowers a minimum offset that deleteRecordsBefore moved past the cut-off', async () => {
        const { store } = context;
        const { cutOff } = await layOut();
        await store.deleteRecordsBefore('old', 0, 4);
        await store.deleteRecordsBefore('old', 2, 1);
        const report = await store.enforceRetention({ storedBefore: cutOff });
        expect(await store.queueRange('old', 0)).toEqual({ queueId: 0, minOffset: 4, maxOffset: 5 });
        expect(await store.queueRange('old', 2)).toEqual({ queueId: 2, minOffset: 1, maxOffset: 1 });
        expect(report.queues.filter((queue) => queue.queueId !== 1)).toEqual([]);
      });

      it('removes nothing when nothing is older than the cut-off', async () => {
        const { store } = context;
        const { before } = await layOut();
        const report = await store.enforceRetention({ storedBefore: 0 });
        expect(report.queues).toEqual([]);
        expect(await store.listQueues('old')).toEqual(before);
      });
    });
  });
}
