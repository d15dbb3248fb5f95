import { createMessage, encodedRecordSize, type Message, MessageIdGenerator, type StoredMessage } from '@eddy/message';
import {
  compareKeys,
  DEFAULT_READ_MAX_BYTES,
  DEFAULT_READ_MAX_MESSAGES,
  DEFAULT_READ_MAX_SCAN,
  type MessageStore,
  type MetadataOperation,
  type ReadOptions,
} from '@eddy/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectFilteredRead, expectOk, plainMessage, readToEnd } from './assertions.js';
import { type StoreHarness, StoreSession } from './harness.js';
import { ManualClock } from './manual-clock.js';

const TOPICS = ['alpha', 'beta', 'gamma'] as const;
const TAGS = [undefined, 'A', 'B', 'C'] as const;
const KEYS = ['k1', 'k2', 'ключ', '🔑'] as const;
// Keys whose UTF-8 order differs from their UTF-16 order, and prefixes of each other.
const METADATA_KEYS = [
  'a',
  'a/1',
  'a/10',
  'a/2',
  'b',
  '\u00e9',
  '\uFF61',
  '\u{1F600}',
  'a/\u{1F600}',
  'a/\uFF61',
] as const;
const SCAN_PREFIXES = ['', 'a', 'a/', 'a/1', 'b', '\uFF61', '\u{1F600}', 'z'] as const;

interface MessageSpec {
  readonly tag: string | undefined;
  readonly keys: string[];
  readonly body: Uint8Array;
}

type Operation =
  | { readonly kind: 'append'; readonly topic: string; readonly queueId: number; readonly messages: MessageSpec[] }
  | { readonly kind: 'clock'; readonly delta: number }
  | {
      readonly kind: 'read';
      readonly topic: string;
      readonly queueId: number;
      readonly at: 'below' | 'min' | 'inside' | 'max' | 'above';
      readonly fraction: number;
      readonly options: ReadOptions;
    }
  | { readonly kind: 'trim'; readonly topic: string; readonly queueId: number; readonly offset: number }
  | { readonly kind: 'deleteTopic'; readonly topic: string }
  | { readonly kind: 'retention'; readonly age: number }
  | { readonly kind: 'offsetForTimestamp'; readonly topic: string; readonly queueId: number; readonly age: number }
  | { readonly kind: 'findById'; readonly pick: number }
  | { readonly kind: 'findByKey'; readonly topic: string; readonly key: string; readonly limit: number | undefined }
  | { readonly kind: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'batch'; readonly operations: MetadataOperation[] }
  | { readonly kind: 'scan'; readonly prefix: string; readonly limit: number | undefined }
  | { readonly kind: 'reopen' };

