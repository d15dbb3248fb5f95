import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Permission } from '@eddy/message';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { conformanceBatchDecoder, jsonBatch } from '@eddy/store-conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker } from '../src/index.js';
import { codeOf, type MemoryBroker, memoryBroker, text } from './fixture.js';

describe('appendBatch', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('appends the batch to the given queue with contiguous offsets and counts it in', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    await broker.send(message({ topic: 't', body: 'first' }), { queueId: 1 });
    const result = await broker.appendBatch(
      't',
      1,
      ['a', 'b', 'c'].map((body) => message({ topic: 't', body })),
    );
    expect([result.baseOffset, result.nextOffset]).toEqual([1, 4]);
    const read = await fixture.store.read('t', 1, 0);
    expect(read.status === 'ok' ? read.messages.map(text) : []).toEqual(['first', 'a', 'b', 'c']);
    expect(broker.metrics().topics.t?.messagesIn).toBe(4);
  });

  it('wakes a pull held on the queue', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    const held = broker.pull({ group: 'g', topic: 't', queueId: 0, offset: 0, maxMessages: 8, pollTimeoutMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    await broker.appendBatch('t', 0, [message({ topic: 't', body: 'x' })]);
    const result = await held;
    expect(result.messages.map(text)).toEqual(['x']);
  });

  it('refuses an unknown topic (without creating it), a queue that is not a write queue, and a read-only topic', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    expect(await codeOf(broker.appendBatch('nope', 0, [message({ topic: 'nope', body: 'x' })]))).toBe('UNKNOWN_TOPIC');
    expect(await broker.topics.get('nope')).toBeUndefined();
    await broker.topics.create({ name: 't', readQueueNums: 4, writeQueueNums: 2 });
    expect(await codeOf(broker.appendBatch('t', 2, [message({ topic: 't', body: 'x' })]))).toBe('INVALID_ARGUMENT');
    await broker.topics.create({ name: 'ro', queueCount: 1, perm: Permission.READ });
    expect(await codeOf(broker.appendBatch('ro', 0, [message({ topic: 'ro', body: 'x' })]))).toBe('PERMISSION_DENIED');
  });

  it('waitForAppend wakes on an append by any path: a send, appendBatch, appendEncodedBatch', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    const sent = broker.waitForAppend([{ topic: 't', queueId: 1 }], 60_000);
    const other = broker.waitForAppend([{ topic: 't', queueId: 0 }], 60_000);
    await broker.send(message({ topic: 't', body: 'x' }), { queueId: 1 });
    expect(await sent.result).toBe('notified');
    const batch = broker.waitForAppend([{ topic: 't', queueId: 0 }], 60_000);
    await broker.appendBatch('t', 0, [message({ topic: 't', body: 'y' })]);
    expect(await batch.result).toBe('notified');
    expect(await other.result).toBe('notified');
    const cancelled = broker.waitForAppend([{ topic: 't', queueId: 0 }], 60_000);
    cancelled.cancel();
    expect(await cancelled.result).toBe('timeout');
  });

  it('appendEncodedBatch stores one entry over a store that keeps encoded batches, and is refused by one that does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broker-encoded-'));
    const store = await openCommitLogStore({ dir, logger: silentLogger, batchDecoders: [conformanceBatchDecoder] });
    const broker = createBroker({ store });
    await broker.start();
    try {
      await broker.topics.create({ name: 'enc', queueCount: 1 });
      const woken = broker.waitForAppend([{ topic: 'enc', queueId: 0 }], 60_000);
      const result = await broker.appendEncodedBatch('enc', 0, jsonBatch([{ body: 'a' }, { body: 'b', tag: 'T' }]));
      expect([result.baseOffset, result.nextOffset]).toEqual([0, 2]);
      expect(await woken.result).toBe('notified');
      const read = await store.read('enc', 0, 0);
      expect(read.status === 'ok' ? read.messages.map(text) : []).toEqual(['a', 'b']);
      expect(broker.metrics().topics.enc?.messagesIn).toBe(2);
      expect(await codeOf(broker.appendEncodedBatch('enc', 1, jsonBatch([{ body: 'c' }])))).toBe('INVALID_ARGUMENT');
    } finally {
      await broker.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
    fixture = await memoryBroker();
    await fixture.broker.topics.create({ name: 'mem', queueCount: 1 });
    expect(await codeOf(fixture.broker.appendEncodedBatch('mem', 0, jsonBatch([{ body: 'a' }])))).toBe('UNSUPPORTED');
  });
});
