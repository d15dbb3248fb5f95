import { Permission, SystemTopic } from '@eddy/message';
import { openMemoryStore } from '@eddy/store-memory';
import { FakeClock } from '@eddy/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, TOPIC_CONFIG_PREFIX } from '../src/index.js';
import { codeOf, errorOf, type MemoryBroker, memoryBroker } from './fixture.js';

describe('createBroker config', () => {
  it('names the bad field and refuses unknown ones', async () => {
    const store = await openMemoryStore();
    const error = await errorOf(Promise.resolve().then(() => createBroker({ store, defaultQueueCount: 0 })));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('defaultQueueCount');
    const unknown = await errorOf(
      Promise.resolve().then(() => createBroker({ store, ...({ autoCreateTopic: true } as object) })),
    );
    expect(unknown.message).toContain('autoCreateTopic');
    expect(createBroker({ store }).config).toEqual(
      expect.objectContaining({ autoCreateTopics: true, defaultQueueCount: 4, brokerName: 'broker-a' }),
    );
    await store.close();
  });
});

describe('topics', () => {
  let fixture: MemoryBroker;
  afterEach(() => fixture.close());

  it('creates with defaults, lists, updates and deletes, config and data', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    const created = await broker.topics.create({ name: 'orders' });
    expect(created).toEqual({
      name: 'orders',
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: Permission.READ | Permission.WRITE,
      messageType: 'MIXED',
      retentionMs: undefined,
    });
    await broker.topics.create({ name: 'audit', queueCount: 2, writeQueueNums: 1, messageType: 'FIFO' });
    expect(
      (await broker.topics.list()).map(({ name, readQueueNums, writeQueueNums }) => [
        name,
        readQueueNums,
        writeQueueNums,
      ]),
    ).toEqual([
      ['audit', 2, 1],
      ['orders', 4, 4],
    ]);
    const updated = await broker.topics.update('orders', { queueCount: 8, retentionMs: 60_000 });
    expect(updated).toEqual(expect.objectContaining({ readQueueNums: 8, writeQueueNums: 8, retentionMs: 60_000 }));
    expect(await broker.topics.get('orders')).toEqual(updated);

    await broker.send(message({ topic: 'orders', body: 'x' }));
    expect(await broker.store.listTopics()).toContain('orders');
    expect(await broker.topics.delete('orders')).toBe(true);
    expect(await broker.topics.get('orders')).toBeUndefined();
    expect(await broker.store.listTopics()).not.toContain('orders');
    expect(await broker.topics.delete('orders')).toBe(false);
  });

  it('refuses duplicates, bad names, reserved names and bad counts, naming the problem', async () => {
    fixture = await memoryBroker();
    const { topics } = fixture.broker;
    await topics.create({ name: 'orders' });
    expect(await codeOf(topics.create({ name: 'orders' }))).toBe('TOPIC_EXISTS');
    expect(await codeOf(topics.create({ name: 'bad name' }))).toBe('INVALID_NAME');
    expect(await codeOf(topics.create({ name: '%RETRY%g' }))).toBe('INVALID_NAME');
    expect(await codeOf(topics.create({ name: SystemTopic.SCHEDULE }))).toBe('RESERVED_NAME');
    const zero = await errorOf(topics.create({ name: 'empty', queueCount: 0 }));
    expect(zero.code).toBe('INVALID_ARGUMENT');
    expect(zero.message).toContain('queueCount');
    expect(await codeOf(topics.update('orders', { perm: 16 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(topics.update('nope', { perm: 4 }))).toBe('UNKNOWN_TOPIC');
    expect(await topics.get('empty')).toBeUndefined();
  });

  it('auto-creates on the first send and the first pop when allowed', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    const sent = await broker.send(message({ topic: 'auto-send', body: 'x' }));
    expect(sent.topic).toBe('auto-send');
    expect(await broker.topics.get('auto-send')).toEqual(
      expect.objectContaining({ readQueueNums: 4, writeQueueNums: 4 }),
    );
    await broker.pop({ group: 'g', topic: 'auto-pop', clientId: 'c', maxMessages: 1, invisibleDurationMs: 1000 });
    expect(await broker.topics.get('auto-pop')).toBeDefined();
    expect(await broker.topics.resolve('auto-resolve', { autoCreate: false }).catch((error) => error.code)).toBe(
      'UNKNOWN_TOPIC',
    );
  });

  it('refuses unknown topics with auto-create off, with a clear message', async () => {
    fixture = await memoryBroker({ autoCreateTopics: false });
    const { broker, message } = fixture;
    const error = await errorOf(broker.send(message({ topic: 'missing', body: 'x' })));
    expect(error.code).toBe('UNKNOWN_TOPIC');
    expect(error.message).toBe(
      "topic 'missing' does not exist; create it first (auto-create is off: autoCreateTopics = false)",
    );
    expect(
      await codeOf(broker.pop({ group: 'g', topic: 'missing', clientId: 'c', maxMessages: 1, invisibleDurationMs: 1 })),
    ).toBe('UNKNOWN_TOPIC');
    expect(await broker.topics.list()).toEqual([]);
    expect((await broker.topics.resolve('missing', { autoCreate: true })).name).toBe('missing');
  });

  it('resolves system topics without a config', async () => {
    fixture = await memoryBroker({ autoCreateTopics: false });
    const { topics } = fixture.broker;
    expect((await topics.resolve('%RETRY%g')).readQueueNums).toBe(1);
    expect((await topics.resolve('%DLQ%g')).writeQueueNums).toBe(1);
    expect((await topics.resolve(SystemTopic.TRANSACTION_HALF)).readQueueNums).toBe(1);
    expect((await topics.resolve(SystemTopic.SCHEDULE)).readQueueNums).toBe(18);
    expect(await topics.list()).toEqual([]);
    expect(await codeOf(topics.resolve('bad name'))).toBe('INVALID_NAME');
  });

  it('enforces write and read permission', async () => {
    fixture = await memoryBroker();
    const { broker, message } = fixture;
    await broker.topics.create({ name: 'read-only', perm: Permission.READ });
    await broker.topics.create({ name: 'write-only', perm: Permission.WRITE });
    const denied = await errorOf(broker.send(message({ topic: 'read-only', body: 'x' })));
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.message).toContain("'read-only'");
    await broker.send(message({ topic: 'write-only', body: 'x' }));
    expect(
      await codeOf(
        broker.pop({ group: 'g', topic: 'write-only', clientId: 'c', maxMessages: 1, invisibleDurationMs: 1 }),
      ),
    ).toBe('PERMISSION_DENIED');
    expect(
      await codeOf(
        broker.pull({ group: 'g', topic: 'write-only', queueId: 0, offset: 0, maxMessages: 1, pollTimeoutMs: 0 }),
      ),
    ).toBe('PERMISSION_DENIED');
    await broker.topics.update('read-only', { perm: Permission.READ | Permission.WRITE });
    expect((await broker.send(message({ topic: 'read-only', body: 'x' }))).kind).toBe('normal');
  });

  it('keeps configs in store metadata: a new broker over the same store sees them', async () => {
    fixture = await memoryBroker();
    const { broker, store } = fixture;
    await broker.topics.create({ name: 'kept', queueCount: 3 });
    expect((await store.metadata.scan(TOPIC_CONFIG_PREFIX)).map(({ key }) => key)).toEqual(['broker/topic/kept']);
    await broker.close();
    const again = createBroker({ store, clock: new FakeClock() });
    expect(await again.topics.get('kept')).toEqual(expect.objectContaining({ readQueueNums: 3 }));
    await again.close();
  });

  it('makes one topic when an auto-create races an admin create', async () => {
    fixture = await memoryBroker();
    const { broker } = fixture;
    const [resolved, created] = await Promise.allSettled([
      broker.topics.resolve('race'),
      broker.topics.create({ name: 'race', queueCount: 9 }),
    ]);
    // Whichever wins, there is one topic and both callers agree on it.
    const stored = await broker.topics.get('race');
    expect(resolved.status === 'fulfilled' ? resolved.value : undefined).toEqual(stored);
    if (created.status === 'fulfilled') expect(created.value).toEqual(stored);
    else expect((created.reason as { code: string }).code).toBe('TOPIC_EXISTS');
    expect((await broker.topics.list()).length).toBe(1);
  });
});
