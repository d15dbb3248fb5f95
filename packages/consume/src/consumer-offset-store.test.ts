import { EddyError } from '@eddy/message';
import { decodeJsonValue, encodeJsonValue, type MetadataOperation, type MetadataStore } from '@eddy/store';
import { openMemoryStore } from '@eddy/store-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsumerOffsetStore } from './consumer-offset-store.js';

async function metadataStore(): Promise<MetadataStore> {
  return (await openMemoryStore()).metadata;
}

// Counts batches, to prove commitMany is one atomic write.
function countingBatches(metadata: MetadataStore): MetadataStore & { batches: MetadataOperation[][] } {
  const batches: MetadataOperation[][] = [];
  return {
    batches,
    get: (key) => metadata.get(key),
    put: (key, value) => metadata.put(key, value),
    delete: (key) => metadata.delete(key),
    scan: (prefix, options) => metadata.scan(prefix, options),
    batch: (operations) => {
      batches.push([...operations]);
      return metadata.batch(operations);
    },
  };
}

describe('ConsumerOffsetStore', () => {
  it('is undefined before a commit, then returns the committed offset', async () => {
    const offsets = new ConsumerOffsetStore(await metadataStore());
    expect(await offsets.committed('g', 't', 0)).toBeUndefined();
    expect(await offsets.commit('g', 't', 0, 5)).toBe(true);
    expect(await offsets.committed('g', 't', 0)).toBe(5);
    expect(await offsets.committed('g', 't', 1)).toBeUndefined();
    expect(await offsets.committed('other', 't', 0)).toBeUndefined();
  });

  it('stores { offset } JSON under consume/offset/<group>/<topic>/<queueId>', async () => {
    const metadata = await metadataStore();
    await new ConsumerOffsetStore(metadata).commit('%RETRY%g', 'orders', 12, 42);
    const stored = await metadata.get('consume/offset/%RETRY%g/orders/12');
    expect(stored && decodeJsonValue(stored)).toEqual({ offset: 42 });
  });

  it('never moves an offset backwards unless forced', async () => {
    const offsets = new ConsumerOffsetStore(await metadataStore());
    await offsets.commit('g', 't', 0, 10);
    expect(await offsets.commit('g', 't', 0, 7)).toBe(false);
    expect(await offsets.committed('g', 't', 0)).toBe(10);
    expect(await offsets.commit('g', 't', 0, 10)).toBe(true);
    expect(await offsets.commit('g', 't', 0, 3, { force: true })).toBe(true);
    expect(await offsets.committed('g', 't', 0)).toBe(3);
  });

  it('keeps the highest of racing commits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 20 }), async (values) => {
        const metadata = await metadataStore();
        const offsets = new ConsumerOffsetStore(metadata);
        await Promise.all(values.map((value) => offsets.commit('g', 't', 0, value)));
        expect(await offsets.committed('g', 't', 0)).toBe(Math.max(...values));
        expect(await new ConsumerOffsetStore(metadata).committed('g', 't', 0)).toBe(Math.max(...values));
      }),
      { numRuns: 50 },
    );
  });

  it('commits many offsets in one metadata batch, leaving out backward moves', async () => {
    const metadata = countingBatches(await metadataStore());
    const offsets = new ConsumerOffsetStore(metadata);
    await offsets.commit('g', 't', 1, 50);
    metadata.batches.length = 0;
    const stored = await offsets.commitMany('g', [
      { topic: 't', queueId: 0, offset: 5 },
      { topic: 't', queueId: 1, offset: 20 },
      { topic: 'u', queueId: 3, offset: 1 },
      { topic: 'u', queueId: 3, offset: 2 },
    ]);
    expect(stored).toBe(2);
    expect(metadata.batches).toHaveLength(1);
    expect(metadata.batches[0]?.map((operation) => operation.key)).toEqual([
      'consume/offset/g/t/0',
      'consume/offset/g/u/3',
    ]);
    expect(await offsets.forGroup('g')).toEqual([
      { topic: 't', queueId: 0, offset: 5, clientId: undefined },
      { topic: 't', queueId: 1, offset: 50, clientId: undefined },
      { topic: 'u', queueId: 3, offset: 2, clientId: undefined },
    ]);
  });

  it('lists a group sorted by topic then numeric queue id, not key order', async () => {
    const offsets = new ConsumerOffsetStore(await metadataStore());
    for (const queueId of [10, 2, 1]) await offsets.commit('g', 'b', queueId, queueId);
    await offsets.commit('g', 'a', 0, 0);
    await offsets.commit('g2', 'a', 0, 9);
    expect((await offsets.forGroup('g')).map(({ topic, queueId }) => `${topic}/${queueId}`)).toEqual([
      'a/0',
      'b/1',
      'b/2',
      'b/10',
    ]);
  });

  it('keeps broadcasting offsets per member, apart from the group offsets', async () => {
    const metadata = await metadataStore();
    const offsets = new ConsumerOffsetStore(metadata);
    await offsets.commit('g', 't', 0, 1);
    await offsets.commit('g', 't', 0, 7, { clientId: 'host/1@a' });
    await offsets.commit('g', 't', 0, 9, { clientId: 'host/2@b' });
    expect(await offsets.committed('g', 't', 0)).toBe(1);
    expect(await offsets.committed('g', 't', 0, { clientId: 'host/1@a' })).toBe(7);
    expect(await offsets.committed('g', 't', 0, { clientId: 'host/2@b' })).toBe(9);
    expect(await offsets.forGroup('g', { clientId: 'host/1@a' })).toEqual([
      { topic: 't', queueId: 0, offset: 7, clientId: 'host/1@a' },
    ]);
    expect(await offsets.forGroup('g')).toEqual([{ topic: 't', queueId: 0, offset: 1, clientId: undefined }]);
    expect(await offsets.membersWithOffsets('g')).toEqual(['host/1@a', 'host/2@b']);
    expect(await metadata.get('consume/member-offset/g/host%2F1%40a/t/0')).toEqual(encodeJsonValue({ offset: 7 }));
    expect(await offsets.deleteMember('g', 'host/1@a')).toBe(1);
    expect(await offsets.committed('g', 't', 0, { clientId: 'host/1@a' })).toBeUndefined();
  });

  it('deletes a group with its members, and only that group', async () => {
    const metadata = await metadataStore();
    const offsets = new ConsumerOffsetStore(metadata);
    await offsets.commit('g', 't', 0, 1);
    await offsets.commit('g', 't', 0, 2, { clientId: 'c' });
    await offsets.commit('g-2', 't', 0, 3);
    expect(await offsets.deleteGroup('g')).toBe(2);
    expect(await offsets.committed('g', 't', 0)).toBeUndefined();
    expect(await offsets.committed('g', 't', 0, { clientId: 'c' })).toBeUndefined();
    expect(await new ConsumerOffsetStore(metadata).committed('g', 't', 0)).toBeUndefined();
    expect(await offsets.committed('g-2', 't', 0)).toBe(3);
    expect(await offsets.deleteGroup('g')).toBe(0);
  });

  it.each<[string, [string, string, number, number], 'INVALID_NAME' | 'INVALID_ARGUMENT']>([
    ['a group with /', ['a/b', 't', 0, 1], 'INVALID_NAME'],
    ['a topic with /', ['g', 'a/b', 0, 1], 'INVALID_NAME'],
    ['an empty group', ['', 't', 0, 1], 'INVALID_NAME'],
    ['a bad queue id', ['g', 't', -1, 1], 'INVALID_ARGUMENT'],
    ['a negative offset', ['g', 't', 0, -1], 'INVALID_ARGUMENT'],
    ['a fractional offset', ['g', 't', 0, 1.5], 'INVALID_ARGUMENT'],
  ])('refuses %s', async (_, [group, topic, queueId, offset], code) => {
    const offsets = new ConsumerOffsetStore(await metadataStore());
    const error = await offsets.commit(group, topic, queueId, offset).catch((caught: unknown) => caught);
    expect(EddyError.is(error, code)).toBe(true);
  });

  it('reports a damaged value as CORRUPT_DATA naming the key', async () => {
    const metadata = await metadataStore();
    await metadata.put('consume/offset/g/t/0', encodeJsonValue({ offset: 'x' }));
    const error = await new ConsumerOffsetStore(metadata).committed('g', 't', 0).catch((caught: unknown) => caught);
    expect(EddyError.is(error, 'CORRUPT_DATA')).toBe(true);
    expect((error as Error).message).toContain('consume/offset/g/t/0');
  });
});
