import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createMessage, silentLogger } from '@eddy/message';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCommitLogStore } from './commitlog-store.js';
import {
  CONSUME_QUEUE_ENTRY_SIZE,
  ConsumeQueueStore,
  decodeConsumeQueueEntry,
  encodeConsumeQueueEntry,
  topicDirectoryName,
  topicFromDirectoryName,
} from './consume-queue.js';
import { type FileHandle, type FileSystem, nodeFileSystem } from './file-layer.js';

function entries(from: number, count: number): Buffer {
  const buffer = Buffer.alloc(count * CONSUME_QUEUE_ENTRY_SIZE);
  for (let i = 0; i < count; i++) {
    encodeConsumeQueueEntry(buffer, i * CONSUME_QUEUE_ENTRY_SIZE, (from + i) * 100 + 2 ** 33, 100, from + i + 1);
  }
  return buffer;
}

/** A file system that counts the handles open at once under a directory, and the most ever open. */
function countingFileSystem(under: string): { fileSystem: FileSystem; open: () => number; peak: () => number } {
  let open = 0;
  let peak = 0;
  const fileSystem: FileSystem = {
    ...nodeFileSystem,
    open(path, options) {
      const handle = nodeFileSystem.open(path, options);
      if (!path.startsWith(under)) return handle;
      open++;
      peak = Math.max(peak, open);
      const counted: FileHandle = {
        path: handle.path,
        write: (...args) => handle.write(...args),
        read: (...args) => handle.read(...args),
        size: () => handle.size(),
        truncate: (length) => handle.truncate(length),
        sync: () => handle.sync(),
        close: () => {
          open--;
          handle.close();
        },
      };
      return counted;
    },
  };
  return { fileSystem, open: () => open, peak: () => peak };
}

