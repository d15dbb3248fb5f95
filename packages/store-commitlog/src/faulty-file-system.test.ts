import { readFileSync } from 'node:fs';
import { EddyError } from '@eddy/message';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from './faulty-file-system.js';
import { joinPath, nodeFileSystem } from './file-layer.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('FaultyFileSystem', () => {
  let dir: TempDir;
  let fileSystem: FaultyFileSystem;
  beforeEach(async () => {
    dir = await makeTempDir('faulty');
    fileSystem = new FaultyFileSystem();
  });
  afterEach(() => dir.remove());

  const path = (name: string): string => joinPath(dir.path, name);

  it('passes calls through and counts them', async () => {
    const handle = fileSystem.open(path('a'), { create: true });
    expect(handle.write(bytes('hello'), 0, 5, 0)).toBe(5);
    await handle.sync();
    await fileSystem.syncDirectory(dir.path);
    await fileSystem.writeFileAtomic(path('b'), bytes('x'));
    handle.truncate(2);
    handle.close();
    expect(readFileSync(path('a'), 'utf8')).toBe('he');
    expect(fileSystem.counts).toMatchObject({
      writes: 1,
      bytesWritten: 5,
      syncs: 1,
      directorySyncs: 1,
      atomicWrites: 1,
      opens: 1,
      truncates: 1,
      failedSyncs: 0,
    });
    fileSystem.resetCounts();
    expect(fileSystem.counts.writes).toBe(0);
  });

  it('makes the next writes short, then full again', () => {
    fileSystem.shortWrites(2);
    const handle = fileSystem.open(path('a'), { create: true });
    expect(handle.write(bytes('abcdefgh'), 0, 8, 0)).toBe(4);
    expect(handle.write(bytes('abcdefgh'), 4, 4, 4)).toBe(2);
    expect(handle.write(bytes('abcdefgh'), 6, 2, 6)).toBe(2);
    handle.close();
    expect(readFileSync(path('a'), 'utf8')).toBe('abcdefgh');
    expect(fileSystem.counts.faultyWrites).toBe(2);
  });

  it('fails writes with IO_ERROR or DISK_FULL without writing', () => {
    const handle = fileSystem.open(path('a'), { create: true });
    fileSystem.failWrites(1, 'DISK_FULL');
    expect(() => handle.write(bytes('abc'), 0, 3, 0)).toThrow(expect.objectContaining({ code: 'DISK_FULL' }));
    fileSystem.failWrites(1);
    expect(() => handle.write(bytes('abc'), 0, 3, 0)).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    expect(handle.size()).toBe(0);
    expect(handle.write(bytes('abc'), 0, 3, 0)).toBe(3);
    handle.close();
  });

  it('fails syncs with IO_ERROR: handle syncs, directory syncs and atomic writes', async () => {
    const handle = fileSystem.open(path('a'), { create: true });
    fileSystem.failSyncs(3);
    await expect(handle.sync()).rejects.toSatisfy((error) => EddyError.is(error, 'IO_ERROR'));
    await expect(fileSystem.syncDirectory(dir.path)).rejects.toSatisfy((error) => EddyError.is(error, 'IO_ERROR'));
    await expect(fileSystem.writeFileAtomic(path('b'), bytes('x'))).rejects.toSatisfy((error) =>
      EddyError.is(error, 'IO_ERROR'),
    );
    expect(fileSystem.exists(path('b'))).toBe(false);
    await handle.sync();
    expect(fileSystem.counts.failedSyncs).toBe(3);
    handle.close();
  });

  describe('simulatePowerLoss', () => {
    it('keeps what a sync made durable and takes back what came after, overwrites and growth alike', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('0123456789'), 0, 10, 0);
      await handle.sync();
      handle.write(bytes('abc'), 0, 3, 2);
      handle.write(bytes('XYZ'), 0, 3, 10);
      handle.write(bytes('q'), 0, 1, 3);
      expect(fileSystem.unsyncedBytes(path('a'))).toBe(7);
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('a'), 'utf8')).toBe('0123456789');
      expect(fileSystem.unsyncedBytes(path('a'))).toBe(0);
    });

    it('takes back a truncation that was not synced', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('0123456789'), 0, 10, 0);
      await handle.sync();
      handle.truncate(4);
      handle.write(bytes('zz'), 0, 2, 4);
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('a'), 'utf8')).toBe('0123456789');
    });

    it('keeps a synced truncation', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('0123456789'), 0, 10, 0);
      handle.truncate(4);
      await handle.sync();
      handle.write(bytes('more'), 0, 4, 4);
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('a'), 'utf8')).toBe('0123');
    });

    it('removes files created since the last sync of their directory', async () => {
      const early = fileSystem.open(path('early'), { create: true });
      early.write(bytes('e'), 0, 1, 0);
      await early.sync();
      await fileSystem.syncDirectory(dir.path);
      const late = fileSystem.open(path('late'), { create: true });
      late.write(bytes('l'), 0, 1, 0);
      await late.sync();
      fileSystem.simulatePowerLoss();
      expect(fileSystem.exists(path('early'))).toBe(true);
      expect(fileSystem.exists(path('late'))).toBe(false);
    });

    it('treats files that existed before it saw them as durable', async () => {
      await nodeFileSystem.writeFileAtomic(path('old'), bytes('old data'));
      const handle = fileSystem.open(path('old'));
      handle.write(bytes('NEW'), 0, 3, 0);
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('old'), 'utf8')).toBe('old data');
    });

    it('keeps files written with writeFileAtomic', async () => {
      await fileSystem.writeFileAtomic(path('state'), bytes('v1'));
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('state'), 'utf8')).toBe('v1');
    });

    it('loses for good the writes a failed sync should have covered, keeping later synced overwrites', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('0000000000'), 0, 10, 0);
      await handle.sync();
      handle.write(bytes('AAAAAA'), 0, 6, 0);
      fileSystem.failSyncs(1);
      await expect(handle.sync()).rejects.toThrow();
      // The application rewrites part of the range and syncs: only that part becomes durable.
      handle.write(bytes('BB'), 0, 2, 2);
      handle.write(bytes('CC'), 0, 2, 10);
      await handle.sync();
      expect(readFileSync(path('a'), 'utf8')).toBe('AABBAA0000CC');
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('a'), 'utf8')).toBe('00BB000000CC');
    });

    it('covers only the writes made before a sync began', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('first'), 0, 5, 0);
      const sync = handle.sync();
      handle.write(bytes('second'), 0, 6, 5);
      await sync;
      fileSystem.simulatePowerLoss();
      expect(readFileSync(path('a'), 'utf8')).toBe('first');
    });

    it('kills every open handle', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      fileSystem.simulatePowerLoss();
      expect(() => handle.write(bytes('x'), 0, 1, 0)).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
      await expect(handle.sync()).rejects.toSatisfy((error) => EddyError.is(error, 'IO_ERROR'));
      handle.close();
      // The file system itself carries on, as after a reboot.
      const again = fileSystem.open(path('b'), { create: true });
      expect(again.write(bytes('y'), 0, 1, 0)).toBe(1);
      again.close();
    });

    it('fails a sync that was in flight when the power went', async () => {
      const handle = fileSystem.open(path('a'), { create: true });
      await fileSystem.syncDirectory(dir.path);
      handle.write(bytes('data'), 0, 4, 0);
      const sync = handle.sync();
      fileSystem.simulatePowerLoss();
      await expect(sync).rejects.toSatisfy((error) => EddyError.is(error, 'IO_ERROR'));
      expect(readFileSync(path('a'), 'utf8')).toBe('');
    });
  });
});
