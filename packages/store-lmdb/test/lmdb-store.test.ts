import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createMessage, EddyError, type Message, type MessageInit } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { type LmdbStoreOptions, LmdbStoreOptionsSchema, openLmdbStore } from '../src/index.js';

let dir: TempDir | undefined;
const opened: MessageStore[] = [];

async function openStore(options: Partial<LmdbStoreOptions> = {}): Promise<MessageStore> {
  dir ??= await makeTempDir('lmdb');
  const store = await openLmdbStore({ dir: dir.path, ...options });
  opened.push(store);
  return store;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  await dir?.remove();
  dir = undefined;
});

function message(topic: string, init: Partial<MessageInit> = {}): Message {
  return createMessage({ body: `body of ${topic}`, ...init, topic });
}

function messages(topic: string, count: number, init: (index: number) => Partial<MessageInit> = () => ({})) {
  return Array.from({ length: count }, (_, index) => message(topic, init(index)));
}

async function readAll(store: MessageStore, topic: string, queueId: number, from = 0) {
  const result = await store.read(topic, queueId, from, { maxMessages: 1_000_000, maxBytes: 2 ** 31 });
  if (result.status !== 'ok') throw new Error(`read ${topic}/${queueId}@${from}: ${result.status}`);
  return result.messages;
}

async function rejection(promise: Promise<unknown>): Promise<EddyError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!EddyError.is(error)) throw new Error(`expected an EddyError, got ${String(error)}`);
  return error;
}

