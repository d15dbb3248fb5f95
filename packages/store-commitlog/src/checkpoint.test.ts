import { readFileSync, writeFileSync } from 'node:fs';
import { EddyError } from '@eddy/message';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { FaultyFileSystem } from './faulty-file-system.js';
import { joinPath, nodeFileSystem } from './file-layer.js';

const sample: Checkpoint = {
  version: 1,
  commitLogFlushed: 5 * 2 ** 32 + 17,
  dispatchFlushed: 1_073_741_824,
  lastStoreTimestamp: Date.UTC(2026, 0, 1),
};

describe('checkpoint', () => {
  let dir: TempDir;
  let path: string;
  beforeEach(async () => {
    dir = await makeTempDir('checkpoint');
    path = joinPath(dir.path, 'checkpoint');
  });
  afterEach(() => dir.remove());

  it('is undefined when there is none', () => {
    expect(readCheckpoint(nodeFileSystem, path)).toBeUndefined();
  });

  it('reads back what was written, 64-bit values included, and replaces it', async () => {
    await writeCheckpoint(nodeFileSystem, path, sample);
    expect(readCheckpoint(nodeFileSystem, path)).toEqual(sample);
    const next = { ...sample, commitLogFlushed: Number.MAX_SAFE_INTEGER, dispatchFlushed: 0 };
    await writeCheckpoint(nodeFileSystem, path, next);
    expect(readCheckpoint(nodeFileSystem, path)).toEqual(next);
  });

  it('has a fixed 36-byte layout (CRC32C computed independently)', async () => {
    await writeCheckpoint(nodeFileSystem, path, {
      version: 1,
      commitLogFlushed: 1,
      dispatchFlushed: 2,
      lastStoreTimestamp: 3,
    });
    expect(readFileSync(path).toString('hex')).toBe(
      `4544435000010000${'0000000000000001'}${'0000000000000002'}${'0000000000000003'}631e352f`,
    );
  });

  it('throws CORRUPT_DATA naming the file for any flipped byte, a wrong size or a bad version', async () => {
    await writeCheckpoint(nodeFileSystem, path, sample);
    const good = readFileSync(path);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] as number) ^ 0x40;
      writeFileSync(path, bad);
      expect(() => readCheckpoint(nodeFileSystem, path)).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining(path) }),
      );
    }
    writeFileSync(path, good.subarray(0, 35));
    expect(() => readCheckpoint(nodeFileSystem, path)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
  });

  it('refuses values that are not non-negative safe integers', async () => {
    for (const value of [-1, 1.5, 2 ** 53, Number.NaN]) {
      await expect(writeCheckpoint(nodeFileSystem, path, { ...sample, dispatchFlushed: value })).rejects.toSatisfy(
        (error) => EddyError.is(error, 'INVALID_ARGUMENT'),
      );
    }
    expect(readCheckpoint(nodeFileSystem, path)).toBeUndefined();
  });

  it('keeps the previous checkpoint when the write fails', async () => {
    const fileSystem = new FaultyFileSystem();
    await writeCheckpoint(fileSystem, path, sample);
    fileSystem.failSyncs(1);
    await expect(writeCheckpoint(fileSystem, path, { ...sample, dispatchFlushed: 9 })).rejects.toSatisfy((error) =>
      EddyError.is(error, 'IO_ERROR'),
    );
    expect(readCheckpoint(fileSystem, path)).toEqual(sample);
    expect(fileSystem.counts.atomicWrites).toBe(2);
  });
});
