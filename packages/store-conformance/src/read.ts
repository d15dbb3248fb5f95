import { EddyError, encodedRecordSize, type Message, tagCode } from '@eddy/message';
import type { MessageStore, ReadOptions, ReadResult } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { expectEddyError, expectFilteredRead, expectOk, expectStoredMessage, patternBytes } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

// Two tags with the same tagCode (FNV-1a collision): an engine that filters on codes alone returns both.
const COLLIDING_TAGS = ['tag-65zx', 'tag-dpcd'] as const;

async function appendOneByOne(store: MessageStore, topic: string, messages: readonly Message[]): Promise<void> {
  for (const message of messages) await store.append(topic, 0, [message]);
}

/** Registers the tests of `read`: limits, ranges, statuses, tag filters, `maxScan` and invalid options. */
export function describeRead(harness: StoreHarness): void {
  describe('read', () => {
    const context = useStore(harness);

    async function appendNumbered(count: number, topic = 'reads'): Promise<Message[]> {
      const messages = Array.from({ length: count }, (_, i) =>
        context.message(topic, { body: patternBytes(10 + ((i * 37) % 200), i), keys: [`k${i}`] }),
      );
      await context.store.append(topic, 0, messages);
      return messages;
    }

    it('returns messages in offset order from the offset asked, with the queue range', async () => {
      const { store } = context;
      const messages = await appendNumbered(10);
      const result = expectOk(await store.read('reads', 0, 4));
      expect(result.minOffset).toBe(0);
      expect(result.maxOffset).toBe(10);
      expect(result.nextOffset).toBe(10);
      expect(result.messages).toHaveLength(6);
      result.messages.forEach((message, i) => {
        expectStoredMessage(message, messages[4 + i] as Message, { queueId: 0, queueOffset: 4 + i });
      });
    });

    it('returns at most maxMessages (32 by default) and resumes at nextOffset', async () => {
      const { store } = context;
      await appendNumbered(40);
      const three = expectOk(await store.read('reads', 0, 0, { maxMessages: 3 }));
      expect(three.messages.map((message) => message.queueOffset)).toEqual([0, 1, 2]);
      expect(three.nextOffset).toBe(3);
      const next = expectOk(await store.read('reads', 0, three.nextOffset, { maxMessages: 3 }));
      expect(next.messages.map((message) => message.queueOffset)).toEqual([3, 4, 5]);

      const byDefault = expectOk(await store.read('reads', 0, 0));
      expect(byDefault.messages).toHaveLength(32);
      expect(byDefault.nextOffset).toBe(32);
      const rest = expectOk(await store.read('reads', 0, 32));
      expect(rest.messages.map((message) => message.queueOffset)).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
      expect(rest.nextOffset).toBe(40);
    });

    it('counts maxBytes as encoded record sizes and always returns at least one message', async () => {
      const { store } = context;
      const messages = await appendNumbered(6);
      const sizes = messages.map((message) => encodedRecordSize(message));
      const [s0, s1, s2] = sizes as [number, number, number];
      const offsetsWithin = async (offset: number, maxBytes: number) =>
        expectOk(await store.read('reads', 0, offset, { maxBytes })).messages.map((message) => message.queueOffset);

      expect(await offsetsWithin(0, s0 + s1 + s2)).toEqual([0, 1, 2]);
      expect(await offsetsWithin(0, s0 + s1 + s2 - 1)).toEqual([0, 1]);
      expect(await offsetsWithin(0, s0)).toEqual([0]);
      expect(await offsetsWithin(0, 1)).toEqual([0]);
      expect(await offsetsWithin(2, s2 + (sizes[3] as number))).toEqual([2, 3]);
      const both = expectOk(await store.read('reads', 0, 0, { maxBytes: 10 * 1024 * 1024, maxMessages: 2 }));
      expect(both.messages.map((message) => message.queueOffset)).toEqual([0, 1]);
      expect(both.nextOffset).toBe(2);
    });

    it('returns ok with no messages at offset === maxOffset', async () => {
      const { store } = context;
      await appendNumbered(3);
      expect(await store.read('reads', 0, 3)).toEqual({
        status: 'ok',
        messages: [],
        nextOffset: 3,
        minOffset: 0,
        maxOffset: 3,
      });
      expect(await store.read('reads', 0, 3, { tags: ['A'] })).toEqual({
        status: 'ok',
        messages: [],
        nextOffset: 3,
        minOffset: 0,
        maxOffset: 3,
      });
    });

    it("returns 'offset-out-of-range' with the range for offsets above maxOffset or below minOffset", async () => {
      const { store } = context;
      await appendNumbered(10);
      expect(await store.read('reads', 0, 11)).toEqual({ status: 'offset-out-of-range', minOffset: 0, maxOffset: 10 });
      expect(await store.read('reads', 0, 1_000_000)).toEqual({
        status: 'offset-out-of-range',
        minOffset: 0,
        maxOffset: 10,
      });

      await store.deleteRecordsBefore('reads', 0, 4);
      expect(await store.read('reads', 0, 3)).toEqual({ status: 'offset-out-of-range', minOffset: 4, maxOffset: 10 });
      expect(await store.read('reads', 0, 0, { tags: ['A'] })).toEqual({
        status: 'offset-out-of-range',
        minOffset: 4,
        maxOffset: 10,
      });
      const atMin = expectOk(await store.read('reads', 0, 4));
      expect(atMin.minOffset).toBe(4);
      expect(atMin.messages[0]?.queueOffset).toBe(4);
    });

    it('does not return messages for a negative offset', async () => {
      const { store } = context;
      await appendNumbered(2);
      // The contract does not say whether a negative offset is invalid input or merely out of range.
      const outcome = await store.read('reads', 0, -1).then(
        (result) => result,
        (error: unknown) => error,
      );
      if (EddyError.is(outcome)) expect(outcome.code).toBe('INVALID_ARGUMENT');
      else expect(outcome).toEqual({ status: 'offset-out-of-range', minOffset: 0, maxOffset: 2 });
    });

    it("returns 'unknown-queue' for an unknown topic or queue id", async () => {
      const { store } = context;
      await appendNumbered(1);
      expect(await store.read('nowhere', 0, 0)).toEqual({ status: 'unknown-queue' });
      expect(await store.read('reads', 1, 0)).toEqual({ status: 'unknown-queue' });
      expect(await store.read('reads', 1, 0, { tags: ['A'] })).toEqual({ status: 'unknown-queue' });
    });

    it.each<[string, ReadOptions]>([
      ['maxMessages 0', { maxMessages: 0 }],
      ['maxMessages -1', { maxMessages: -1 }],
      ['maxMessages 1.5', { maxMessages: 1.5 }],
      ['maxBytes 0', { maxBytes: 0 }],
      ['maxScan 0', { maxScan: 0, tags: ['A'] }],
    ])('rejects %s with INVALID_ARGUMENT', async (_, options) => {
      await appendNumbered(1);
      await expectEddyError(() => context.store.read('reads', 0, 0, options), 'INVALID_ARGUMENT');
    });

    describe('with a tag filter', () => {
      const tags = ['A', 'B', undefined, 'C', 'A', '标签', undefined, 'B', ...COLLIDING_TAGS];

      async function appendTagged(): Promise<Message[]> {
        const messages = tags.map((tag, i) => context.message('tagged', { tag, body: `m${i}` }));
        await appendOneByOne(context.store, 'tagged', messages);
        return messages;
      }

      const offsetsOf = (result: ReadResult) => expectOk(result).messages.map((message) => message.queueOffset);

      it('returns only messages with one of the tags, in offset order, having looked at the whole queue', async () => {
        const { store } = context;
        await appendTagged();
        const result = expectOk(await store.read('tagged', 0, 0, { tags: ['A', 'B'] }));
        expect(result.messages.map((message) => message.queueOffset)).toEqual([0, 1, 4, 7]);
        expect(result.messages.map((message) => message.tag)).toEqual(['A', 'B', 'A', 'B']);
        expect(result.nextOffset).toBe(tags.length);
        expect(offsetsOf(await store.read('tagged', 0, 2, { tags: ['A'] }))).toEqual([4]);
        expect(offsetsOf(await store.read('tagged', 0, 0, { tags: ['标签'] }))).toEqual([5]);
      });

      it("returns every message, untagged ones too, for ['*'] or no tags", async () => {
        const { store } = context;
        await appendTagged();
        const all = tags.map((_, i) => i);
        expect(offsetsOf(await store.read('tagged', 0, 0, { tags: ['*'] }))).toEqual(all);
        expect(offsetsOf(await store.read('tagged', 0, 0, { tags: ['A', '*'] }))).toEqual(all);
        expect(offsetsOf(await store.read('tagged', 0, 0))).toEqual(all);
      });

      it('never matches untagged messages and confirms a match on the tag, not its hash', async () => {
        const { store } = context;
        await appendTagged();
        expect(tagCode(COLLIDING_TAGS[0])).toBe(tagCode(COLLIDING_TAGS[1]));
        expect(offsetsOf(await store.read('tagged', 0, 0, { tags: [COLLIDING_TAGS[0]] }))).toEqual([8]);
        expect(offsetsOf(await store.read('tagged', 0, 0, { tags: [COLLIDING_TAGS[1]] }))).toEqual([9]);
        const none = expectOk(await store.read('tagged', 0, 0, { tags: ['nothing-has-this'] }));
        expect(none.messages).toEqual([]);
        expect(none.nextOffset).toBe(tags.length);
      });

      it('applies maxMessages and maxBytes to the matches and resumes without skipping one', async () => {
        const { store } = context;
        const messages = await appendTagged();
        const wanted = new Set(['A', 'B']);
        const two = expectFilteredRead(
          await store.read('tagged', 0, 0, { tags: ['A', 'B'], maxMessages: 2 }),
          messages,
          0,
          wanted,
        );
        expect(two.messages.map((message) => message.queueOffset)).toEqual([0, 1]);
        const rest = expectFilteredRead(
          await store.read('tagged', 0, two.nextOffset, { tags: ['A', 'B'] }),
          messages,
          two.nextOffset,
          wanted,
        );
        expect(rest.messages.map((message) => message.queueOffset)).toEqual([4, 7]);

        const one = expectFilteredRead(
          await store.read('tagged', 0, 2, { tags: ['A', 'B'], maxBytes: 1 }),
          messages,
          2,
          wanted,
        );
        expect(one.messages.map((message) => message.queueOffset)).toEqual([4]);
      });

      it('stops after maxScan entries without a match, moving nextOffset on, and following it finds every match', async () => {
        const { store } = context;
        const layout = [...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? undefined : 'C')), 'A', 'C', 'A', 'C'];
        const messages = layout.map((tag, i) => context.message('sparse', { tag, body: `m${i}` }));
        await store.append('sparse', 0, messages.slice(0, 17));
        await store.append('sparse', 0, messages.slice(17));
        const wanted = new Set(['A']);

        const first = expectFilteredRead(
          await store.read('sparse', 0, 0, { tags: ['A'], maxScan: 10 }),
          messages,
          0,
          wanted,
          10,
        );
        expect(first.messages).toEqual([]);
        expect(first.nextOffset).toBeGreaterThan(0);

        const found: number[] = [];
        let offset = 0;
        for (let reads = 0; offset < layout.length; reads++) {
          expect(reads, 'following nextOffset must reach the end').toBeLessThan(layout.length + 1);
          const result = expectFilteredRead(
            await store.read('sparse', 0, offset, { tags: ['A'], maxScan: 10 }),
            messages,
            offset,
            wanted,
            10,
          );
          found.push(...result.messages.map((message) => message.queueOffset));
          offset = result.nextOffset;
        }
        expect(found).toEqual([30, 32]);
      });
    });
  });
}
