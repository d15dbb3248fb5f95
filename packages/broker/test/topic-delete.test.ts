import { createMessage, silentLogger } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock, makeTempDir } from '@eddy/testkit';
import { describe, expect, it } from 'vitest';
import { type Broker, createBroker } from '../src/index.js';

const bodies = (messages: readonly { readonly body: Uint8Array }[]): string[] =>
  messages.map(({ body }) => Buffer.from(body).toString());

// Old topic: 12 messages, group 'pop-g' popped and acked 10 (committed 10), group 'pull-g' committed 10.
async function useOldTopic(broker: Broker, clock: FakeClock): Promise<void> {
  await broker.topics.create({ name: 't', queueCount: 1 });
  for (let index = 0; index < 12; index++)
    await broker.send(createMessage({ topic: 't', body: `old-${index}` }, { clock }));
  const popped = await broker.pop({
    group: 'pop-g',
    topic: 't',
    clientId: 'c',
    maxMessages: 10,
    invisibleDurationMs: 60_000,
  });
  for (const { receiptHandle } of popped.messages) await broker.ack('pop-g', 't', receiptHandle);
  expect(await broker.offsets.committed('pop-g', 't', 0)).toBe(10);
  await broker.offsets.commit('pull-g', 't', 0, 10);
  // One delivery left in flight, one offset of a broadcasting member.
  await broker.pop({ group: 'pop-g', topic: 't', clientId: 'c', maxMessages: 1, invisibleDurationMs: 60_000 });
  await broker.offsets.commit('bc-g', 't', 0, 10, { clientId: 'm1' });
  await broker.topics.create({ name: 'other', queueCount: 1 });
  await broker.offsets.commit('pull-g', 'other', 0, 5);
}

async function recreateAndSend(broker: Broker, clock: FakeClock): Promise<void> {
  expect(await broker.topics.delete('t')).toBe(true);
  await broker.topics.create({ name: 't', queueCount: 1 });
  for (let index = 0; index < 3; index++)
    await broker.send(createMessage({ topic: 't', body: `new-${index}` }, { clock }));
}

async function expectFreshStart(broker: Broker): Promise<void> {
  expect(await broker.offsets.committed('pull-g', 't', 0)).toBeUndefined();
  expect(await broker.offsets.committed('bc-g', 't', 0, { clientId: 'm1' })).toBeUndefined();
  expect(await broker.offsets.committed('pull-g', 'other', 0)).toBe(5);
  const popped = await broker.pop({
    group: 'pop-g',
    topic: 't',
    clientId: 'c',
    maxMessages: 10,
    invisibleDurationMs: 60_000,
  });
  expect(bodies(popped.messages.map(({ message }) => message))).toEqual(['new-0', 'new-1', 'new-2']);
  // A pull consumer without a committed offset starts at the first offset (FIRST_OFFSET): 0.
  const pulled = await broker.pull({
    group: 'pull-g',
    topic: 't',
    queueId: 0,
    offset: 0,
    maxMessages: 10,
    pollTimeoutMs: 0,
  });
  expect(bodies(pulled.messages)).toEqual(['new-0', 'new-1', 'new-2']);
}

describe('deleting and re-creating a topic', () => {
  it('forgets offsets and pop state (memory store)', async () => {
    const clock = new FakeClock();
    const store = await openMemoryStore({ clock });
    const broker = createBroker({ store, clock });
    await broker.start();
    await useOldTopic(broker, clock);
    await recreateAndSend(broker, clock);
    await expectFreshStart(broker);
    await broker.close();
    await store.close();
  });

  it('forgets offsets and pop state across a restart (CommitLog store)', async () => {
    const temp = await makeTempDir('broker-topic-delete');
    const clock = new FakeClock();
    const open = (): Promise<MessageStore> =>
      openCommitLogStore({
        dir: temp.path,
        clock,
        logger: silentLogger,
        segmentSize: 1024 * 1024,
        maxBodySize: 64 * 1024,
        diskMaxUsedRatio: 1,
      });
    try {
      let store = await open();
      let broker = createBroker({ store, clock });
      await broker.start();
      await useOldTopic(broker, clock);
      await recreateAndSend(broker, clock);
      await broker.close();
      await store.close();
      store = await open();
      broker = createBroker({ store, clock });
      await broker.start();
      expect(await store.metadata.scan('consume/pop/')).toEqual([]);
      await expectFreshStart(broker);
      await broker.close();
      await store.close();
    } finally {
      await temp.remove();
    }
  });

  it('runs onTopicDeleted listeners after the delete, until unsubscribed', async () => {
    const store = await openMemoryStore();
    const broker = createBroker({ store });
    const seen: string[] = [];
    const unsubscribe = broker.onTopicDeleted(async (topic) => {
      seen.push(`${topic}:${(await broker.topics.get(topic)) === undefined ? 'gone' : 'there'}`);
    });
    await broker.topics.create({ name: 'a' });
    await broker.topics.delete('a');
    unsubscribe();
    await broker.topics.create({ name: 'b' });
    await broker.topics.delete('b');
    expect(seen).toEqual(['a:gone']);
    await broker.close();
    await store.close();
  });
});