describe('ConsumeQueue', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('consume-queue');
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('encodes 20-byte entries: position u64, size u32, batch member u32, tag code u32', () => {
    const buffer = Buffer.alloc(CONSUME_QUEUE_ENTRY_SIZE);
    encodeConsumeQueueEntry(buffer, 0, 2 ** 40 + 7, 1234, 0xfedcba98);
    expect(buffer.toString('hex')).toBe('0000010000000007000004d200000000fedcba98');
    expect(decodeConsumeQueueEntry(buffer, 0)).toEqual({
      position: 2 ** 40 + 7,
      size: 1234,
      member: 0,
      tagCode: 0xfedcba98,
    });
  });

  it('names topic directories safely and reversibly', () => {
    for (const topic of ['orders', '%RETRY%group', '..', '.hidden', 'a/b', 'ключ', 'b.events', 'x y']) {
      const name = topicDirectoryName(topic);
      expect(name).not.toContain('/');
      expect(name.startsWith('.')).toBe(false);
      expect(topicFromDirectoryName(name)).toBe(topic);
    }
  });

  it('splits entries across files at entriesPerFile boundaries and reads them back across files', () => {
    const store = new ConsumeQueueStore(nodeFileSystem, temp.path, { entriesPerFile: 3, maxOpenFiles: 4 });
    store.load();
    const queue = store.create('t', 5);
    store.write(queue, 0, entries(0, 2), 2);
    store.write(queue, 2, entries(2, 6), 6);
    expect(queue.maxOffset).toBe(8);
    const dir = join(temp.path, 't', '5');
    expect(readdirSync(dir)).toEqual(['00000000000000000000', '00000000000000000003', '00000000000000000006']);
    expect(statSync(join(dir, '00000000000000000006')).size).toBe(2 * CONSUME_QUEUE_ENTRY_SIZE);
    const read = store.readEntries(queue, 1, 7);
    for (let i = 0; i < 7; i++) {
      expect(decodeConsumeQueueEntry(read, i * CONSUME_QUEUE_ENTRY_SIZE)).toEqual({
        position: (1 + i) * 100 + 2 ** 33,
        size: 100,
        member: 0,
        tagCode: 2 + i,
      });
    }
    expect(() => store.write(queue, 9, entries(9, 1), 1)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    store.close();

    const reloaded = new ConsumeQueueStore(nodeFileSystem, temp.path, { entriesPerFile: 3, maxOpenFiles: 4 });
    reloaded.load();
    const again = reloaded.queue('t', 5);
    expect({ min: again?.minOffset, max: again?.maxOffset, files: again?.files }).toEqual({
      min: 0,
      max: 8,
      files: [0, 3, 6],
    });
    reloaded.close();
  });

  it('cuts back across files, and removes files wholly below an offset but never the last', () => {
    const store = new ConsumeQueueStore(nodeFileSystem, temp.path, { entriesPerFile: 3, maxOpenFiles: 4 });
    store.load();
    const queue = store.create('t', 0);
    store.write(queue, 0, entries(0, 10), 10);
    store.truncate(queue, 4);
    expect(queue.maxOffset).toBe(4);
    expect(queue.files).toEqual([0, 3]);
    expect(store.search(queue, 0, 4, (entry) => entry.position >= 2 * 100 + 2 ** 33)).toBe(2);
    queue.minOffset = 4;
    store.removeFilesBelow(queue, 4);
    expect(queue.files).toEqual([3]);
    store.write(queue, 4, entries(4, 2), 2);
    queue.minOffset = 6;
    // File 3 is wholly below offset 6 but is the last: it keeps the queue's end.
    store.removeFilesBelow(queue, 6);
    expect(queue.files).toEqual([3]);
    expect(queue.maxOffset).toBe(6);
    expect(readdirSync(join(temp.path, 't', '0'))).toEqual(['00000000000000000003']);
    store.close();
    const reloaded = new ConsumeQueueStore(nodeFileSystem, temp.path, { entriesPerFile: 3, maxOpenFiles: 4 });
    reloaded.load();
    expect(reloaded.queue('t', 0)?.maxOffset).toBe(6);
    reloaded.close();
  });

  it('serves appended entries from memory at once and writes them out at flush, at 64 KiB and before a direct write', async () => {
    const store = new ConsumeQueueStore(nodeFileSystem, temp.path, { entriesPerFile: 5000, maxOpenFiles: 4 });
    store.load();
    const queue = store.create('t', 0);
    const file = join(temp.path, 't', '0', '00000000000000000000');
    const expected = (offset: number) => ({
      position: offset * 100 + 2 ** 33,
      size: 100,
      member: 0,
      tagCode: offset + 1,
    });
    for (let offset = 0; offset < 10; offset++) store.appendEntry(queue, offset * 100 + 2 ** 33, 100, offset + 1);
    expect(queue.maxOffset).toBe(10);
    expect(queue.files).toEqual([0]);
    expect(readdirSync(temp.path)).toEqual([]);
    expect(decodeConsumeQueueEntry(store.readEntries(queue, 3, 1), 0)).toEqual(expected(3));
    await store.flush();
    expect(statSync(file).size).toBe(10 * CONSUME_QUEUE_ENTRY_SIZE);
    // A tail of 64 KiB (3,276 entries) is written out by the append that would overflow it.
    const full = 65536 / CONSUME_QUEUE_ENTRY_SIZE;
    for (let offset = 10; offset < 10 + Math.floor(full) + 1; offset++) {
      store.appendEntry(queue, offset * 100 + 2 ** 33, 100, offset + 1);
    }
    expect(statSync(file).size).toBe((10 + Math.floor(full)) * CONSUME_QUEUE_ENTRY_SIZE);
    // A read across the written files and the tail; a cut inside the tail; a direct write after it.
    const read = store.readEntries(queue, 3280, 7);
    for (let i = 0; i < 7; i++)
      expect(decodeConsumeQueueEntry(read, i * CONSUME_QUEUE_ENTRY_SIZE)).toEqual(expected(3280 + i));
    store.truncate(queue, queue.maxOffset - 1);
    store.appendEntry(queue, 1, 1, 1);
    store.write(queue, queue.maxOffset, entries(queue.maxOffset, 1), 1);
    expect(statSync(file).size).toBe(queue.maxOffset * CONSUME_QUEUE_ENTRY_SIZE);
    expect(decodeConsumeQueueEntry(store.readEntries(queue, queue.maxOffset - 2, 1), 0)).toEqual({
      position: 1,
      size: 1,
      member: 0,
      tagCode: 1,
    });
    store.close();
  });

  it('keeps file handles within maxOpenFiles while a store serves 10,000 queues', async () => {
    const counting = countingFileSystem(join(temp.path, 'consumequeue'));
    const store = await openCommitLogStore({
      dir: temp.path,
      clock: new FakeClock(),
      fileSystem: counting.fileSystem,
      logger: silentLogger,
      segmentSize: 8 * 1024 * 1024,
      maxOpenConsumeQueueFiles: 64,
      consumeQueueEntriesPerFile: 1000,
    });
    for (let queueId = 0; queueId < 10_000; queueId++) {
      await store.append('wide', queueId % 5000, [createMessage({ topic: 'wide', body: `m${queueId}` })]);
      if (queueId === 5000) await store.append('other', 0, [createMessage({ topic: 'other', body: 'x' })]);
    }
    expect(counting.peak()).toBeLessThanOrEqual(64 + 16);
    expect(store.openConsumeQueueFiles).toBeLessThanOrEqual(64);
    await store.flush();
    expect(counting.open()).toBeLessThanOrEqual(64);
    for (const queueId of [0, 1234, 4999]) {
      const read = await store.read('wide', queueId, 0);
      expect(read.status === 'ok' && read.messages.map((message) => Buffer.from(message.body).toString())).toEqual([
        `m${queueId}`,
        `m${queueId + 5000}`,
      ]);
    }
    expect(await store.listQueues('wide')).toHaveLength(5000);
    await store.close();
    expect(counting.open()).toBe(0);

    const reopened = await openCommitLogStore({
      dir: temp.path,
      clock: new FakeClock(),
      fileSystem: counting.fileSystem,
      logger: silentLogger,
      segmentSize: 8 * 1024 * 1024,
      maxOpenConsumeQueueFiles: 64,
      consumeQueueEntriesPerFile: 1000,
    });
    expect(await reopened.queueRange('wide', 4321)).toEqual({ queueId: 4321, minOffset: 0, maxOffset: 2 });
    expect(counting.peak()).toBeLessThanOrEqual(64 + 16);
    await reopened.close();
  }, 60_000);
});
