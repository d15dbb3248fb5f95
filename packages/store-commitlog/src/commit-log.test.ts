import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { createMessage, encodedRecordSize, encodeRecordInto, type StoredMessage } from '@eddy/message';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLANK_HEADER_SIZE, BLANK_MAGIC, CommitLog, segmentName } from './commit-log.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { nodeFileSystem } from './file-layer.js';

function encodeBatch(count: number, bodySize: number, firstOffset = 0): { buffer: Buffer; sizes: number[] } {
  const records = Array.from({ length: count }, (_, i) => ({
    ...createMessage({ topic: 't', body: Buffer.alloc(bodySize, i), messageId: `id-${firstOffset + i}` }),
    queueId: 0,
    queueOffset: firstOffset + i,
    storeTimestamp: 1_000 + firstOffset + i,
  }));
  const sizes = records.map(encodedRecordSize);
  const buffer = Buffer.allocUnsafe(sizes.reduce((sum, size) => sum + size, 0));
  let at = 0;
  for (const record of records) at = encodeRecordInto(buffer, at, record);
  return { buffer, sizes };
}

function scanAll(
  log: CommitLog,
  from = 0,
): { records: StoredMessage[]; positions: number[]; end: number; fault: unknown } {
  const records: StoredMessage[] = [];
  const positions: number[] = [];
  const result = log.scan(from, (record, position) => {
    records.push({ ...record, body: Buffer.from(record.body) });
    positions.push(position);
  });
  return { records, positions, end: result.end, fault: result.fault };
}

