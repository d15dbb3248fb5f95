import { createMessage, type Message, SystemProperty } from '@eddy/message';
import { encodeJsonValue, type MessageStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELIVERY_JOURNAL_PREFIX, DeliveryJournal, type JournalEntry } from './delivery-journal.js';

const decoder = new TextDecoder();

function entry(id: string, topic: string, queueId: number): JournalEntry {
  return { deliveryId: id, topic, queueId, message: createMessage({ topic: 'SOURCE', body: `body-${id}` }) };
}

async function delivered(store: MessageStore, topic: string, queueId: number): Promise<string[]> {
  const read = await store.read(topic, queueId, 0, { maxMessages: 1000 });
  if (read.status !== 'ok') return [];
  return read.messages.map(
    (message) => `${message.properties[SystemProperty.DELIVERY_ID]}=${decoder.decode(message.body)}`,
  );
}

// The store, except that appends to `failTopic` reject: a crash in the middle of a relay, seen from the journal.
function failingAppends(store: MessageStore, failTopic: string): MessageStore {
  return new Proxy(store, {
    get(object, property) {
      if (property === 'append') {
        return (topic: string, queueId: number, messages: readonly Message[]) =>
          topic === failTopic ? Promise.reject(new Error('crash')) : object.append(topic, queueId, messages);
      }
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}

describe('DeliveryJournal', () => {
  let store: MessageStore;
  beforeEach(async () => {
    store = await openMemoryStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('relays in order per queue, stamps delivery ids, applies the bookkeeping and leaves no intent', async () => {
    const journal = new DeliveryJournal({ store, name: 'test' });
    await store.append('T', 0, [createMessage({ topic: 'T', body: 'earlier' })]);
    const relayed = await journal.relay(
      [entry('a', 'T', 0), entry('b', 'U', 1), entry('c', 'T', 0)],
      [{ type: 'put', key: 'progress', value: encodeJsonValue({ offset: 3 }) }],
    );
    expect(relayed.map((r) => `${r.deliveryId}@${r.topic}/${r.queueId}:${r.queueOffset}`).sort()).toEqual([
      'a@T/0:1',
      'b@U/1:0',
      'c@T/0:2',
    ]);
    expect(await delivered(store, 'T', 0)).toEqual(['undefined=earlier', 'a=body-a', 'c=body-c']);
    expect(await delivered(store, 'U', 1)).toEqual(['b=body-b']);
    expect(await store.metadata.get('progress')).toEqual(encodeJsonValue({ offset: 3 }));
    expect(await journal.unfinished()).toBe(0);
  });

  it('rejects a relay naming one delivery id twice, before writing anything', async () => {
    const journal = new DeliveryJournal({ store, name: 'test' });
    await expect(journal.relay([entry('a', 'T', 0), entry('a', 'T', 1)])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await journal.unfinished()).toBe(0);
    expect(await store.listTopics()).toEqual([]);
  });

  it('rejects bad journal names', () => {
    expect(() => new DeliveryJournal({ store, name: 'a/b' })).toThrow(/journal name/);
  });

  it('finishes a relay that crashed between its appends: appends only what is missing, once', async () => {
    const crashing = new DeliveryJournal({ store: failingAppends(store, 'U'), name: 'test' });
    await expect(
      crashing.relay(
        [entry('a', 'T', 0), entry('b', 'U', 0), entry('c', 'T', 0)],
        [{ type: 'put', key: 'progress', value: encodeJsonValue(7) }],
      ),
    ).rejects.toThrow('crash');
    // Another producer appends to the target queue before the restart.
    await store.append('T', 0, [createMessage({ topic: 'T', body: 'other' })]);
    expect(await store.metadata.get('progress')).toBeUndefined();

    const journal = new DeliveryJournal({ store, name: 'test' });
    expect(await journal.unfinished()).toBe(1);
    const rebuilt: string[] = [];
    const results = await journal.recover(async (id) => {
      rebuilt.push(id);
      return createMessage({ topic: 'SOURCE', body: `again-${id}` });
    });
    expect(rebuilt).toEqual(['b']);
    expect(results).toEqual([{ alreadyDelivered: ['a', 'c'], appended: ['b'], lost: [] }]);
    expect(await delivered(store, 'T', 0)).toEqual(['a=body-a', 'c=body-c', 'undefined=other']);
    expect(await delivered(store, 'U', 0)).toEqual(['b=again-b']);
    expect(await store.metadata.get('progress')).toEqual(encodeJsonValue(7));
    expect(await journal.unfinished()).toBe(0);
    // A second recovery has nothing to do.
    expect(await journal.recover(async () => undefined)).toEqual([]);
  });

  it('reports and skips an entry whose source is gone, and still finishes the relay', async () => {
    const crashing = new DeliveryJournal({ store: failingAppends(store, 'T'), name: 'test' });
    await expect(crashing.relay([entry('a', 'T', 0)])).rejects.toThrow('crash');
    const errors: string[] = [];
    const journal = new DeliveryJournal({
      store,
      name: 'test',
      logger: { info() {}, warn() {}, error: (message) => errors.push(message) },
    });
    expect(await journal.recover(async () => undefined)).toEqual([{ alreadyDelivered: [], appended: [], lost: ['a'] }]);
    expect(errors).toHaveLength(1);
    expect(await journal.unfinished()).toBe(0);
  });

  it('keeps journals of different names apart', async () => {
    const crashing = new DeliveryJournal({ store: failingAppends(store, 'T'), name: 'one' });
    await expect(crashing.relay([entry('a', 'T', 0)])).rejects.toThrow('crash');
    expect(await new DeliveryJournal({ store, name: 'two' }).unfinished()).toBe(0);
    expect(await new DeliveryJournal({ store, name: 'one' }).unfinished()).toBe(1);
  });

  it('refuses to guess when an intent record is unreadable', async () => {
    await store.metadata.put(`${DELIVERY_JOURNAL_PREFIX}test/x`, new TextEncoder().encode('{"v":2}'));
    const journal = new DeliveryJournal({ store, name: 'test' });
    await expect(journal.recover(async () => undefined)).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
  });
});
