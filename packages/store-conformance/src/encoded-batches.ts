import { crc32c, EddyError, type StoredMessage } from '@eddy/message';
import {
  type DecodedRecord,
  type EncodedBatch,
  type EncodedBatchDecoder,
  type EncodedBatchStore,
  type MessageStore,
  type ReadEncodedResult,
  supportsEncodedBatches,
} from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { expectEddyError } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

/** The format of the suite's encoded batches: a JSON array of records. */
export const CONFORMANCE_BATCH_FORMAT = 'conformance-json-v1';

interface JsonRecord {
  readonly body: string;
  readonly tag?: string;
  readonly keys?: string[];
  readonly properties?: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The decoder of the suite's test format, {@link CONFORMANCE_BATCH_FORMAT}: an engine whose harness sets
 * `encodedBatches` must be opened with it.
 */
export const conformanceBatchDecoder: EncodedBatchDecoder = {
  format: CONFORMANCE_BATCH_FORMAT,
  decode(bytes: Uint8Array, count: number): DecodedRecord[] {
    let records: JsonRecord[];
    try {
      records = JSON.parse(decoder.decode(bytes)) as JsonRecord[];
    } catch (error) {
      throw new EddyError('CORRUPT_DATA', `not a JSON batch: ${(error as Error).message}`);
    }
    if (!Array.isArray(records) || records.length !== count) {
      throw new EddyError('CORRUPT_DATA', `the batch holds ${records.length} records, not ${count}`);
    }
    return records.map((record) => ({
      body: encoder.encode(record.body),
      keys: record.keys ?? [],
      tag: record.tag,
      properties: record.properties ?? {},
      bornTimestamp: 0,
      bornHost: 'conformance',
      producerGroup: undefined,
      messageGroup: undefined,
      deliveryTimestamp: undefined,
      transaction: 'none',
      reconsumeTimes: 0,
    }));
  },
};

/** An encoded batch of the suite's format, with the tags and keys the store indexes. */
export function jsonBatch(records: readonly JsonRecord[]): EncodedBatch {
  const tags = records.some((record) => record.tag !== undefined) ? records.map((record) => record.tag) : undefined;
  const keys = records.some((record) => (record.keys ?? []).length > 0)
    ? records.map((record) => record.keys)
    : undefined;
  return {
    format: CONFORMANCE_BATCH_FORMAT,
    bytes: encoder.encode(JSON.stringify(records)),
    count: records.length,
    ...(tags === undefined ? {} : { tags }),
    ...(keys === undefined ? {} : { keys }),
  };
}

const bodies = (messages: readonly StoredMessage[]): string[] =>
  messages.map((message) => new TextDecoder().decode(message.body));

function batching(store: MessageStore): MessageStore & EncodedBatchStore {
  if (!supportsEncodedBatches(store)) throw new Error(`the ${store.engine} store does not keep encoded batches`);
  return store;
}

function ok(result: ReadEncodedResult): Extract<ReadEncodedResult, { status: 'ok' }> {
  if (result.status !== 'ok') throw new Error(`readEncoded gave ${result.status}`);
  return result;
}

const records = (prefix: string, n: number, extra: (i: number) => Partial<JsonRecord> = () => ({})): JsonRecord[] =>
  Array.from({ length: n }, (_, i) => ({ body: `${prefix}-${i}`, ...extra(i) }));

/** Registers the tests of the optional encoded-batch part of the contract (`EncodedBatchStore`). */
export function describeEncodedBatches(harness: StoreHarness): void {
  describe('encoded batches', () => {
    const context = useStore(harness);

    it('the capability says whether the engine keeps encoded batches', () => {
      expect(supportsEncodedBatches(context.store)).toBe(harness.encodedBatches === true);
    });

    if (harness.encodedBatches !== true) return;

    it('a batch takes count offsets between plain appends, and read gives each record as a message', async () => {
      const store = batching(context.store);
      await store.append('enc', 0, [context.message('enc', { body: 'before' })]);
      const appended = await store.appendEncoded(
        'enc',
        0,
        jsonBatch(
          records('r', 3, (i) => ({ tag: i === 1 ? 'odd' : 'even', keys: [`k${i}`], properties: { n: String(i) } })),
        ),
      );
      expect(appended).toMatchObject({ baseOffset: 1, nextOffset: 4 });
      await store.append('enc', 0, [context.message('enc', { body: 'after' })]);
      const read = await store.read('enc', 0, 0);
      if (read.status !== 'ok') throw new Error(read.status);
      expect(bodies(read.messages)).toEqual(['before', 'r-0', 'r-1', 'r-2', 'after']);
      expect(read.messages.map((message) => message.queueOffset)).toEqual([0, 1, 2, 3, 4]);
      const [, first, second] = read.messages as [StoredMessage, StoredMessage, StoredMessage];
      expect(first).toMatchObject({ topic: 'enc', queueId: 0, tag: 'even', keys: ['k0'], properties: { n: '0' } });
      expect(first.storeTimestamp).toBe(appended.storeTimestamp);
      expect(second.tag).toBe('odd');
      const ids = read.messages.map((message) => message.messageId);
      expect(new Set(ids).size).toBe(5);
      // Read again, from inside the batch: the same ids.
      const again = await store.read('enc', 0, 2, { maxMessages: 1 });
      if (again.status !== 'ok') throw new Error(again.status);
      expect(again.messages.map((message) => message.messageId)).toEqual([ids[2]]);
      expect(again.nextOffset).toBe(3);
    });

    it('readEncoded gives batches as they were appended and other messages as messages, in offset order', async () => {
      const store = batching(context.store);
      const batch = jsonBatch(records('e', 4));
      await store.append('raw', 1, [context.message('raw', { body: 'm0' })]);
      await store.appendEncoded('raw', 1, batch);
      await store.append('raw', 1, [context.message('raw', { body: 'm5' }), context.message('raw', { body: 'm6' })]);
      const all = ok(await store.readEncoded('raw', 1, 0));
      expect(all.nextOffset).toBe(7);
      expect(
        all.entries.map((entry) =>
          entry.kind === 'batch' ? `batch@${entry.baseOffset}+${entry.count}` : `m@${entry.message.queueOffset}`,
        ),
      ).toEqual(['m@0', 'batch@1+4', 'm@5', 'm@6']);
      const stored = all.entries[1];
      if (stored?.kind !== 'batch') throw new Error('no batch');
      expect(stored.format).toBe(CONFORMANCE_BATCH_FORMAT);
      expect(Buffer.from(stored.bytes).equals(Buffer.from(batch.bytes))).toBe(true);
      // From inside the batch: the whole batch, whose base is below the offset asked for.
      const inside = ok(await store.readEncoded('raw', 1, 3));
      expect(inside.entries[0]).toMatchObject({ kind: 'batch', baseOffset: 1, count: 4 });
      // At the end: nothing.
      expect(ok(await store.readEncoded('raw', 1, 7)).entries).toEqual([]);
      expect(await store.readEncoded('raw', 1, 8)).toMatchObject({ status: 'offset-out-of-range', maxOffset: 7 });
      expect(await store.readEncoded('raw', 2, 0)).toEqual({ status: 'unknown-queue' });
    });

    it('a batch given with its checksum reads back as the same bytes and records as one without', async () => {
      const store = batching(context.store);
      const batch = jsonBatch(records('sum', 3, () => ({ tag: 'T' })));
      await store.appendEncoded('summed', 0, { ...batch, checksum: crc32c(batch.bytes) });
      await store.appendEncoded('summed', 0, batch);
      const all = ok(await store.readEncoded('summed', 0, 0));
      expect(all.entries).toHaveLength(2);
      for (const entry of all.entries) {
        if (entry.kind !== 'batch') throw new Error('no batch');
        expect(Buffer.from(entry.bytes).equals(Buffer.from(batch.bytes))).toBe(true);
      }
      const read = await store.read('summed', 0, 0);
      if (read.status !== 'ok') throw new Error(read.status);
      const once = bodies(read.messages.slice(0, 3));
      expect(bodies(read.messages)).toEqual([...once, ...once]);
      expect(read.messages.map((message) => message.tag)).toEqual(['T', 'T', 'T', 'T', 'T', 'T']);
    });

    it('readEncoded may read into buffers from allocate, and keeps no reference to them', async () => {
      const store = batching(context.store);
      const first = jsonBatch(records('lent', 2));
      const second = jsonBatch(records('more', 3));
      await store.appendEncoded('lent', 0, first);
      await store.appendEncoded('lent', 0, second);
      const handedOut: Uint8Array[] = [];
      const allocate = (size: number): Uint8Array => {
        const buffer = new Uint8Array(size + 7); // larger than asked, as a pool's size classes are
        handedOut.push(buffer);
        return buffer;
      };
      const read = ok(await store.readEncoded('lent', 0, 0, { allocate }));
      const bytes = read.entries.map((entry) => (entry.kind === 'batch' ? Buffer.from(entry.bytes) : undefined));
      expect(bytes).toEqual([Buffer.from(first.bytes), Buffer.from(second.bytes)]);
      // The caller recycles what it was lent: later reads are not affected.
      for (const buffer of handedOut) buffer.fill(0xff);
      const again = ok(await store.readEncoded('lent', 0, 0));
      expect(again.entries.map((entry) => (entry.kind === 'batch' ? Buffer.from(entry.bytes) : undefined))).toEqual([
        Buffer.from(first.bytes),
        Buffer.from(second.bytes),
      ]);
      const messages = await store.read('lent', 0, 0);
      if (messages.status !== 'ok') throw new Error(messages.status);
      expect(bodies(messages.messages)).toEqual(['lent-0', 'lent-1', 'more-0', 'more-1', 'more-2']);
    });

    it('readEncoded returns whole entries within maxBytes, and the first one whatever its size', async () => {
      const store = batching(context.store);
      const big = jsonBatch(records('x'.repeat(500), 4));
      for (let i = 0; i < 3; i++) await store.appendEncoded('sized', 0, big);
      const one = ok(await store.readEncoded('sized', 0, 0, { maxBytes: 10 }));
      expect(one.entries).toHaveLength(1);
      expect(one.nextOffset).toBe(4);
      const two = ok(await store.readEncoded('sized', 0, 4, { maxBytes: big.bytes.byteLength * 2 + 1 }));
      expect(two.entries).toHaveLength(2);
      expect(two.nextOffset).toBe(12);
    });

    it('tag filters, findById and findByKey see the records of a batch', async () => {
      const store = batching(context.store);
      await store.appendEncoded(
        'found',
        0,
        jsonBatch(
          records('f', 6, (i) => ({ tag: i % 3 === 0 ? 'A' : 'B', keys: i % 2 === 0 ? ['even'] : ['odd', `k${i}`] })),
        ),
      );
      const filtered = await store.read('found', 0, 0, { tags: ['A'] });
      if (filtered.status !== 'ok') throw new Error(filtered.status);
      expect(bodies(filtered.messages)).toEqual(['f-0', 'f-3']);
      const all = await store.read('found', 0, 0);
      if (all.status !== 'ok') throw new Error(all.status);
      const fourth = all.messages[4] as StoredMessage;
      expect(await store.findById(fourth.messageId)).toMatchObject({ queueOffset: 4, messageId: fourth.messageId });
      expect(bodies(await store.findByKey('found', 'odd'))).toEqual(['f-5', 'f-3', 'f-1']);
      expect(bodies(await store.findByKey('found', 'k3'))).toEqual(['f-3']);
      expect(await store.findByKey('found', 'missing')).toEqual([]);
    });

    it('deleteRecordsBefore may cut inside a batch; offsetForTimestamp counts batch records', async () => {
      const store = batching(context.store);
      const { clock } = context;
      const start = clock.now();
      await store.appendEncoded('cut', 0, jsonBatch(records('c', 5)));
      clock.set(start + 1000);
      await store.appendEncoded('cut', 0, jsonBatch(records('d', 2)));
      expect(await store.offsetForTimestamp('cut', 0, start + 1)).toBe(5);
      await store.deleteRecordsBefore('cut', 0, 3);
      const read = await store.read('cut', 0, 3);
      if (read.status !== 'ok') throw new Error(read.status);
      expect(bodies(read.messages)).toEqual(['c-3', 'c-4', 'd-0', 'd-1']);
      expect(await store.read('cut', 0, 2)).toMatchObject({ status: 'offset-out-of-range', minOffset: 3 });
      const encoded = ok(await store.readEncoded('cut', 0, 3));
      expect(encoded.entries[0]).toMatchObject({ kind: 'batch', baseOffset: 0, count: 5 });
      expect(await store.offsetForTimestamp('cut', 0, 0)).toBe(3);
    });

    it('deleting the topic removes its batches', async () => {
      const store = batching(context.store);
      await store.appendEncoded('gone', 0, jsonBatch(records('g', 3, () => ({ keys: ['key'] }))));
      expect(await store.deleteTopic('gone')).toBe(true);
      expect(await store.findByKey('gone', 'key')).toEqual([]);
      expect(await store.appendEncoded('gone', 0, jsonBatch(records('h', 1)))).toMatchObject({ baseOffset: 0 });
    });

    it('refuses a batch of no records, tags or keys of another length, and bytes over maxBodySize', async () => {
      const store = batching(context.store);
      const batch = jsonBatch(records('bad', 2));
      await expectEddyError(() => store.appendEncoded('bad', 0, { ...batch, count: 0 }), 'EMPTY_BATCH');
      await expectEddyError(() => store.appendEncoded('bad', 0, { ...batch, tags: ['one'] }), 'INVALID_ARGUMENT');
      await expectEddyError(
        () => store.appendEncoded('bad', 0, { ...batch, keys: [['a'], ['b'], ['c']] }),
        'INVALID_ARGUMENT',
      );
      await expectEddyError(() => store.appendEncoded('bad', -1, batch), 'INVALID_ARGUMENT');
      const huge = new Uint8Array((harness.maxBodySize ?? 4 * 1024 * 1024) + 1);
      await expectEddyError(() => store.appendEncoded('bad', 0, { ...batch, bytes: huge }), 'MESSAGE_TOO_LARGE');
      expect(await store.queueRange('bad', 0)).toBeUndefined();
    });

    if (harness.durable) {
      it('batches survive close and reopen', async () => {
        const store = batching(context.store);
        await store.appendEncoded('kept', 0, jsonBatch(records('k', 3, () => ({ keys: ['same'] }))));
        const before = await store.read('kept', 0, 0);
        const reopened = batching(await context.reopen());
        const after = await reopened.read('kept', 0, 0);
        expect(after).toEqual(before);
        expect(bodies(await reopened.findByKey('kept', 'same'))).toEqual(['k-2', 'k-1', 'k-0']);
        expect(await reopened.appendEncoded('kept', 0, jsonBatch(records('l', 1)))).toMatchObject({ baseOffset: 3 });
      });
    }
  });
}
