import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { EddyError } from '@eddy/message';
import { compareKeys } from '@eddy/store';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from './faulty-file-system.js';
import { type FileSystem, joinPath, nodeFileSystem } from './file-layer.js';
import { type MetadataLog, openMetadataLog } from './metadata-log.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value).toString('utf8');
const isCode = (code: string) => (error: unknown) => EddyError.is(error, code as never);

async function contents(store: MetadataLog): Promise<Record<string, string>> {
  return Object.fromEntries((await store.scan('')).map((entry) => [entry.key, text(entry.value) as string]));
}

/** A small deterministic generator, so failures replay. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('openMetadataLog', () => {
  let dir: TempDir;
  let metadataDir: string;
  let logPath: string;
  const open: MetadataLog[] = [];
  const openLog = async (
    options: { sync: boolean; compactBytes?: number },
    fileSystem: FileSystem = nodeFileSystem,
  ): Promise<MetadataLog> => {
    const store = await openMetadataLog(fileSystem, metadataDir, options);
    open.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await makeTempDir('metadata');
    metadataDir = joinPath(dir.path, 'metadata');
    logPath = joinPath(metadataDir, 'log');
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close().catch(() => undefined);
    await dir.remove();
  });

  describe.each([{ sync: false }, { sync: true }])('the MetadataStore contract (sync: $sync)', ({ sync }) => {
    it('gets, replaces, deletes and says whether a key was there', async () => {
      const store = await openLog({ sync });
      expect(await store.get('a')).toBeUndefined();
      await store.put('a', bytes('1'));
      await store.put('a', bytes('2'));
      expect(text(await store.get('a'))).toBe('2');
      expect(await store.delete('a')).toBe(true);
      expect(await store.delete('a')).toBe(false);
      expect(await store.get('a')).toBeUndefined();
    });

    it('copies values in and out', async () => {
      const store = await openLog({ sync });
      const value = bytes('original');
      await store.put('k', value);
      value.fill(0);
      const read = (await store.get('k')) as Uint8Array;
      read.fill(0);
      expect(text(await store.get('k'))).toBe('original');
      const [entry] = await store.scan('k');
      entry?.value.fill(0);
      expect(text(await store.get('k'))).toBe('original');
    });

    it('scans a prefix in UTF-8 byte order with a limit, across a reopen', async () => {
      let store = await openLog({ sync });
      const keys = ['u/\u{1F600}', 'u/\uFF61', 'u/\u00e9', 'u/z', 'u/\uE000', 'u/\u{10000}', 'u/\uFFFF', 'v', 'u'];
      for (const key of keys) await store.put(key, bytes(key));
      const expected = keys.filter((key) => key.startsWith('u/')).sort(compareKeys);
      expect((await store.scan('u/')).map((entry) => entry.key)).toEqual(expected);
      expect((await store.scan('u/', { limit: 3 })).map((entry) => entry.key)).toEqual(expected.slice(0, 3));
      await store.close();
      store = await openLog({ sync });
      expect((await store.scan('u/')).map((entry) => entry.key)).toEqual(expected);
      expect((await store.scan('')).map((entry) => entry.key)).toEqual([...keys].sort(compareKeys));
    });

    it('applies a batch in order, later operations winning, and keeps it across a reopen', async () => {
      let store = await openLog({ sync });
      await store.put('gone', bytes('x'));
      await store.batch([
        { type: 'put', key: 'k1', value: bytes('first') },
        { type: 'delete', key: 'k1' },
        { type: 'put', key: 'k3', value: bytes('a') },
        { type: 'put', key: 'k3', value: bytes('b') },
        { type: 'delete', key: 'gone' },
        { type: 'put', key: 'k4', value: new Uint8Array(0) },
      ]);
      await store.batch([]);
      const expected = { k3: 'b', k4: '' };
      expect(await contents(store)).toEqual(expected);
      await store.close();
      store = await openLog({ sync });
      expect(await contents(store)).toEqual(expected);
    });

    it('refuses bad input before writing anything', async () => {
      const store = await openLog({ sync });
      await expect(store.put('', bytes('x'))).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      await expect(store.put('\ud800', bytes('x'))).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      await expect(store.put('k', 'text' as never)).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      await expect(store.scan('', { limit: 0 })).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      await expect(
        store.batch([
          { type: 'put', key: 'ok', value: bytes('1') },
          { type: 'put', key: '', value: bytes('2') },
        ]),
      ).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      await expect(store.batch([{ type: 'nope' } as never])).rejects.toSatisfy(isCode('INVALID_ARGUMENT'));
      expect(await store.scan('')).toEqual([]);
    });

    it('rejects every call with STORE_CLOSED after close, which is idempotent', async () => {
      const store = await openLog({ sync });
      await store.put('k', bytes('v'));
      await store.close();
      await store.close();
      for (const call of [
        () => store.get('k'),
        () => store.put('k', bytes('v')),
        () => store.delete('k'),
        () => store.scan(''),
        () => store.batch([]),
        () => store.flush(),
      ]) {
        await expect(call()).rejects.toSatisfy(isCode('STORE_CLOSED'));
      }
    });
  });

  it('appends one record per write and syncs only in sync mode; deleting a missing key writes nothing', async () => {
    const fileSystem = new FaultyFileSystem();
    const store = await openLog({ sync: false }, fileSystem);
    fileSystem.resetCounts();
    await store.put('a', bytes('1'));
    await store.batch([
      { type: 'put', key: 'b', value: bytes('2') },
      { type: 'put', key: 'c', value: bytes('3') },
    ]);
    expect(await store.delete('missing')).toBe(false);
    expect(fileSystem.counts).toMatchObject({ writes: 2, syncs: 0 });
    await store.flush();
    expect(fileSystem.counts.syncs).toBe(1);
    await store.flush();
    expect(fileSystem.counts.syncs).toBe(1);
  });

  it('shares fdatasyncs between concurrent writes in sync mode (group commit)', async () => {
    const fileSystem = new FaultyFileSystem();
    const store = await openLog({ sync: true }, fileSystem);
    fileSystem.resetCounts();
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.put(`offsets/${i}`, bytes(String(i)))));
    expect(fileSystem.counts.writes).toBe(100);
    expect(fileSystem.counts.syncs).toBeGreaterThanOrEqual(1);
    expect(fileSystem.counts.syncs).toBeLessThanOrEqual(2);
    expect((await store.scan('offsets/')).length).toBe(100);
  });

  it('acknowledges a sync-mode write only once it is durable: power loss keeps every acknowledged write', async () => {
    const fileSystem = new FaultyFileSystem();
    const store = await openLog({ sync: true, compactBytes: 2048 }, fileSystem);
    const acknowledged = new Map<string, string>();
    const next = random(7);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const key = `k${Math.floor(next() * 50)}`;
      const value = `v${i}`;
      pending.push(store.put(key, bytes(value)).then(() => void acknowledged.set(key, value)));
      if (i % 37 === 0) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    // Writes still in flight at the power cut may or may not survive; these never resolved.
    void store.put('late', bytes('x')).catch(() => undefined);
    fileSystem.simulatePowerLoss();
    const reopened = await openLog({ sync: true }, nodeFileSystem);
    const after = await contents(reopened);
    for (const [key, value] of acknowledged) expect(after[key]).toBe(value);
  });

  it('compacts into a snapshot past the threshold, keeping writes made meanwhile in order', async () => {
    const fileSystem = new FaultyFileSystem();
    let store = await openLog({ sync: false, compactBytes: 1024 }, fileSystem);
    const model = new Map<string, string>();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `key/${i % 40}`;
      if (i % 7 === 3) {
        writes.push(store.delete(key));
        model.delete(key);
      } else {
        writes.push(store.put(key, bytes(`value ${i}`)));
        model.set(key, `value ${i}`);
      }
    }
    await Promise.all(writes);
    expect(fileSystem.counts.atomicWrites).toBeGreaterThan(3);
    expect(statSync(logPath).size).toBeLessThan(2048);
    expect(await contents(store)).toEqual(Object.fromEntries(model));
    await store.close();
    store = await openLog({ sync: false });
    expect(await contents(store)).toEqual(Object.fromEntries(model));
  });

  it('replays an old log over a newer snapshot to the same state (crash between snapshot and emptying the log)', async () => {
    let store = await openLog({ sync: false });
    await store.put('a', bytes('1'));
    await store.put('b', bytes('2'));
    await store.delete('a');
    await store.put('a', bytes('3'));
    await store.close();
    const oldLog = readFileSync(logPath);
    store = await openLog({ sync: false, compactBytes: 1 });
    await store.put('c', bytes('4'));
    await store.close();
    writeFileSync(logPath, oldLog);
    store = await openLog({ sync: false });
    expect(await contents(store)).toEqual({ a: '3', b: '2', c: '4' });
  });

  describe('recovery', () => {
    async function writeThree(): Promise<{ ends: number[] }> {
      const store = await openLog({ sync: true });
      const ends = [statSync(logPath).size];
      await store.put('one', bytes('1'));
      ends.push(statSync(logPath).size);
      await store.batch([
        { type: 'put', key: 'two', value: bytes('2') },
        { type: 'delete', key: 'one' },
      ]);
      ends.push(statSync(logPath).size);
      await store.put('three', bytes('3'.repeat(100)));
      ends.push(statSync(logPath).size);
      await store.close();
      return { ends };
    }

    it('drops a last record cut short at any byte, truncates the log there and keeps working', {
      timeout: 60_000,
    }, async () => {
      const { ends } = await writeThree();
      const full = readFileSync(logPath);
      const [, , lastGoodEnd, end] = ends as [number, number, number, number];
      for (let cut = lastGoodEnd + 1; cut < end; cut++) {
        writeFileSync(logPath, full.subarray(0, cut));
        const store = await openLog({ sync: true });
        expect(await contents(store)).toEqual({ two: '2' });
        expect(statSync(logPath).size).toBe(lastGoodEnd);
        await store.put('four', bytes('4'));
        await store.close();
        const again = await openLog({ sync: true });
        expect(await contents(again)).toEqual({ two: '2', four: '4' });
        await again.close();
      }
    });

    it('drops a last record that is zeros (the file grew, the data never landed) or has a bad checksum', async () => {
      const { ends } = await writeThree();
      const full = readFileSync(logPath);
      const lastGoodEnd = ends[2] as number;
      const zeroed = Buffer.concat([full.subarray(0, lastGoodEnd), Buffer.alloc(full.length - lastGoodEnd)]);
      writeFileSync(logPath, zeroed);
      let store = await openLog({ sync: true });
      expect(await contents(store)).toEqual({ two: '2' });
      await store.close();
      const flipped = Buffer.from(full);
      flipped[full.length - 1] = (flipped[full.length - 1] as number) ^ 1;
      writeFileSync(logPath, flipped);
      store = await openLog({ sync: true });
      expect(await contents(store)).toEqual({ two: '2' });
    });

    it('throws CORRUPT_DATA naming the file and position for any damaged byte of a record before the last', {
      timeout: 60_000,
    }, async () => {
      const { ends } = await writeThree();
      const full = readFileSync(logPath);
      const [header, firstEnd, secondEnd] = ends as [number, number, number];
      for (let i = header; i < secondEnd; i++) {
        const bad = Buffer.from(full);
        bad[i] = (bad[i] as number) ^ 0x10;
        writeFileSync(logPath, bad);
        const position = i < firstEnd ? header : firstEnd;
        await expect(openLog({ sync: false })).rejects.toSatisfy(
          (error) =>
            EddyError.is(error, 'CORRUPT_DATA') &&
            error.message.includes(logPath) &&
            error.message.includes(`byte ${position}`) &&
            error.details?.position === position,
        );
      }
    });

    it('throws CORRUPT_DATA for a damaged log header or snapshot', async () => {
      let store = await openLog({ sync: false, compactBytes: 1 });
      await store.put('a', bytes('1'));
      await store.close();
      const snapshotPath = joinPath(metadataDir, 'snapshot');
      const snapshot = readFileSync(snapshotPath);
      snapshot[snapshot.length - 6] = (snapshot[snapshot.length - 6] as number) ^ 1;
      writeFileSync(snapshotPath, snapshot);
      await expect(openLog({ sync: false })).rejects.toSatisfy(
        (error) => EddyError.is(error, 'CORRUPT_DATA') && error.message.includes(snapshotPath),
      );
      snapshot[snapshot.length - 6] = (snapshot[snapshot.length - 6] as number) ^ 1;
      writeFileSync(snapshotPath, snapshot);
      store = await openLog({ sync: false });
      expect(await contents(store)).toEqual({ a: '1' });
      await store.close();
      const log = readFileSync(logPath);
      log[0] = 0x00;
      writeFileSync(logPath, log);
      await expect(openLog({ sync: false })).rejects.toSatisfy(isCode('CORRUPT_DATA'));
    });

    it('starts over from a log whose header never reached the disk', async () => {
      const store = await openLog({ sync: false });
      await store.close();
      truncateSync(logPath, 0);
      const again = await openLog({ sync: false });
      await again.put('k', bytes('v'));
      await again.close();
      expect(await contents(await openLog({ sync: false }))).toEqual({ k: 'v' });
    });
  });

  describe('faults', () => {
    it('completes writes through short writes', async () => {
      const fileSystem = new FaultyFileSystem();
      const store = await openLog({ sync: true }, fileSystem);
      fileSystem.shortWrites(10);
      for (let i = 0; i < 5; i++) await store.put(`k${i}`, bytes('x'.repeat(100)));
      await store.close();
      expect(Object.keys(await contents(await openLog({ sync: false })))).toHaveLength(5);
    });

    it('rejects a failed write, leaves no partial record behind and carries on', async () => {
      const fileSystem = new FaultyFileSystem();
      const store = await openLog({ sync: false }, fileSystem);
      await store.put('before', bytes('1'));
      fileSystem.shortWrites(1);
      fileSystem.failWrites(1, 'DISK_FULL');
      await expect(store.put('failed', bytes('x'.repeat(64)))).rejects.toSatisfy(isCode('DISK_FULL'));
      expect(await store.get('failed')).toBeUndefined();
      await store.put('after', bytes('2'));
      await store.close();
      expect(await contents(await openLog({ sync: false }))).toEqual({ before: '1', after: '2' });
    });

    it('rejects the writes a failed fdatasync covered, and every later write, with IO_ERROR', async () => {
      const fileSystem = new FaultyFileSystem();
      const store = await openLog({ sync: true }, fileSystem);
      await store.put('durable', bytes('1'));
      fileSystem.failSyncs(1);
      const results = await Promise.allSettled([store.put('a', bytes('x')), store.put('b', bytes('y'))]);
      expect(results.every((result) => result.status === 'rejected' && EddyError.is(result.reason, 'IO_ERROR'))).toBe(
        true,
      );
      await expect(store.put('c', bytes('z'))).rejects.toSatisfy(isCode('IO_ERROR'));
      expect(text(await store.get('durable'))).toBe('1');
      fileSystem.simulatePowerLoss();
      const reopened = await openLog({ sync: true });
      expect(text(await reopened.get('durable'))).toBe('1');
      expect(await reopened.get('c')).toBeUndefined();
    });
  });

  it('matches a model through random writes, compactions and reopens', { timeout: 60_000 }, async () => {
    const next = random(2026);
    const model = new Map<string, string>();
    let store = await openLog({ sync: false, compactBytes: 512 });
    for (let step = 0; step < 1500; step++) {
      const roll = next();
      const key = `k/${Math.floor(next() * 30)}${next() < 0.1 ? '\u{1F600}' : ''}`;
      if (roll < 0.5) {
        const value = 'v'.repeat(Math.floor(next() * 20));
        await store.put(key, bytes(value));
        model.set(key, value);
      } else if (roll < 0.7) {
        expect(await store.delete(key)).toBe(model.delete(key));
      } else if (roll < 0.85) {
        const other = `k/${Math.floor(next() * 30)}`;
        await store.batch([
          { type: 'put', key, value: bytes('b') },
          { type: 'delete', key: other },
        ]);
        model.set(key, 'b');
        model.delete(other);
      } else if (roll < 0.95) {
        const limit = 1 + Math.floor(next() * 5);
        const expected = [...model.keys()]
          .filter((candidate) => candidate.startsWith('k/1'))
          .sort(compareKeys)
          .slice(0, limit);
        expect((await store.scan('k/1', { limit })).map((entry) => entry.key)).toEqual(expected);
      } else {
        await store.close();
        store = await openLog({ sync: false, compactBytes: 512 });
      }
    }
    expect(await contents(store)).toEqual(Object.fromEntries(model));
  });
});