describe('LMDB store', () => {
  describe('maxStoreSize and DISK_FULL', () => {
    for (const flush of ['async', 'sync'] as const) {
      it(`rejects an append past the limit with a retriable DISK_FULL and stays readable (${flush})`, async () => {
        const store = await openStore({ flush, maxStoreSize: 64 * 1024 });
        const body = new Uint8Array(1000).fill(7);
        let appended = 0;
        let error: EddyError | undefined;
        while (error === undefined) {
          try {
            await store.append(
              'full',
              (appended / 4) % 2,
              messages('full', 4, () => ({ body, keys: ['k'] })),
            );
            appended += 4;
          } catch (caught) {
            if (!EddyError.is(caught)) throw caught;
            error = caught;
          }
        }
        expect(error).toMatchObject({ code: 'DISK_FULL', retriable: true });
        expect(error.message).toContain('maxStoreSize');
        expect(appended).toBeGreaterThan(40);
        // Nothing of the rejected batch went in, and everything before it reads back.
        const ranges = await store.listQueues('full');
        expect(ranges.reduce((sum, range) => sum + range.maxOffset, 0)).toBe(appended);
        expect((await readAll(store, 'full', 0)).length + (await readAll(store, 'full', 1)).length).toBe(appended);
        expect(await store.findByKey('full', 'k', { limit: 1000 })).toHaveLength(appended);
        await store.metadata.put('still/writable', new Uint8Array([1]));
        // Deleting frees room, and the same append then goes through.
        await store.deleteRecordsBefore('full', 0, 20);
        await expect(
          store.append(
            'full',
            0,
            messages('full', 4, () => ({ body })),
          ),
        ).resolves.toMatchObject({
          baseOffset: ranges[0]?.maxOffset,
        });
      });
    }

    it('keeps counting stored bytes across a reopen and after a topic is deleted', async () => {
      let store = await openStore({ maxStoreSize: 40 * 1024 });
      const body = new Uint8Array(1000);
      for (let i = 0; i < 30; i++) await store.append('a', 0, [message('a', { body })]);
      await store.close();
      store = await openStore({ maxStoreSize: 40 * 1024 });
      await expect(
        store.append(
          'b',
          0,
          messages('b', 15, () => ({ body })),
        ),
      ).rejects.toMatchObject({
        code: 'DISK_FULL',
      });
      expect(await store.deleteTopic('a')).toBe(true);
      await expect(
        store.append(
          'b',
          0,
          messages('b', 15, () => ({ body })),
        ),
      ).resolves.toMatchObject({ baseOffset: 0 });
    });
  });

  describe('map growth', () => {
    it('grows the environment for many and large messages and reads them all back after reopening', async () => {
      let store = await openStore();
      const big = new Uint8Array(4 * 1024 * 1024).map((_, index) => index & 0xff);
      for (let batch = 0; batch < 12; batch++) {
        await store.append('big', 0, [message('big', { body: big }), message('big', { body: big.subarray(1) })]);
      }
      for (let batch = 0; batch < 40; batch++) {
        await store.append(
          'small',
          batch % 4,
          messages('small', 500, (index) => ({ body: `s${batch}-${index}`, keys: [`k${index % 50}`] })),
        );
      }
      await store.close();
      const files = await readdir((dir as TempDir).path);
      const size = (await stat(join((dir as TempDir).path, files.find((name) => name === 'data.mdb') as string))).size;
      expect(size).toBeGreaterThan(96 * 1024 * 1024);

      store = await openStore();
      const bigOnes = await readAll(store, 'big', 0);
      expect(bigOnes).toHaveLength(24);
      for (const [index, stored] of bigOnes.entries()) {
        expect(stored.body.byteLength).toBe(index % 2 === 0 ? big.byteLength : big.byteLength - 1);
        expect(stored.body[1000]).toBe(index % 2 === 0 ? 1000 & 0xff : 1001 & 0xff);
      }
      const small = await readAll(store, 'small', 3);
      expect(small).toHaveLength(5000);
      expect(new TextDecoder().decode(small[4999]?.body)).toBe('s39-499');
      expect(await store.findByKey('small', 'k7', { limit: 10_000 })).toHaveLength(400);
    }, 60_000);
  });

  describe('topic incarnations', () => {
    it('starts a re-created topic at 0 with none of the old messages, ids or keys, also after reopening', async () => {
      let store = await openStore();
      const old = messages('reborn', 5, (index) => ({ keys: ['shared'], messageId: `old-${index}` }));
      await store.append('reborn', 0, old);
      await store.append('reborn', 2, [message('reborn', { keys: ['shared'] })]);
      await store.deleteRecordsBefore('reborn', 0, 2);
      expect(await store.deleteTopic('reborn')).toBe(true);

      const fresh = message('reborn', { keys: ['shared'], body: 'new' });
      expect(await store.append('reborn', 0, [fresh])).toMatchObject({ baseOffset: 0, nextOffset: 1 });
      for (let cycle = 0; cycle < 2; cycle++) {
        expect((await readAll(store, 'reborn', 0)).map((stored) => new TextDecoder().decode(stored.body))).toEqual([
          'new',
        ]);
        expect(await store.listQueues('reborn')).toEqual([{ queueId: 0, minOffset: 0, maxOffset: 1 }]);
        expect(await store.read('reborn', 2, 0)).toEqual({ status: 'unknown-queue' });
        expect((await store.findByKey('reborn', 'shared')).map((stored) => stored.messageId)).toEqual([
          fresh.messageId,
        ]);
        for (const gone of old) expect(await store.findById(gone.messageId)).toBeUndefined();
        await store.close();
        store = await openStore();
      }
    });
  });

  describe('corrupt stored bytes', () => {
    it('rejects a read of a damaged record with CORRUPT_DATA naming the offset; other records stay readable', async () => {
      let store = await openStore();
      const sent = messages('fragile', 3, (index) => ({ body: `payload ${index}`, keys: ['k'] }));
      await store.append('fragile', 0, sent);
      await store.append('sturdy', 0, [message('sturdy')]);
      await store.close();

      // Flip one byte of the body of offset 1, straight in the LMDB file.
      const environment = open<Buffer, Buffer>({ path: (dir as TempDir).path, maxDbs: 8, overlappingSync: false });
      const records = environment.openDB('messages', { keyEncoding: 'binary', encoding: 'binary' });
      const entries = [...records.getRange({})];
      const target = entries[1] as { key: Buffer; value: Buffer };
      const damaged = Buffer.from(target.value);
      damaged[damaged.byteLength - 2] = (damaged[damaged.byteLength - 2] as number) ^ 0x10;
      records.putSync(target.key, damaged);
      await environment.close();

      store = await openStore();
      const error = await rejection(store.read('fragile', 0, 0));
      expect(error.code).toBe('CORRUPT_DATA');
      expect(error.message).toContain('fragile/0 offset 1');
      expect((await store.read('fragile', 0, 0, { maxMessages: 1 })).status).toBe('ok');
      await expect(store.read('fragile', 0, 2)).resolves.toMatchObject({ status: 'ok' });
      expect((await rejection(store.findById((sent[1] as Message).messageId))).code).toBe('CORRUPT_DATA');
      expect((await readAll(store, 'sturdy', 0)).length).toBe(1);
      // The damaged record can still be deleted, which makes the queue readable again.
      await store.deleteRecordsBefore('fragile', 0, 2);
      expect((await readAll(store, 'fragile', 0, 2)).length).toBe(1);
    });

    it('reads without checking CRCs when verifyChecksumOnRead is false', async () => {
      const store = await openStore({ verifyChecksumOnRead: false });
      await store.append('t', 0, [message('t')]);
      expect(await readAll(store, 't', 0)).toHaveLength(1);
    });
  });

  describe('long ids and keys', () => {
    it('finds messages by ids and keys longer than an LMDB key', async () => {
      const store = await openStore();
      const longId = `id-${'x'.repeat(4000)}`;
      const longKey = `key-${'y'.repeat(3000)}`;
      await store.append('long', 0, [
        message('long', { messageId: longId, keys: [longKey] }),
        message('long', { messageId: `${longId}2`, keys: [`${longKey}2`] }),
      ]);
      expect((await store.findById(longId))?.queueOffset).toBe(0);
      expect((await store.findByKey('long', longKey)).map((stored) => stored.queueOffset)).toEqual([0]);
      expect((await store.findByKey('long', `${longKey}2`)).map((stored) => stored.queueOffset)).toEqual([1]);
      await expect(store.metadata.put('m'.repeat(2000), new Uint8Array(1))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });
  });

  describe('options and lifecycle', () => {
    it('rejects bad options with INVALID_CONFIG naming the field', async () => {
      dir = await makeTempDir('lmdb');
      for (const [options, field] of [
        [{ flush: 'sometimes' }, 'flush'],
        [{ flushIntervalMs: 0 }, 'flushIntervalMs'],
        [{ maxStoreSize: -1 }, 'maxStoreSize'],
        [{ unknown: true }, 'unknown'],
      ] as const) {
        const error = await rejection(openLmdbStore({ dir: dir.path, ...(options as object) } as LmdbStoreOptions));
        expect(error.code).toBe('INVALID_CONFIG');
        expect(error.message).toContain(field);
      }
      expect((await rejection(openLmdbStore({} as LmdbStoreOptions))).message).toContain('dir');
      expect(LmdbStoreOptionsSchema.parse({ dir: 'd' })).toEqual({
        dir: 'd',
        flush: 'async',
        flushIntervalMs: 500,
        maxBodySize: 4 * 1024 * 1024,
        verifyChecksumOnRead: true,
      });
    });

    it('syncs on the injected clock in async mode and stops doing so after close', async () => {
      const clock = new FakeClock();
      const store = await openStore({ clock, flushIntervalMs: 100 });
      expect(clock.pendingTasks).toBe(1);
      await store.append('t', 0, [message('t')]);
      await clock.advance(1000);
      // The next sync is scheduled once the last one finished, whenever that is on the real disk.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(clock.pendingTasks).toBe(1);
      await store.close();
      expect(clock.pendingTasks).toBe(0);
      expect(store.engine).toBe('lmdb');
      expect(store.capabilities).toEqual({ durable: true, retention: 'message' });
    });

    it('reopens a directory written in one flush mode in the other', async () => {
      let store = await openStore({ flush: 'sync' });
      await store.append('t', 0, [message('t')]);
      await store.close();
      store = await openStore({ flush: 'async' });
      expect(await store.append('t', 0, [message('t')])).toMatchObject({ baseOffset: 1 });
      await store.close();
      store = await openStore({ flush: 'sync' });
      expect(await readAll(store, 't', 0)).toHaveLength(2);
    });
  });
});
