import { createMessageFilter } from '@eddy/consume';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, type MemoryBroker, memoryBroker, text } from './fixture.js';

describe('pull, lag and metrics', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('pulls by offset with a filter, and long-polls until a send', async () => {
    fixture = await memoryBroker();
    const { broker, message, clock } = fixture;
    await broker.topics.create({ name: 't', queueCount: 1 });
    for (const tag of ['a', 'b', 'a']) await broker.send(message({ topic: 't', body: tag, tag }));
    const filter = createMessageFilter({ type: 'TAG', expression: 'a' });
    const pulled = await broker.pull({
      group: 'g',
      topic: 't',
      queueId: 0,
      offset: 0,
      maxMessages: 10,
      pollTimeoutMs: 0,
      filter: { tags: filter.tags, matches: (candidate) => filter.matches(candidate) },
    });
    expect(pulled.status).toBe('found');
    expect(pulled.messages.map(({ queueOffset }) => queueOffset)).toEqual([0, 2]);
    expect(pulled.nextOffset).toBe(3);

    const held = broker.pull({ group: 'g', topic: 't', queueId: 0, offset: 3, maxMessages: 10, pollTimeoutMs: 15_000 });
    await clock.advance(100);
    await broker.send(message({ topic: 't', body: 'new' }));
    const woken = await held;
    expect(woken.messages.map(text)).toEqual(['new']);
    expect(
      await codeOf(
        broker.pull({ group: 'g', topic: 'unknown', queueId: 0, offset: 0, maxMessages: 1, pollTimeoutMs: 0 }),
      ),
    ).toBe('UNKNOWN_TOPIC');
  });

  it('reports lag per queue from committed offsets, for one topic or every topic of the group', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 't', queueCount: 2 });
    await broker.topics.create({ name: 'u', queueCount: 1 });
    for (let index = 0; index < 6; index++) await broker.send(message({ topic: 't', body: `${index}` }));
    await broker.send(message({ topic: 'u', body: 'x' }));
    await broker.offsets.commit('g', 't', 0, 1);
    await broker.offsets.commit('g', 't', 1, 3);
    await broker.offsets.commit('g', 'u', 0, 0);
    expect(await broker.lag('g', 't')).toEqual([
      { group: 'g', topic: 't', queueId: 0, committedOffset: 1, maxOffset: 3, lag: 2 },
      { group: 'g', topic: 't', queueId: 1, committedOffset: 3, maxOffset: 3, lag: 0 },
    ]);
    expect((await broker.lag('g')).map(({ topic, queueId, lag }) => [topic, queueId, lag])).toEqual([
      ['t', 0, 2],
      ['t', 1, 0],
      ['u', 0, 1],
    ]);
    expect(await broker.lag('nobody')).toEqual([]);
  });

  it('counts messages and bytes in per topic on send, and out on pop and pull', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.send(message({ topic: 't', body: 'abc' }));
    await broker.send(message({ topic: 't', body: 'de' }));
    await broker.send(message({ topic: 'u', body: 'f' }));
    await broker.pop({ group: 'g', topic: 't', clientId: 'c', maxMessages: 10, invisibleDurationMs: 1000 });
    for (let queueId = 0; queueId < 4; queueId++) {
      await broker.pull({ group: 'h', topic: 'u', queueId, offset: 0, maxMessages: 10, pollTimeoutMs: 0 });
    }
    expect(broker.metrics()).toEqual({
      topics: {
        t: { messagesIn: 2, bytesIn: 5, messagesOut: 2, bytesOut: 5 },
        u: { messagesIn: 1, bytesIn: 1, messagesOut: 1, bytesOut: 1 },
      },
      scheduledPending: 0,
      transactionsPending: 0,
    });
  });
});