function operations(durable: boolean): fc.Arbitrary<Operation[]> {
  const topic = fc.constantFrom(...TOPICS);
  const queueId = fc.integer({ min: 0, max: 2 });
  const metadataKey = fc.constantFrom(...METADATA_KEYS);
  const value = fc.uint8Array({ maxLength: 16 });
  const messageSpec = fc.record({
    tag: fc.constantFrom(...TAGS),
    keys: fc.subarray([...KEYS]),
    body: fc.uint8Array({ maxLength: 200 }),
  });
  const metadataOperation: fc.Arbitrary<MetadataOperation> = fc.oneof(
    fc.record({ type: fc.constant('put' as const), key: metadataKey, value }),
    fc.record({ type: fc.constant('delete' as const), key: metadataKey }),
  );
  const readOptions: fc.Arbitrary<ReadOptions> = fc.record(
    {
      maxMessages: fc.integer({ min: 1, max: 8 }),
      maxBytes: fc.integer({ min: 1, max: 1500 }),
      tags: fc.constantFrom(['A'], ['B'], ['A', 'C'], ['*']),
      maxScan: fc.integer({ min: 1, max: 6 }),
    },
    { requiredKeys: [] },
  );
  const arbitraries: fc.WeightedArbitrary<Operation>[] = [
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('append' as const),
        topic,
        queueId,
        messages: fc.array(messageSpec, { minLength: 1, maxLength: 5 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('clock' as const), delta: fc.integer({ min: -3000, max: 3000 }) }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        topic,
        queueId,
        at: fc.constantFrom('below' as const, 'min' as const, 'inside' as const, 'max' as const, 'above' as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        options: readOptions,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('trim' as const), topic, queueId, offset: fc.nat({ max: 30 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteTopic' as const), topic }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const), age: fc.nat({ max: 6000 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('offsetForTimestamp' as const),
        topic,
        queueId,
        age: fc.integer({ min: -1000, max: 6000 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('findById' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('findByKey' as const),
        topic,
        key: fc.constantFrom(...KEYS),
        limit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('put' as const), key: metadataKey, value }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: metadataKey }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('batch' as const),
        operations: fc.array(metadataOperation, { minLength: 1, maxLength: 6 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('scan' as const),
        prefix: fc.constantFrom(...SCAN_PREFIXES),
        limit: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      }),
    },
  ];
  if (durable) arbitraries.push({ weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) });
  return fc.array(fc.oneof(...arbitraries), { minLength: 1, maxLength: 40 });
}

interface HistoryEntry {
  readonly queue: ModelQueue;
  readonly topic: string;
  readonly message: ModelMessage;
}

interface ModelMessage {
  readonly stored: StoredMessage;
  /** Global append order: what "newest" means for the look-ups. */
  readonly sequence: number;
}

class ModelQueue {
  minOffset = 0;
  /** Every message ever appended, indexed by offset, readable or not. */
  readonly messages: ModelMessage[] = [];
  lastStoreTimestamp = Number.NEGATIVE_INFINITY;

  constructor(readonly queueId: number) {}

  get maxOffset(): number {
    return this.messages.length;
  }

  get range() {
    return { queueId: this.queueId, minOffset: this.minOffset, maxOffset: this.maxOffset };
  }

  readable(): ModelMessage[] {
    return this.messages.slice(this.minOffset);
  }
}

/** The contract, as simply as it can be said: what the store under test is compared with. */
class StoreModel {
  readonly topics = new Map<string, Map<number, ModelQueue>>();
  readonly metadata = new Map<string, Uint8Array>();
  /** Every message ever appended, for picking ids to look up, deleted ones too. */
  readonly history: HistoryEntry[] = [];
  highestStoreTimestamp = Number.NEGATIVE_INFINITY;
  sequence = 0;

  queue(topic: string, queueId: number): ModelQueue | undefined {
    return this.topics.get(topic)?.get(queueId);
  }

  ensureQueue(topic: string, queueId: number): ModelQueue {
    let queues = this.topics.get(topic);
    if (queues === undefined) {
      queues = new Map();
      this.topics.set(topic, queues);
    }
    let queue = queues.get(queueId);
    if (queue === undefined) {
      queue = new ModelQueue(queueId);
      queues.set(queueId, queue);
    }
    return queue;
  }

  isReadable(entry: HistoryEntry): boolean {
    return (
      this.queue(entry.topic, entry.queue.queueId) === entry.queue &&
      entry.message.stored.queueOffset >= entry.queue.minOffset
    );
  }

  ranges(topic: string) {
    return [...(this.topics.get(topic)?.values() ?? [])]
      .sort((a, b) => a.queueId - b.queueId)
      .map((queue) => queue.range);
  }
}

function readOffset(queue: ModelQueue, operation: Extract<Operation, { kind: 'read' }>): number {
  switch (operation.at) {
    case 'below':
      return Math.max(0, queue.minOffset - 1);
    case 'min':
      return queue.minOffset;
    case 'inside':
      return queue.minOffset + Math.floor(operation.fraction * (queue.maxOffset - queue.minOffset));
    case 'max':
      return queue.maxOffset;
    case 'above':
      return queue.maxOffset + 1 + Math.floor(operation.fraction * 3);
  }
}

function unfilteredRead(queue: ModelQueue, offset: number, options: ReadOptions): ModelMessage[] {
  const maxMessages = options.maxMessages ?? DEFAULT_READ_MAX_MESSAGES;
  const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
  const result: ModelMessage[] = [];
  let bytes = 0;
  for (let position = offset; position < queue.maxOffset && result.length < maxMessages; position++) {
    const message = queue.messages[position] as ModelMessage;
    const size = encodedRecordSize(message.stored);
    if (result.length > 0 && bytes + size > maxBytes) break;
    result.push(message);
    bytes += size;
  }
  return result;
}

async function expectSameState(store: MessageStore, model: StoreModel): Promise<void> {
  const topics = [...model.topics.keys()].filter((topic) => (model.topics.get(topic)?.size ?? 0) > 0).sort();
  expect(await store.listTopics()).toEqual(topics);
  for (const topic of topics) {
    expect(await store.listQueues(topic), topic).toEqual(model.ranges(topic));
    for (const queue of model.topics.get(topic)?.values() ?? []) {
      const stored = await readToEnd(store, topic, queue.queueId, queue.minOffset);
      expect(stored.map(plainMessage), `${topic}/${queue.queueId}`).toEqual(
        queue.readable().map((message) => plainMessage(message.stored)),
      );
    }
  }
  const entries = [...model.metadata.entries()].sort(([a], [b]) => compareKeys(a, b));
  expect((await store.metadata.scan('')).map((entry) => [entry.key, [...entry.value]])).toEqual(
    entries.map(([key, value]) => [key, [...value]]),
  );
}

async function apply(
  operation: Operation,
  store: MessageStore,
  model: StoreModel,
  clock: ManualClock,
  makeMessage: (topic: string, spec: MessageSpec) => Message,
): Promise<void> {
  switch (operation.kind) {
    case 'append': {
      const { topic, queueId } = operation;
      const messages = operation.messages.map((spec) => makeMessage(topic, spec));
      const result = await store.append(topic, queueId, messages);
      const queue = model.ensureQueue(topic, queueId);
      expect(result.baseOffset).toBe(queue.maxOffset);
      expect(result.nextOffset).toBe(queue.maxOffset + messages.length);
      expect(result.storeTimestamp).toBeGreaterThanOrEqual(queue.lastStoreTimestamp);
      // Only a clock behind an earlier store time lets an engine stamp anything but now().
      if (clock.now() >= model.highestStoreTimestamp) expect(result.storeTimestamp).toBe(clock.now());
      for (const message of messages) {
        const stored: StoredMessage = {
          ...message,
          queueId,
          queueOffset: queue.maxOffset,
          storeTimestamp: result.storeTimestamp,
        };
        const modelMessage = { stored, sequence: model.sequence++ };
        queue.messages.push(modelMessage);
        model.history.push({ queue, topic, message: modelMessage });
      }
      queue.lastStoreTimestamp = result.storeTimestamp;
      model.highestStoreTimestamp = Math.max(model.highestStoreTimestamp, result.storeTimestamp);
      return;
    }
    case 'clock':
      clock.set(clock.now() + operation.delta);
      return;
    case 'read': {
      const queue = model.queue(operation.topic, operation.queueId);
      if (queue === undefined) {
        expect(await store.read(operation.topic, operation.queueId, 0, operation.options)).toEqual({
          status: 'unknown-queue',
        });
        return;
      }
      const offset = readOffset(queue, operation);
      const result = await store.read(operation.topic, operation.queueId, offset, operation.options);
      if (offset < queue.minOffset || offset > queue.maxOffset) {
        expect(result).toEqual({
          status: 'offset-out-of-range',
          minOffset: queue.minOffset,
          maxOffset: queue.maxOffset,
        });
        return;
      }
      const ok = expectOk(result);
      expect({ minOffset: ok.minOffset, maxOffset: ok.maxOffset }).toEqual({
        minOffset: queue.minOffset,
        maxOffset: queue.maxOffset,
      });
      const tags = operation.options.tags;
      if (tags === undefined || tags.includes('*')) {
        const expected = unfilteredRead(queue, offset, operation.options);
        expect(ok.messages.map(plainMessage)).toEqual(expected.map((message) => plainMessage(message.stored)));
        expect(ok.nextOffset).toBe(offset + expected.length);
        return;
      }
      const all = queue.messages.map((message) => message.stored);
      expectFilteredRead(ok, all, offset, new Set(tags), operation.options.maxScan ?? DEFAULT_READ_MAX_SCAN);
      expect(ok.messages.length).toBeLessThanOrEqual(operation.options.maxMessages ?? DEFAULT_READ_MAX_MESSAGES);
      const bytes = ok.messages.reduce((sum, message) => sum + encodedRecordSize(message), 0);
      if (ok.messages.length > 1)
        expect(bytes).toBeLessThanOrEqual(operation.options.maxBytes ?? DEFAULT_READ_MAX_BYTES);
      expect(ok.messages.map(plainMessage)).toEqual(
        ok.messages.map((message) => plainMessage(all[message.queueOffset] as StoredMessage)),
      );
      return;
    }
    case 'trim': {
      const queue = model.queue(operation.topic, operation.queueId);
      const range = await store.deleteRecordsBefore(operation.topic, operation.queueId, operation.offset);
      if (queue === undefined) {
        expect(range).toBeUndefined();
        return;
      }
      queue.minOffset = Math.max(queue.minOffset, Math.min(operation.offset, queue.maxOffset));
      expect(range).toEqual(queue.range);
      return;
    }
    case 'deleteTopic':
      expect(await store.deleteTopic(operation.topic)).toBe(model.topics.has(operation.topic));
      model.topics.delete(operation.topic);
      return;
    case 'retention': {
      const storedBefore = clock.now() - operation.age;
      const report = await store.enforceRetention({ storedBefore });
      const moved: { topic: string; queueId: number; minOffset: number; maxOffset: number }[] = [];
      for (const [topic, queues] of model.topics) {
        for (const queue of queues.values()) {
          const firstKept = queue.readable().find((message) => message.stored.storeTimestamp >= storedBefore);
          const finest = firstKept === undefined ? queue.maxOffset : firstKept.stored.queueOffset;
          const range = await store.queueRange(topic, queue.queueId);
          expect(range?.maxOffset).toBe(queue.maxOffset);
          const minOffset = range?.minOffset as number;
          expect(minOffset, `${topic}/${queue.queueId} min`).toBeGreaterThanOrEqual(queue.minOffset);
          expect(minOffset, `${topic}/${queue.queueId} min`).toBeLessThanOrEqual(finest);
          if (store.capabilities.retention === 'message') expect(minOffset).toBe(finest);
          if (minOffset !== queue.minOffset) moved.push({ topic, ...queue.range, minOffset });
          queue.minOffset = minOffset;
        }
      }
      const order = (a: { topic: string; queueId: number }, b: { topic: string; queueId: number }) =>
        a.topic === b.topic ? a.queueId - b.queueId : a.topic < b.topic ? -1 : 1;
      expect([...report.queues].sort(order)).toEqual(moved.sort(order));
      return;
    }
    case 'offsetForTimestamp': {
      const timestamp = clock.now() - operation.age;
      const found = model
        .queue(operation.topic, operation.queueId)
        ?.readable()
        .find((message) => message.stored.storeTimestamp >= timestamp);
      expect(await store.offsetForTimestamp(operation.topic, operation.queueId, timestamp)).toBe(
        found?.stored.queueOffset,
      );
      return;
    }
    case 'findById': {
      if (model.history.length === 0) return;
      const entry = model.history[operation.pick % model.history.length] as HistoryEntry;
      const found = await store.findById(entry.message.stored.messageId);
      if (model.isReadable(entry))
        expect(plainMessage(found as StoredMessage)).toEqual(plainMessage(entry.message.stored));
      else expect(found).toBeUndefined();
      return;
    }
    case 'findByKey': {
      const matching = [...(model.topics.get(operation.topic)?.values() ?? [])]
        .flatMap((queue) => queue.readable())
        .filter((message) => message.stored.keys.includes(operation.key))
        .sort((a, b) => b.sequence - a.sequence)
        .slice(0, operation.limit ?? 64);
      const found = await store.findByKey(
        operation.topic,
        operation.key,
        operation.limit === undefined ? undefined : { limit: operation.limit },
      );
      expect(found.map(plainMessage)).toEqual(matching.map((message) => plainMessage(message.stored)));
      return;
    }
    case 'put':
      await store.metadata.put(operation.key, operation.value);
      model.metadata.set(operation.key, operation.value.slice());
      return;
    case 'delete':
      expect(await store.metadata.delete(operation.key)).toBe(model.metadata.has(operation.key));
      model.metadata.delete(operation.key);
      return;
    case 'batch':
      await store.metadata.batch(operation.operations);
      for (const change of operation.operations) {
        if (change.type === 'put') model.metadata.set(change.key, change.value.slice());
        else model.metadata.delete(change.key);
      }
      return;
    case 'scan': {
      const expected = [...model.metadata.entries()]
        .filter(([key]) => key.startsWith(operation.prefix))
        .sort(([a], [b]) => compareKeys(a, b))
        .slice(0, operation.limit ?? Number.POSITIVE_INFINITY);
      const scanned = await store.metadata.scan(
        operation.prefix,
        operation.limit === undefined ? undefined : { limit: operation.limit },
      );
      expect(scanned.map((entry) => [entry.key, [...entry.value]])).toEqual(
        expected.map(([key, value]) => [key, [...value]]),
      );
      return;
    }
    case 'reopen':
      throw new Error('reopen is applied by the runner');
  }
}

/**
 * Registers the randomized test: random sequences of appends, reads, trims, deletions, retention,
 * look-ups, metadata changes and (for durable engines) reopens, each checked against a small model.
 */
export function describeModelBased(harness: StoreHarness, options: { numRuns?: number } = {}): void {
  describe('model-based', () => {
    it('agrees with a simple model over random operation sequences', async () => {
      await fc.assert(
        fc.asyncProperty(operations(harness.durable), async (sequence) => {
          const session = new StoreSession(harness);
          const clock = new ManualClock();
          const ids = new MessageIdGenerator({ now: () => clock.now() });
          const makeMessage = (topic: string, spec: MessageSpec) =>
            createMessage({ topic, tag: spec.tag, keys: spec.keys, body: spec.body }, { clock, ids });
          const model = new StoreModel();
          try {
            const dir = await session.makeDir();
            let store = await session.open(dir, clock);
            for (const operation of sequence) {
              if (operation.kind === 'reopen') {
                await store.close();
                store = await session.open(dir, clock);
                await expectSameState(store, model);
              } else {
                await apply(operation, store, model, clock, makeMessage);
              }
            }
            await expectSameState(store, model);
          } finally {
            await session.dispose();
          }
        }),
        { numRuns: options.numRuns ?? 50 },
      );
    }, 120_000);
  });
}
