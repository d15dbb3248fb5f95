import { createMessage, EddyError, type StoredMessage } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { ConsumerGroupRegistry } from './consumer-group-registry.js';
import { ConsumerOffsetStore } from './consumer-offset-store.js';
import { LongPollRegistry } from './long-poll.js';
import { PullService } from './pull-service.js';
import { PushConsumer, type PushConsumerOptions, type RebalanceEvent } from './push-consumer.js';

async function setUp() {
  const clock = new FakeClock();
  const store = await openMemoryStore({ clock });
  const registry = new ConsumerGroupRegistry({ clock });
  const offsets = new ConsumerOffsetStore(store.metadata);
  const pulls = new PullService({ store, longPoll: new LongPollRegistry({ clock }), clock });
  const received: StoredMessage[] = [];
  const events: RebalanceEvent[] = [];
  const make = (overrides: Partial<PushConsumerOptions> = {}): PushConsumer =>
    new PushConsumer({
      group: 'g',
      clientId: 'c1',
      subscriptions: [{ topic: 't' }],
      consumeFromWhere: 'FIRST_OFFSET',
      registry,
      offsets,
      pulls,
      store,
      clock,
      handler: (messages) => {
        received.push(...messages);
        return 'SUCCESS';
      },
      onRebalance: (event) => events.push(event),
      ...overrides,
    });
  return { clock, store, registry, offsets, pulls, received, events, make };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof EddyError ? error.code : 'not an EddyError';
  }
  return undefined;
}

describe('PushConsumer', () => {
  it('refuses bad options: a topic subscribed twice, a bad filter, a zero poll timeout', async () => {
    const { make } = await setUp();
    expect(codeOf(() => make({ subscriptions: [{ topic: 't' }, { topic: 't', expression: 'a' }] }))).toBe(
      'INVALID_CONFIG',
    );
    expect(codeOf(() => make({ subscriptions: [{ topic: 't', filterType: 'SQL92', expression: 'a >' }] }))).toBe(
      'INVALID_FILTER',
    );
    expect(codeOf(() => make({ pollTimeoutMs: 0 }))).toBe('INVALID_CONFIG');
  });

  it('heartbeats its subscription and leaves the group on stop', async () => {
    const { make, registry, clock } = await setUp();
    const consumer = make({ subscriptions: [{ topic: 't', expression: 'a || b' }] });
    await consumer.start();
    expect(consumer.running).toBe(true);
    expect(registry.members('g')).toEqual([
      expect.objectContaining({
        clientId: 'c1',
        messageModel: 'CLUSTERING',
        subscriptions: [{ topic: 't', filterType: 'TAG', expression: 'a || b' }],
        consumeFromWhere: 'FIRST_OFFSET',
      }),
    ]);
    const first = registry.member('g', 'c1')?.lastHeartbeat as number;
    await clock.advance(30_000);
    expect(registry.member('g', 'c1')?.lastHeartbeat).toBe(first + 30_000);
    await consumer.stop();
    expect(consumer.running).toBe(false);
    expect(registry.members('g')).toEqual([]);
  });

  it('finds a new queue at the next periodic rebalance and consumes it', async () => {
    const { make, pulls, clock, received, events, offsets } = await setUp();
    const consumer = make({ rebalanceIntervalMs: 20_000 });
    await consumer.start();
    expect(consumer.assignment()).toEqual([]);
    await pulls.appendAndNotify('t', 2, [createMessage({ topic: 't', body: 'x' }, { clock })]);
    await clock.advance(19_999);
    expect(received).toEqual([]);
    await clock.advance(1);
    expect(consumer.assignment()).toEqual([{ topic: 't', queueId: 2 }]);
    expect(events).toEqual([{ clientId: 'c1', topic: 't', added: [2], removed: [], assigned: [2], at: clock.now() }]);
    expect(received.map((message) => message.queueOffset)).toEqual([0]);
    expect(await offsets.committed('g', 't', 2)).toBe(1);
    await consumer.stop();
    expect(events.at(-1)).toEqual(expect.objectContaining({ removed: [2], assigned: [] }));
  });

  it('shares queues with a member that joins, at once (registry change), without waiting for the interval', async () => {
    const { make, store } = await setUp();
    for (let queueId = 0; queueId < 4; queueId++)
      await store.append('t', queueId, [createMessage({ topic: 't', body: 'x' })]);
    const one = make({ clientId: 'c1' });
    const two = make({ clientId: 'c2' });
    await one.start();
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1, 2, 3]);
    await two.start();
    await one.rebalance();
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1]);
    expect(two.assignment().map(({ queueId }) => queueId)).toEqual([2, 3]);
    await two.stop();
    await one.rebalance();
    expect(one.assignment().map(({ queueId }) => queueId)).toEqual([0, 1, 2, 3]);
    await one.stop();
  });

  it('applies its filter and commits past the messages it skips', async () => {
    const { make, pulls, clock, received, offsets } = await setUp();
    const consumer = make({ subscriptions: [{ topic: 't', filterType: 'SQL92', expression: "region = 'eu'" }] });
    await pulls.appendAndNotify('t', 0, [
      createMessage({ topic: 't', body: '1', properties: { region: 'eu' } }),
      createMessage({ topic: 't', body: '2', properties: { region: 'us' } }),
      createMessage({ topic: 't', body: '3', properties: { region: 'eu' } }),
      createMessage({ topic: 't', body: '4', properties: { region: 'us' } }),
    ]);
    await consumer.start();
    await clock.advance(0);
    expect(received.map((message) => message.queueOffset)).toEqual([0, 2]);
    expect(await offsets.committed('g', 't', 0)).toBe(4);
    await consumer.stop();
  });

  it('starts a new group at the last offset by default, and stores that start at once', async () => {
    const { make, store, clock, received, offsets, pulls } = await setUp();
    await store.append('t', 0, [createMessage({ topic: 't', body: 'old' })]);
    const consumer = make({ consumeFromWhere: 'LAST_OFFSET' });
    await consumer.start();
    await clock.advance(0);
    expect(await offsets.committed('g', 't', 0)).toBe(1);
    await pulls.appendAndNotify('t', 0, [createMessage({ topic: 't', body: 'new' })]);
    await clock.advance(0);
    expect(received.map((message) => new TextDecoder().decode(message.body))).toEqual(['new']);
    await consumer.stop();
  });
});
