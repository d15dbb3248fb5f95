import type { MessageStore } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { expectEddyError, expectOk } from './assertions.js';
import { type StoreHarness, useStore } from './harness.js';

/** Every call a closed store must reject, by name. */
function callsOn(store: MessageStore, message: () => Parameters<MessageStore['append']>[2][number]) {
  return {
    append: () => store.append('closed', 0, [message()]),
    read: () => store.read('closed', 0, 0),
    queueRange: () => store.queueRange('closed', 0),
    offsetForTimestamp: () => store.offsetForTimestamp('closed', 0, 0),
    findById: () => store.findById('some-id'),
    findByKey: () => store.findByKey('closed', 'key'),
    listTopics: () => store.listTopics(),
    listQueues: () => store.listQueues('closed'),
    deleteTopic: () => store.deleteTopic('closed'),
    deleteRecordsBefore: () => store.deleteRecordsBefore('closed', 0, 1),
    enforceRetention: () => store.enforceRetention({ storedBefore: 0 }),
    flush: () => store.flush(),
    'metadata.get': () => store.metadata.get('key'),
    'metadata.put': () => store.metadata.put('key', new Uint8Array([1])),
    'metadata.delete': () => store.metadata.delete('key'),
    'metadata.scan': () => store.metadata.scan(''),
    'metadata.batch': () => store.metadata.batch([{ type: 'put', key: 'key', value: new Uint8Array([1]) }]),
  } satisfies Record<string, () => Promise<unknown>>;
}

/** Registers the tests of the store's identity, `flush` and `close`. */
export function describeLifecycle(harness: StoreHarness): void {
  describe('lifecycle', () => {
    const context = useStore(harness);

    it('declares contract version v1, an engine name and capabilities that match the harness', () => {
      const { store } = context;
      expect(store.specificationVersion).toBe('v1');
      expect(typeof store.engine).toBe('string');
      expect(store.engine.length).toBeGreaterThan(0);
      expect(store.capabilities.durable).toBe(harness.durable);
      expect(store.capabilities.retention).toBe(harness.retention ?? 'message');
      expect(typeof store.metadata.get).toBe('function');
    });

    it('flush resolves and leaves everything readable', async () => {
      const { store } = context;
      await expect(store.flush()).resolves.toBeUndefined();
      await store.append('flushed', 0, [context.message('flushed')]);
      await store.metadata.put('flushed', new Uint8Array([1]));
      await expect(store.flush()).resolves.toBeUndefined();
      await Promise.all([store.flush(), store.append('flushed', 0, [context.message('flushed')]), store.flush()]);
      expect(expectOk(await store.read('flushed', 0, 0)).messages).toHaveLength(2);
      expect(await store.metadata.get('flushed')).toEqual(new Uint8Array([1]));
    });

    it('close is idempotent, also when called concurrently', async () => {
      const { store } = context;
      await store.append('closing', 0, [context.message('closing')]);
      await Promise.all([store.close(), store.close()]);
      await expect(store.close()).resolves.toBeUndefined();
    });

    it('rejects every later call with STORE_CLOSED, on messages and metadata', async () => {
      const { store } = context;
      await store.append('closed', 0, [context.message('closed')]);
      await store.close();
      for (const [name, call] of Object.entries(callsOn(store, () => context.message('closed')))) {
        const error = await expectEddyError(call, 'STORE_CLOSED');
        expect(error.code, name).toBe('STORE_CLOSED');
      }
      await expect(store.close()).resolves.toBeUndefined();
    });

    it('lets appends that were under way when close was called settle', async () => {
      const { store } = context;
      const appends = Array.from({ length: 5 }, () => store.append('racing', 0, [context.message('racing')]));
      const closing = store.close();
      const settled = await Promise.allSettled(appends);
      await closing;
      // An append may win or lose the race with close; a loser must say why, and winners keep their order.
      let expectedBase = 0;
      for (const outcome of settled) {
        if (outcome.status === 'fulfilled') {
          expect(outcome.value.baseOffset).toBe(expectedBase);
          expectedBase = outcome.value.nextOffset;
        } else {
          expect(outcome.reason).toMatchObject({ name: 'EddyError', code: 'STORE_CLOSED' });
        }
      }
    });
  });
}
