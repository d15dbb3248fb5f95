import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMessage, EddyError, type Message } from '@eddy/message';
import type { MessageStore, ReadResult } from '@eddy/store';
import { conformanceBatchDecoder, jsonBatch } from '@eddy/store-conformance';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../src/checkpoint.js';
import {
  type CommitLogStore,
  type CommitLogStoreOptions,
  FaultyFileSystem,
  type Logger,
  nodeFileSystem,
  openCommitLogStore,
  silentLogger,
} from '../src/index.js';

function messages(topic: string, count: number, prefix: string, init: Partial<Message> = {}): Message[] {
  return Array.from({ length: count }, (_, i) => createMessage({ topic, body: `${prefix}-${i}`, ...init }));
}

function bodies(result: ReadResult): string[] {
  if (result.status !== 'ok') throw new Error(`read gave ${result.status}`);
  return result.messages.map((message) => Buffer.from(message.body).toString());
}

function capturingLogger(): Logger & { lines: { level: string; message: string; details?: object }[] } {
  const lines: { level: string; message: string; details?: object }[] = [];
  return {
    lines,
    info: (message, details) => lines.push({ level: 'info', message, details }),
    warn: (message, details) => lines.push({ level: 'warn', message, details }),
    error: (message, details) => lines.push({ level: 'error', message, details }),
  };
}