describe('CommitLog', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await makeTempDir('commit-log');
  });
  afterEach(async () => {
    await temp.remove();
  });

  it('rolls to a new segment, leaving a blank record, when a batch does not fit in the rest of one', async () => {
    const one = encodeBatch(1, 100);
    const recordSize = one.sizes[0] as number;
    // Room for two records and a bit: the third batch cannot fit and must roll.
    const segmentSize = recordSize * 2 + 50;
    const log = CommitLog.open(nodeFileSystem, temp.path, segmentSize);
    log.setEnd(0);
    const positions = [
      ...log.append(...(Object.values(encodeBatch(1, 100, 0)) as [Buffer, number[]])),
      ...log.append(...(Object.values(encodeBatch(1, 100, 1)) as [Buffer, number[]])),
      ...log.append(...(Object.values(encodeBatch(1, 100, 2)) as [Buffer, number[]])),
    ];
    expect(positions).toEqual([0, recordSize, segmentSize]);
    expect(log.maxPosition).toBe(segmentSize + recordSize);
    expect(readdirSync(temp.path)).toEqual([segmentName(0), segmentName(segmentSize)]);

    const first = join(temp.path, segmentName(0));
    const blank = Buffer.alloc(BLANK_HEADER_SIZE);
    const { openSync, readSync, closeSync } = await import('node:fs');
    const fd = openSync(first, 'r');
    readSync(fd, blank, 0, BLANK_HEADER_SIZE, recordSize * 2);
    closeSync(fd);
    expect(blank.readUInt32BE(0)).toBe(50);
    expect(blank.readUInt16BE(4)).toBe(BLANK_MAGIC);

    await log.flush();
    const scanned = scanAll(log);
    expect(scanned.positions).toEqual(positions);
    expect(scanned.records.map((record) => record.queueOffset)).toEqual([0, 1, 2]);
    expect(scanned.end).toBe(log.maxPosition);
    expect(scanned.fault).toBeUndefined();
    await log.close();
  });

  it('writes nothing when under 6 bytes remain and readers skip them', async () => {
    const recordSize = encodeBatch(1, 100).sizes[0] as number;
    const segmentSize = recordSize * 2 + 3;
    const log = CommitLog.open(nodeFileSystem, temp.path, segmentSize);
    log.setEnd(0);
    for (let i = 0; i < 5; i++) log.append(...(Object.values(encodeBatch(1, 100, i)) as [Buffer, number[]]));
    expect(statSync(join(temp.path, segmentName(0))).size).toBe(recordSize * 2);
    const scanned = scanAll(log);
    expect(scanned.records.map((record) => record.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(scanned.positions).toEqual([0, recordSize, segmentSize, segmentSize + recordSize, 2 * segmentSize]);
    await log.close();
  });

  it('splits a batch larger than a segment at record boundaries, each part one write', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const batch = encodeBatch(10, 200);
    const recordSize = batch.sizes[0] as number;
    const segmentSize = recordSize * 3 + 10;
    const log = CommitLog.open(faulty, temp.path, segmentSize);
    log.setEnd(0);
    faulty.resetCounts();
    const positions = log.append(batch.buffer, batch.sizes);
    // 4 segments of 3, 3, 3 and 1 records, with a blank after each full one.
    expect(positions.map((position) => Math.floor(position / segmentSize))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
    expect(faulty.counts.writes).toBe(4 + 3);
    expect(scanAll(log).records.map((record) => record.queueOffset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await log.close();
  });

  it('keeps going through short writes', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const log = CommitLog.open(faulty, temp.path, 1024 * 1024);
    log.setEnd(0);
    faulty.shortWrites(3);
    const batch = encodeBatch(4, 500);
    log.append(batch.buffer, batch.sizes);
    expect(scanAll(log).records).toHaveLength(4);
    await log.close();
  });

  it('cuts a failed batch back, so that the files never hold part of it', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const batch = encodeBatch(6, 200);
    const segmentSize = (batch.sizes[0] as number) * 4;
    // The third write (the second part of the batch, into the next segment) fails after the first part was written.
    let writes = 0;
    const original = faulty.open.bind(faulty);
    faulty.open = (path, options) => {
      const handle = original(path, options);
      const write = handle.write.bind(handle);
      handle.write = (...args) => {
        writes++;
        if (writes === 3) throw Object.assign(new Error('injected'), { code: 'EIO' });
        return write(...args);
      };
      return handle;
    };
    const log = CommitLog.open(faulty, temp.path, segmentSize);
    log.setEnd(0);
    const first = encodeBatch(1, 200);
    log.append(first.buffer, first.sizes);
    expect(() => log.append(batch.buffer, batch.sizes)).toThrow('injected');
    expect(log.maxPosition).toBe(first.sizes[0]);
    expect(log.segmentStarts).toEqual([0]);
    expect(statSync(join(temp.path, segmentName(0))).size).toBe(first.sizes[0]);
    expect(log.failure).toBeUndefined();
    await log.close();
  });

  it('reports a failed write as DISK_FULL and stays usable', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const log = CommitLog.open(faulty, temp.path, 1024 * 1024);
    log.setEnd(0);
    faulty.failWrites(1, 'DISK_FULL');
    const batch = encodeBatch(2, 10);
    expect(() => log.append(batch.buffer, batch.sizes)).toThrow(expect.objectContaining({ code: 'DISK_FULL' }));
    expect(log.maxPosition).toBe(0);
    log.append(batch.buffer, batch.sizes);
    expect(scanAll(log).records).toHaveLength(2);
    await log.close();
  });

  it('shares one fdatasync among waiters that arrive while one runs (group commit)', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const log = CommitLog.open(faulty, temp.path, 1024 * 1024);
    log.setEnd(0);
    faulty.resetCounts();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = encodeBatch(1, 10, i);
      const [position] = log.append(batch.buffer, batch.sizes);
      waits.push(log.waitForFlush((position as number) + (batch.sizes[0] as number)));
    }
    await Promise.all(waits);
    expect(log.flushedPosition).toBe(log.maxPosition);
    expect(faulty.counts.syncs).toBeLessThanOrEqual(2);
    await log.close();
  });

  it('refuses writes after a failed fdatasync and rejects its waiters', async () => {
    const faulty = new FaultyFileSystem(nodeFileSystem);
    const log = CommitLog.open(faulty, temp.path, 1024 * 1024);
    log.setEnd(0);
    const batch = encodeBatch(1, 10);
    log.append(batch.buffer, batch.sizes);
    faulty.failSyncs(1);
    await expect(log.flush()).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(() => log.append(batch.buffer, batch.sizes)).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    await log.close();
  });

  it('scans to a torn tail and says where it is', async () => {
    const log = CommitLog.open(nodeFileSystem, temp.path, 1024 * 1024);
    log.setEnd(0);
    const batch = encodeBatch(5, 100);
    const positions = log.append(batch.buffer, batch.sizes);
    await log.close();
    truncateSync(join(temp.path, segmentName(0)), (positions[4] as number) + 30);
    const reopened = CommitLog.open(nodeFileSystem, temp.path, 1024 * 1024);
    const scanned = reopened.scan(0, () => {});
    expect(scanned.records).toBe(4);
    expect(scanned.end).toBe(positions[4]);
    expect(scanned.fault).toMatchObject({ position: positions[4], filePosition: positions[4], fault: 'truncated' });
    expect(scanned.bytesAfterEnd).toBe(30);
    reopened.setEnd(scanned.end);
    expect(statSync(join(temp.path, segmentName(0))).size).toBe(positions[4]);
    await reopened.close();
  });

  it('refuses files written with another segment size', () => {
    const log = CommitLog.open(nodeFileSystem, temp.path, 1000);
    log.setEnd(1000);
    const batch = encodeBatch(1, 10);
    log.append(batch.buffer, batch.sizes);
    expect(() => CommitLog.open(nodeFileSystem, temp.path, 1024)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });
});
