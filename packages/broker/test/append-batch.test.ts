import { Permission } from '@eddy/message';
import { afterEach, describe, expect, it } from 'vitest';
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
});