describe('CommitLog store', () => {
  let temp: TempDir;
  let clock: FakeClock;
  const open = (options: Partial<CommitLogStoreOptions> = {}): Promise<CommitLogStore> =>
    openCommitLogStore({
      dir: temp.path,
      clock,
      logger: silentLogger,
      segmentSize: 128 * 1024,
      maxBodySize: 32 * 1024,
      consumeQueueEntriesPerFile: 7,
      diskMaxUsedRatio: 1,
      ...options,
    });

  beforeEach(async () => {
    temp = await makeTempDir('commitlog-store');
    clock = new FakeClock();
  });
  afterEach(async () => {
    await temp.remove();
  });

  describe('encoded batches', () => {
    it('reads a batch whose format has no decoder as UNSUPPORTED, and still serves it as bytes', async () => {
      const store = await open();
      try {
        await store.appendEncoded('raw', 0, jsonBatch([{ body: 'a' }, { body: 'b' }]));
        await expect(store.read('raw', 0, 0)).rejects.toMatchObject({
          code: 'UNSUPPORTED',
          message: expect.stringContaining('conformance-json-v1'),
        });
        const encoded = await store.readEncoded('raw', 0, 0);
        expect(encoded).toMatchObject({ status: 'ok', nextOffset: 2, entries: [{ kind: 'batch', count: 2 }] });
      } finally {
        await store.close();
      }
    });

    it('reads each batch record into the buffer allocate gives, the payload a view into it', async () => {
      const store = await open({ batchDecoders: [conformanceBatchDecoder] });
      try {
        const batch = jsonBatch([{ body: 'in-lent-buffer' }]);
        await store.appendEncoded('lend', 0, batch);
        const lent: Uint8Array[] = [];
        const read = await store.readEncoded('lend', 0, 0, {
          allocate: (size) => {
            const buffer = new Uint8Array(size + 100);
            lent.push(buffer);
            return buffer;
          },
        });
        expect(lent).toHaveLength(1);
        const entry = read.status === 'ok' ? read.entries[0] : undefined;
        if (entry?.kind !== 'batch') throw new Error('no batch');
        expect(entry.bytes.buffer).toBe((lent[0] as Uint8Array).buffer);
        expect(Buffer.from(entry.bytes).equals(Buffer.from(batch.bytes))).toBe(true);
        // A lent buffer that is too small is a caller's bug, refused before reading.
        await expect(
          store.readEncoded('lend', 0, 0, { allocate: (size) => new Uint8Array(size - 1) }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      } finally {
        await store.close();
      }
    });

    it('reports a damaged batch record as CORRUPT_DATA naming the file when it is read', async () => {
      const store = await open({ batchDecoders: [conformanceBatchDecoder] });
      await store.append('dmg', 0, messages('dmg', 1, 'first'));
      await store.appendEncoded('dmg', 0, jsonBatch([{ body: 'payload-one' }, { body: 'payload-two' }]));
      await store.close();
      const segment = join(temp.path, 'commitlog', readdirSync(join(temp.path, 'commitlog'))[0] as string);
      const bytes = readFileSync(segment);
      const at = bytes.indexOf('payload-two');
      expect(at).toBeGreaterThan(0);
      bytes[at] = 'P'.charCodeAt(0);
      writeFileSync(segment, bytes);
      const reopened = await open({ batchDecoders: [conformanceBatchDecoder] });
      try {
        expect(bodies(await reopened.read('dmg', 0, 0, { maxMessages: 1 }))).toEqual(['first-0']);
        await expect(reopened.read('dmg', 0, 1)).rejects.toMatchObject({
          code: 'CORRUPT_DATA',
          message: expect.stringMatching(/commitlog.*checksum|CRC32C/),
        });
        await expect(reopened.readEncoded('dmg', 0, 1)).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
      } finally {
        await reopened.close();
      }
    });
  });

  describe('options', () => {
    it('names the field of an invalid option', async () => {
      await expect(open({ segmentSize: 16 })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('segmentSize'),
      });
      await expect(open({ segmentSize: 1024 * 1024, maxBodySize: 1024 * 1024 })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('maxBodySize + 64 KiB'),
      });
      await expect(open({ flush: 'sometimes' as 'sync' })).rejects.toMatchObject({
        message: expect.stringContaining('flush'),
      });
      await expect(open({ unknownOption: 1 } as Partial<CommitLogStoreOptions>)).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
      });
    });

    it('refuses to reopen with another segment size', async () => {
      const store = await open();
      await store.append('t', 0, messages('t', 1, 'm'));
      await store.close();
      await expect(open({ segmentSize: 96 * 1024 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    });
  });

  describe('group commit', () => {
    it('acknowledges N concurrent sync appends with fewer fdatasyncs than N', async () => {
      const faulty = new FaultyFileSystem(nodeFileSystem);
      const store = await open({ flush: 'sync', fileSystem: faulty });
      faulty.resetCounts();
      const appends = Array.from({ length: 64 }, (_, i) => store.append('t', i % 4, messages('t', 2, `m${i}`)));
      const results = await Promise.all(appends);
      expect(results.every((result) => result.nextOffset - result.baseOffset === 2)).toBe(true);
      expect(store.commitLogSyncCount).toBeLessThan(64);
      expect(faulty.counts.syncs).toBeLessThan(64);
      expect(faulty.counts.syncs).toBeGreaterThan(0);
      // Every acknowledged append is durable: nothing of the CommitLog is unsynced.
      const segments = readdirSync(join(temp.path, 'commitlog'));
      for (const name of segments) expect(faulty.unsyncedBytes(join(temp.path, 'commitlog', name))).toBe(0);
      await store.close();
    });

    it('writes the appends of one turn with one CommitLog write, in call order, each queue without gaps', async () => {
      const faulty = new FaultyFileSystem(nodeFileSystem);
      const store = await open({ flush: 'sync', fileSystem: faulty });
      await store.append('t', 0, messages('t', 1, 'first'));
      faulty.resetCounts();
      const appends = Array.from({ length: 40 }, (_, i) => store.append('t', i % 2, messages('t', 1, `m${i}`)));
      const results = await Promise.all(appends);
      // One CommitLog write for the group; the ConsumeQueue entries wait in memory for the next flush.
      expect(faulty.counts.writes).toBe(1);
      expect(results.filter((_, i) => i % 2 === 0).map((result) => result.baseOffset)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect(bodies(await store.read('t', 1, 0, { maxMessages: 3 }))).toEqual(['m1-0', 'm3-0', 'm5-0']);
      await store.close();
    });

    it('writes and keeps sync appends that close() overtakes', async () => {
      const store = await open({ flush: 'sync' });
      const appends = Array.from({ length: 5 }, (_, i) => store.append('t', 0, messages('t', 1, `m${i}`)));
      const closed = store.close();
      expect((await Promise.all(appends)).map((result) => result.baseOffset)).toEqual([0, 1, 2, 3, 4]);
      await closed;
      const reopened = await open({ flush: 'sync' });
      expect(bodies(await reopened.read('t', 0, 0))).toEqual(['m0-0', 'm1-0', 'm2-0', 'm3-0', 'm4-0']);
      await reopened.close();
    });

    it('loses no acknowledged sync append on power loss', async () => {
      const faulty = new FaultyFileSystem(nodeFileSystem);
      const store = await open({ flush: 'sync', fileSystem: faulty });
      const acknowledged: { queueId: number; baseOffset: number; count: number; prefix: string }[] = [];
      for (let round = 0; round < 20; round++) {
        const batch = await Promise.all(
          [0, 1, 2].map(async (queueId) => {
            const prefix = `r${round}q${queueId}`;
            const result = await store.append('t', queueId, messages('t', 1 + (round % 3), prefix));
            return { queueId, baseOffset: result.baseOffset, count: result.nextOffset - result.baseOffset, prefix };
          }),
        );
        acknowledged.push(...batch);
      }
      // Unacknowledged writes may be lost; the ConsumeQueue and index were never synced outside a checkpoint.
      faulty.simulatePowerLoss();
      const reopened = await open({ flush: 'sync' });
      for (const { queueId, baseOffset, count, prefix } of acknowledged) {
        const read = await reopened.read('t', queueId, baseOffset, { maxMessages: count });
        expect(bodies(read)).toEqual(Array.from({ length: count }, (_, i) => `${prefix}-${i}`));
      }
      const next = await reopened.append('t', 0, messages('t', 1, 'after'));
      const last = acknowledged.filter((ack) => ack.queueId === 0).at(-1);
      expect(next.baseOffset).toBe((last?.baseOffset ?? 0) + (last?.count ?? 0));
      await reopened.close();
    });
  });

  describe('segments and reads', () => {
    it('reads across many small segments, with tag filters skipping by code', async () => {
      const store = await open({ segmentSize: 64 * 1024 + 1024, maxBodySize: 1024 });
      const sent: string[] = [];
      for (let i = 0; i < 300; i++) {
        const tag = i % 3 === 0 ? 'A' : 'B';
        await store.append('t', 0, [createMessage({ topic: 't', body: Buffer.alloc(900, i), tag, keys: [`k${i}`] })]);
        sent.push(tag);
      }
      expect(readdirSync(join(temp.path, 'commitlog')).length).toBeGreaterThan(3);
      const all = await store.read('t', 0, 0, { maxMessages: 300 });
      expect(all.status === 'ok' && all.messages.map((message) => message.queueOffset)).toEqual(sent.map((_, i) => i));
      const onlyA = await store.read('t', 0, 0, { maxMessages: 300, tags: ['A'] });
      expect(onlyA.status === 'ok' && onlyA.messages.map((message) => message.queueOffset)).toEqual(
        sent.flatMap((tag, i) => (tag === 'A' ? [i] : [])),
      );
      expect((await store.findByKey('t', 'k150')).map((message) => message.queueOffset)).toEqual([150]);
      await store.close();
      const reopened = await open({ segmentSize: 64 * 1024 + 1024, maxBodySize: 1024 });
      expect(await reopened.queueRange('t', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 300 });
      expect((await reopened.findByKey('t', 'k299')).map((message) => message.queueOffset)).toEqual([299]);
      await reopened.close();
    });
  });

  describe('retention', () => {
    it('deletes whole old segments, moves min offsets and drops look-ups below them', async () => {
      const store = await open({ segmentSize: 64 * 1024 + 1024, maxBodySize: 1024 });
      const start = clock.now();
      for (let i = 0; i < 200; i++) {
        clock.set(start + i * 1000);
        await store.append('t', i % 2, [createMessage({ topic: 't', body: Buffer.alloc(900, i), keys: ['k'] })]);
      }
      const before = store.commitLogRange.minPosition;
      const report = await store.enforceRetention({ storedBefore: start + 100_000 });
      expect(store.commitLogRange.minPosition).toBeGreaterThan(before);
      expect(report.queues.map((queue) => queue.queueId)).toEqual([0, 1]);
      for (const range of await store.listQueues('t')) {
        expect(range.minOffset).toBeGreaterThan(0);
        expect(range.minOffset).toBeLessThanOrEqual(50);
        expect(await store.read('t', range.queueId, range.minOffset - 1)).toMatchObject({
          status: 'offset-out-of-range',
        });
        const read = await store.read('t', range.queueId, range.minOffset, { maxMessages: 1 });
        expect(read.status === 'ok' && read.messages[0]?.storeTimestamp).toBeLessThan(start + 100_000);
      }
      const found = await store.findByKey('t', 'k', { limit: 1000 });
      const kept = (await store.listQueues('t')).reduce((sum, range) => sum + range.maxOffset - range.minOffset, 0);
      expect(found).toHaveLength(kept);
      expect(await store.offsetForTimestamp('t', 0, 0)).toBe((await store.queueRange('t', 0))?.minOffset);
      await store.close();
      const reopened = await open({ segmentSize: 64 * 1024 + 1024, maxBodySize: 1024 });
      expect(await reopened.listQueues('t')).toEqual(report.queues.map(({ topic: _, ...range }) => range));
      await reopened.close();
    });

    it('runs periodically on the injected clock', async () => {
      const options = {
        segmentSize: 64 * 1024 + 1024,
        maxBodySize: 1024,
        retentionMs: 60_000,
        cleanIntervalMs: 10_000,
      };
      const store = await open(options);
      for (let i = 0; i < 150; i++)
        await store.append('t', 0, [createMessage({ topic: 't', body: Buffer.alloc(900, i) })]);
      await store.close();
      // The cleaner's first run is due cleanIntervalMs after open, when the records above are old.
      clock.set(clock.now() + 120_000);
      const reopened = await open(options);
      await reopened.append('t', 0, [createMessage({ topic: 't', body: Buffer.alloc(900, 1) })]);
      await clock.advance(10_000);
      await reopened.flush();
      expect((await reopened.queueRange('t', 0))?.minOffset).toBeGreaterThan(0);
      await reopened.close();
    });
    it('deletes the oldest segments while the disk is fuller than diskMaxUsedRatio', async () => {
      // A disk that reports 90% used until the store has removed three segments' worth.
      let removed = 0;
      const fileSystem = {
        ...nodeFileSystem,
        remove(path: string) {
          if (path.includes('commitlog')) removed++;
          nodeFileSystem.remove(path);
        },
        diskUsage: () => ({ total: 1000, free: removed >= 3 ? 500 : 100 }),
      };
      const options = {
        segmentSize: 64 * 1024 + 1024,
        maxBodySize: 1024,
        diskMaxUsedRatio: 0.75,
        cleanIntervalMs: 10_000,
        fileSystem,
      };
      const store = await open(options);
      for (let i = 0; i < 400; i++)
        await store.append('t', 0, [createMessage({ topic: 't', body: Buffer.alloc(900, i) })]);
      const before = readdirSync(join(temp.path, 'commitlog')).length;
      await clock.advance(10_000);
      await store.flush();
      const after = readdirSync(join(temp.path, 'commitlog')).length;
      expect(after).toBeLessThan(before);
      expect(after).toBeGreaterThanOrEqual(1);
      const range = await store.queueRange('t', 0);
      expect(range?.minOffset).toBeGreaterThan(0);
      expect(range?.maxOffset).toBe(400);
      expect(await store.read('t', 0, (range?.minOffset ?? 1) - 1)).toMatchObject({ status: 'offset-out-of-range' });
      await store.close();
    });
  });

  describe('recovery', () => {
    async function crash(store: CommitLogStore): Promise<void> {
      // An abandoned store: no close, so the abort marker stays, as after kill -9.
      void store;
    }

    it('recovers an unflushed tail after a crash, continuing offsets without gaps', async () => {
      const store = await open();
      for (let i = 0; i < 30; i++) await store.append('t', i % 3, messages('t', 2, `m${i}`, { keys: [`key${i}`] }));
      await crash(store);
      expect(readdirSync(temp.path)).toContain('abort');
      const reopened = await open();
      expect(await reopened.listQueues('t')).toEqual(
        [0, 1, 2].map((queueId) => ({ queueId, minOffset: 0, maxOffset: 20 })),
      );
      expect((await reopened.findByKey('t', 'key29')).map((message) => message.queueOffset)).toEqual([19, 18]);
      expect((await reopened.append('t', 1, messages('t', 1, 'next'))).baseOffset).toBe(20);
      await reopened.close();
      expect(readdirSync(temp.path)).not.toContain('abort');
    });

    it('cuts a torn tail and the ConsumeQueue entries that pointed into it', async () => {
      const logger = capturingLogger();
      const store = await open();
      await store.append('t', 0, messages('t', 5, 'kept'));
      await store.flush();
      await store.append('t', 0, messages('t', 5, 'torn'));
      await crash(store);
      const segment = join(temp.path, 'commitlog', '00000000000000000000');
      const bytes = readFileSync(segment);
      writeFileSync(segment, bytes.subarray(0, bytes.length - 40));
      const reopened = await open({ logger });
      expect(await reopened.queueRange('t', 0)).toEqual({ queueId: 0, minOffset: 0, maxOffset: 9 });
      expect(bodies(await reopened.read('t', 0, 0))).toEqual([
        ...Array.from({ length: 5 }, (_, i) => `kept-${i}`),
        ...Array.from({ length: 4 }, (_, i) => `torn-${i}`),
      ]);
      expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('torn tail'))).toBe(true);
      expect((await reopened.append('t', 0, messages('t', 1, 'next'))).baseOffset).toBe(9);
      await reopened.close();
    });

    it('stops with CORRUPT_DATA naming the file and position for a bad record before the flushed point, unless repair', async () => {
      const store = await open();
      await store.append('t', 0, messages('t', 10, 'm'));
      await store.append('t', 0, messages('t', 10, 'n'));
      await store.flush();
      await crash(store);
      // A checkpoint that says the CommitLog was flushed but not yet dispatched, so recovery scans it all.
      const segment = join(temp.path, 'commitlog', '00000000000000000000');
      const bytes = readFileSync(segment);
      await writeCheckpoint(nodeFileSystem, join(temp.path, 'checkpoint'), {
        version: 1,
        commitLogFlushed: bytes.length,
        dispatchFlushed: 0,
        lastStoreTimestamp: clock.now(),
      });
      const position = Math.floor(bytes.length / 2);
      bytes[position] = (bytes[position] as number) ^ 0xff;
      writeFileSync(segment, bytes);
      const error = await open().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(EddyError.is(error, 'CORRUPT_DATA')).toBe(true);
      expect((error as EddyError).message).toContain(segment);
      expect((error as EddyError).details).toMatchObject({ path: segment });

      const logger = capturingLogger();
      const repaired = await open({ repair: true, logger });
      const range = await repaired.queueRange('t', 0);
      expect(range?.maxOffset).toBeLessThan(20);
      expect(logger.lines.some((line) => line.level === 'error' && line.message.startsWith('repair'))).toBe(true);
      const read = await repaired.read('t', 0, 0, { maxMessages: 100 });
      expect(read.status === 'ok' && read.messages.map((message) => message.queueOffset)).toEqual(
        Array.from({ length: range?.maxOffset ?? 0 }, (_, i) => i),
      );
      expect((await repaired.append('t', 0, messages('t', 1, 'after'))).baseOffset).toBe(range?.maxOffset);
      await repaired.close();
    });

    it('answers a read of a damaged record with CORRUPT_DATA naming the file, never wrong data', async () => {
      const store = await open();
      await store.append('t', 0, messages('t', 10, 'm'));
      await store.close();
      const segment = join(temp.path, 'commitlog', '00000000000000000000');
      const bytes = readFileSync(segment);
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x01;
      writeFileSync(segment, bytes);
      const reopened = await open();
      await expect(reopened.read('t', 0, 0)).rejects.toMatchObject({
        code: 'CORRUPT_DATA',
        message: expect.stringContaining(segment),
      });
      expect(bodies(await reopened.read('t', 0, 0, { maxMessages: 9 }))).toHaveLength(9);
      await reopened.close();
    });

    it('never brings a deleted topic back, even when the crash came before a checkpoint', async () => {
      const store = await open();
      await store.append('gone', 0, messages('gone', 3, 'old', { keys: ['k'] }));
      await store.append('kept', 0, messages('kept', 1, 'kept'));
      expect(await store.deleteTopic('gone')).toBe(true);
      await store.append('gone', 0, messages('gone', 1, 'new', { keys: ['k'] }));
      await crash(store);
      const reopened = await open();
      expect(await reopened.listQueues('gone')).toEqual([{ queueId: 0, minOffset: 0, maxOffset: 1 }]);
      expect(bodies(await reopened.read('gone', 0, 0))).toEqual(['new-0']);
      expect((await reopened.findByKey('gone', 'k')).map((message) => Buffer.from(message.body).toString())).toEqual([
        'new-0',
      ]);
      expect(await reopened.listTopics()).toEqual(['gone', 'kept']);
      await reopened.close();
    });

    it('keeps min offsets from deleteRecordsBefore across a crash', async () => {
      const store = await open();
      await store.append('t', 0, messages('t', 20, 'm'));
      await store.deleteRecordsBefore('t', 0, 15);
      await crash(store);
      const reopened = await open();
      expect(await reopened.queueRange('t', 0)).toEqual({ queueId: 0, minOffset: 15, maxOffset: 20 });
      await reopened.close();
    });

    it('opens a clean stop from the checkpoint without scanning', async () => {
      const logger = capturingLogger();
      const store = await open();
      await store.append('t', 0, messages('t', 5, 'm'));
      await store.close();
      const reopened = await open({ logger });
      expect(logger.lines.some((line) => line.message.includes('recovered'))).toBe(false);
      expect(bodies(await reopened.read('t', 0, 0))).toHaveLength(5);
      await reopened.close();
    });
  });

  describe('close', () => {
    it('rejects every call after close and leaves no abort marker', async () => {
      const store: MessageStore = await open();
      await store.append('t', 0, messages('t', 1, 'm'));
      await Promise.all([store.close(), store.close()]);
      await expect(store.append('t', 0, messages('t', 1, 'm'))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(store.metadata.get('x')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      expect(readdirSync(temp.path)).not.toContain('abort');
    });
  });
});
