import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { makeTempDir, type TempDir } from '@eddy/testkit';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from './faulty-file-system.js';
import { type FileSystem, joinPath, nodeFileSystem } from './file-layer.js';
import {
  INDEX_HASH_SEED,
  indexHash,
  indexHashFinish,
  indexHashUpdate,
  KeyIndex,
  type KeyIndexOptions,
} from './index-file.js';

/** The documented hash, written the slow and obvious way. */
function referenceHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0 || 1;
}

/** Two keys with the same 32-bit hash (found by a birthday search, checked in a test below). */
const COLLIDING: [string, string] = ['c693596', 'c1170850'];

const sortedNames = (path: string): string[] => readdirSync(path).sort();

describe('indexHash', () => {
  it('is FNV-1a over UTF-8 with the fmix32 finaliser, never 0', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        expect(indexHash(key)).toBe(referenceHash(key));
      }),
      { numRuns: 2000 },
    );
    for (const key of ['', 'a', 'k\u0000topic\u0000key', '\ud800', 'x\udc00y', '\ud83d\ude00', '\u{10FFFF}']) {
      expect(indexHash(key)).toBe(referenceHash(key));
      expect(indexHash(key)).not.toBe(0);
    }
    // Golden values, computed by a separate implementation: the hash is part of the file format.
    expect(indexHash('')).toBe(0xab3e7c0b);
    expect(indexHash('iABC')).toBe(0xb10ca430);
    expect(indexHash('k\u0000orders\u0000key-1')).toBe(0x2c6251a6);
    expect(indexHash(COLLIDING[0])).toBe(indexHash(COLLIDING[1]));
  });

  it('hashes parts in turn as it hashes their concatenation when ASCII joins them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (topic, key) => {
        const parts = [`k${topic}`, '\0', key].reduce(indexHashUpdate, INDEX_HASH_SEED);
        expect(indexHashFinish(parts)).toBe(indexHash(`k${topic}\0${key}`));
      }),
      { numRuns: 1000 },
    );
  });

  it('spreads sequential keys evenly over slots', () => {
    const slots = 1000;
    const counts = new Uint32Array(slots);
    for (let i = 0; i < 100_000; i++) {
      const slot = indexHash(`key-${i}`) % slots;
      counts[slot] = (counts[slot] ?? 0) + 1;
    }
    const max = Math.max(...counts);
    const min = Math.min(...counts);
    // Mean 100; a binomial spread stays well within these bounds.
    expect(max).toBeLessThan(150);
    expect(min).toBeGreaterThan(55);
  });
});

describe('KeyIndex', () => {
  let dir: TempDir;
  let indexDir: string;
  const opened: KeyIndex[] = [];
  const open = (options: Partial<KeyIndexOptions> = {}, fileSystem: FileSystem = nodeFileSystem): KeyIndex => {
    const index = KeyIndex.open(fileSystem, indexDir, { slots: 16, entriesPerFile: 8, ...options });
    opened.push(index);
    return index;
  };

  beforeEach(async () => {
    dir = await makeTempDir('index');
    indexDir = joinPath(dir.path, 'index');
  });
  afterEach(async () => {
    for (const index of opened.splice(0)) {
      try {
        index.close();
      } catch {
        // A test may have broken the files on purpose.
      }
    }
    await dir.remove();
  });

  it('finds positions by key, newest first, within a limit, without duplicates', () => {
    const index = open({ slots: 4, entriesPerFile: 100 });
    index.add('kA', 0);
    index.add('kB', 0);
    index.add('kA', 100);
    index.add('kA', 100);
    index.add('kB', 250);
    index.add('kA', 300);
    expect(index.lookup('kA', 10)).toEqual([300, 100, 0]);
    expect(index.lookup('kA', 2)).toEqual([300, 100]);
    expect(index.lookup('kB', 10)).toEqual([250, 0]);
    expect(index.lookup('kC', 10)).toEqual([]);
    expect(index.lookup('kA', 0)).toEqual([]);
  });

  it('returns hash collisions too, for the caller to confirm on the record', () => {
    const [first, second] = COLLIDING;
    const index = open();
    index.add(first, 10);
    index.add(second, 20);
    expect(index.lookup(first, 10)).toEqual([20, 10]);
  });

  it('refuses positions that go down, or are not safe integers', () => {
    const index = open();
    index.add('k', 100);
    expect(() => index.add('k', 99)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => index.add('k', -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => index.add('k', 2 ** 53)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => KeyIndex.open(nodeFileSystem, indexDir, { slots: 0, entriesPerFile: 8 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('rolls over to a new file when one is full and looks up across files, also after reopening', async () => {
    let index = open({ slots: 3, entriesPerFile: 5 });
    for (let i = 0; i < 23; i++) index.add(`k${i % 4}`, i * 10 + 2 ** 40);
    const expected = (key: number): number[] =>
      Array.from({ length: 23 }, (_, i) => i)
        .filter((i) => i % 4 === key)
        .reverse()
        .map((i) => i * 10 + 2 ** 40);
    for (let key = 0; key < 4; key++) expect(index.lookup(`k${key}`, 100)).toEqual(expected(key));
    await index.flush();
    expect(sortedNames(indexDir)).toEqual([0, 1, 2, 3, 4].map((n) => String(n).padStart(20, '0')));
    index.close();
    index = open({ slots: 7, entriesPerFile: 50 });
    for (let key = 0; key < 4; key++) expect(index.lookup(`k${key}`, 100)).toEqual(expected(key));
    expect(index.lastPosition).toBe(220 + 2 ** 40);
    // The newest file keeps its geometry until it is full, then new files take the new one.
    for (let i = 23; i < 30; i++) index.add(`k${i % 4}`, i * 10 + 2 ** 40);
    index.close();
    index = open({ slots: 7, entriesPerFile: 50 });
    expect(index.lookup('k1', 100)).toEqual(
      [29, 25, 21, 17, 13, 9, 5, 1].map((i) => i * 10 + 2 ** 40).filter((_, n, all) => n < all.length),
    );
  });

  it('writes only changed pages at flush and fdatasyncs the file and, when files were made, the directory', async () => {
    const fileSystem = new FaultyFileSystem();
    const index = open({ slots: 5000, entriesPerFile: 10_000 }, fileSystem);
    index.add('k', 1);
    await index.flush();
    expect(fileSystem.counts).toMatchObject({ syncs: 1, directorySyncs: 1 });
    fileSystem.resetCounts();
    await index.flush();
    expect(fileSystem.counts).toMatchObject({ writes: 0, syncs: 0, directorySyncs: 0 });
    index.add('k', 2);
    await index.flush();
    // The header page, one slot page and one entry page at most; never the 20 KiB slot table.
    expect(fileSystem.counts.bytesWritten).toBeLessThanOrEqual(3 * 4096);
    expect(fileSystem.counts).toMatchObject({ syncs: 1, directorySyncs: 0 });
  });

  it('forgets entries at or after a position (truncateAfter), across files, and keeps that after reopening', async () => {
    let index = open({ slots: 3, entriesPerFile: 4 });
    for (let i = 0; i < 14; i++) index.add(`k${i % 2}`, i * 100);
    await index.flush();
    index.truncateAfter(650);
    expect(index.lookup('k0', 100)).toEqual([600, 400, 200, 0]);
    expect(index.lookup('k1', 100)).toEqual([500, 300, 100]);
    expect(index.lastPosition).toBe(600);
    // Re-dispatch after the cut goes on from there, in the file that was reloaded.
    index.add('k1', 700);
    index.add('k0', 800);
    index.add('k0', 900);
    expect(index.lookup('k0', 100)).toEqual([900, 800, 600, 400, 200, 0]);
    await index.flush();
    index.close();
    index = open({ slots: 3, entriesPerFile: 4 });
    expect(index.lookup('k0', 100)).toEqual([900, 800, 600, 400, 200, 0]);
    expect(index.lookup('k1', 100)).toEqual([700, 500, 300, 100]);
    index.truncateAfter(0);
    expect(index.lookup('k0', 100)).toEqual([]);
    expect(index.lastPosition).toBe(-1);
    index.close();
    index = open({ slots: 3, entriesPerFile: 4 });
    expect(index.lookup('k0', 100)).toEqual([]);
  });

  it('drops whole files below a position (deleteBefore), the newest too when all of it is below', async () => {
    let index = open({ slots: 3, entriesPerFile: 4 });
    for (let i = 0; i < 10; i++) index.add('k', i * 100);
    await index.flush();
    index.deleteBefore(500);
    // Files hold 0–300, 400–700, 800–900: only the first is wholly below 500.
    expect(index.lookup('k', 100)).toEqual([900, 800, 700, 600, 500, 400]);
    expect(sortedNames(indexDir)).toHaveLength(2);
    index.deleteBefore(901);
    expect(index.lookup('k', 100)).toEqual([]);
    index.add('k', 1000);
    await index.flush();
    index.close();
    index = open({ slots: 3, entriesPerFile: 4 });
    expect(index.lookup('k', 100)).toEqual([1000]);
    expect(sortedNames(indexDir)).toEqual(['00000000000000000003']);
  });

  describe('damage and crashes', () => {
    async function writeSome(count: number, options: Partial<KeyIndexOptions> = {}): Promise<void> {
      const index = open({ slots: 16, entriesPerFile: 1000, ...options });
      for (let i = 0; i < count; i++) index.add(`k${i % 5}`, i * 10);
      await index.flush();
      index.close();
    }

    it('throws CORRUPT_DATA naming the file when both header copies are bad, or starts empty on request', async () => {
      await writeSome(20);
      const path = joinPath(indexDir, '00000000000000000000');
      const bytes = readFileSync(path);
      bytes[8] = (bytes[8] as number) ^ 1;
      bytes[64 + 8] = (bytes[64 + 8] as number) ^ 1;
      writeFileSync(path, bytes);
      expect(() => open()).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining(path) }),
      );
      const rebuilt = open({ rebuildOnCorruption: true });
      expect(rebuilt.rebuilt).toBe(true);
      expect(rebuilt.lookup('k0', 10)).toEqual([]);
      rebuilt.add('k0', 5);
      expect(rebuilt.lookup('k0', 10)).toEqual([5]);
    });

    it('opens from the other header copy when one is damaged', async () => {
      await writeSome(20);
      const path = joinPath(indexDir, '00000000000000000000');
      for (const copy of [0, 64]) {
        const bytes = readFileSync(path);
        bytes[copy + 20] = (bytes[copy + 20] as number) ^ 0xff;
        writeFileSync(path, bytes);
        const index = open();
        expect(index.rebuilt).toBe(false);
        expect(index.lookup('k1', 100)).toEqual([160, 110, 60, 10]);
        index.close();
      }
    });

    it('throws CORRUPT_DATA for a damaged older file header', async () => {
      await writeSome(20, { entriesPerFile: 8 });
      const path = joinPath(indexDir, '00000000000000000001');
      const bytes = readFileSync(path);
      bytes.fill(0x55, 0, 128);
      writeFileSync(path, bytes);
      expect(() => open()).toThrow(
        expect.objectContaining({ code: 'CORRUPT_DATA', message: expect.stringContaining(path) }),
      );
    });

    it('keeps the longest well-formed prefix of entries when the newest file was cut short', async () => {
      await writeSome(40, { slots: 4, entriesPerFile: 500 });
      const path = joinPath(indexDir, '00000000000000000000');
      const full = readFileSync(path);
      const entriesStart = 128 + 4 * 4;
      for (const kept of [0, 1, 17, 39]) {
        writeFileSync(path, full);
        truncateSync(path, entriesStart + kept * 16 + 7);
        const index = open({ slots: 4, entriesPerFile: 500 });
        const expected = Array.from({ length: kept }, (_, i) => i)
          .filter((i) => i % 5 === 2)
          .reverse()
          .map((i) => i * 10);
        expect(index.lookup('k2', 100)).toEqual(expected);
        index.truncateAfter(kept * 10);
        for (let i = kept; i < 40; i++) index.add(`k${i % 5}`, i * 10);
        expect(index.lookup('k2', 100)).toEqual([370, 320, 270, 220, 170, 120, 70, 20].filter((p) => p >= 0));
        index.close();
      }
    });

    it('recovers what a completed flush made durable after a power cut at any point (with truncateAfter)', {
      timeout: 60_000,
    }, async () => {
      for (let seed = 1; seed <= 30; seed++) {
        await dir.remove();
        dir = await makeTempDir('index');
        indexDir = joinPath(dir.path, 'index');
        const fileSystem = new FaultyFileSystem();
        const index = open({ slots: 7, entriesPerFile: 6 }, fileSystem);
        let durable = 0;
        let position = 0;
        let flushing: Promise<void> | undefined;
        for (let step = 0; step < seed * 3; step++) {
          index.add(`k${step % 3}`, position);
          position += 10;
          if (step % 4 === seed % 4) {
            await flushing;
            const checkpoint = position;
            flushing = index.flush().then(() => {
              durable = checkpoint;
            });
            // Sometimes the cut comes while this flush is still in flight.
            if (seed % 3 !== 0) await flushing;
          }
        }
        fileSystem.simulatePowerLoss();
        await flushing?.catch(() => undefined);
        const reopened = open({ slots: 7, entriesPerFile: 6 });
        reopened.truncateAfter(durable);
        for (let key = 0; key < 3; key++) {
          const expected: number[] = [];
          for (let p = durable - 10; p >= 0; p -= 10) if ((p / 10) % 3 === key) expected.push(p);
          expect(reopened.lookup(`k${key}`, 1000), `seed ${seed}, key k${key}`).toEqual(expected);
        }
        reopened.close();
      }
    });

    it('never crashes or loops on garbage in an older file', async () => {
      await writeSome(30, { slots: 3, entriesPerFile: 8 });
      const path = joinPath(indexDir, '00000000000000000001');
      const bytes = readFileSync(path);
      const next = fc.sample(fc.integer({ min: 0, max: 0xff }), { numRuns: bytes.length - 128, seed: 42 });
      for (let i = 128; i < bytes.length; i++) bytes[i] = next[i - 128] as number;
      writeFileSync(path, bytes);
      const index = open({ slots: 3, entriesPerFile: 8 });
      for (let key = 0; key < 5; key++) expect(Array.isArray(index.lookup(`k${key}`, 1000))).toBe(true);
      expect(statSync(path).size).toBe(bytes.length);
    });
  });

  it('matches a model through random adds, flushes, reopens, truncations and deletions', {
    timeout: 60_000,
  }, async () => {
    type Model = Array<Array<{ key: string; position: number }>>;
    const lookupModel = (model: Model, key: string, limit: number): number[] => {
      const result: number[] = [];
      for (let f = model.length - 1; f >= 0; f--) {
        const file = model[f] ?? [];
        for (let e = file.length - 1; e >= 0 && result.length < limit; e--) {
          const entry = file[e] as { key: string; position: number };
          if (entry.key === key && result.at(-1) !== entry.position) result.push(entry.position);
        }
      }
      return result;
    };
    const operation = fc.oneof(
      {
        weight: 10,
        arbitrary: fc.record({
          type: fc.constant('add' as const),
          key: fc.integer({ min: 0, max: 5 }),
          step: fc.integer({ min: 0, max: 3 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ type: 'flush' as const }) },
      { weight: 1, arbitrary: fc.constant({ type: 'reopen' as const }) },
      {
        weight: 1,
        arbitrary: fc.record({
          type: fc.constant('truncate' as const),
          back: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 40 })),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('delete' as const), back: fc.integer({ min: 0, max: 40 }) }),
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 120 }), async (operations) => {
        await dir.remove();
        dir = await makeTempDir('index');
        indexDir = joinPath(dir.path, 'index');
        const capacity = 5;
        let index = open({ slots: 3, entriesPerFile: capacity });
        let model: Model = [[]];
        let position = 0;
        for (const op of operations) {
          if (op.type === 'add') {
            position += op.step;
            if ((model.at(-1) as unknown[]).length >= capacity) model.push([]);
            model.at(-1)?.push({ key: `k${op.key}`, position });
            index.add(`k${op.key}`, position);
          } else if (op.type === 'flush') {
            await index.flush();
          } else if (op.type === 'reopen') {
            index.close();
            index = open({ slots: 3, entriesPerFile: capacity });
          } else if (op.type === 'truncate') {
            const cut = Math.max(0, position - op.back);
            index.truncateAfter(cut);
            for (;;) {
              const last = model.at(-1) as Array<{ position: number }>;
              if (last.length > 0 && (last[0]?.position as number) < cut) break;
              const previous = model.at(-2);
              if (last.length === 0 && (previous === undefined || (previous.at(-1)?.position as number) < cut)) break;
              model.pop();
              if (previous === undefined) {
                model.push([]);
                break;
              }
            }
            const last = model.at(-1) as Array<{ position: number }>;
            model[model.length - 1] = last.filter((entry) => entry.position < cut) as Model[number];
            position = Math.min(position, cut);
          } else {
            const cut = Math.max(0, position - op.back);
            index.deleteBefore(cut);
            while (model.length > 1 && ((model[0] as Model[number]).at(-1)?.position as number) < cut) model.shift();
            const only = model[0] as Model[number];
            if (model.length === 1 && only.length > 0 && (only.at(-1)?.position as number) < cut) model = [[]];
          }
          for (let key = 0; key < 6; key++) {
            expect(index.lookup(`k${key}`, 1000)).toEqual(lookupModel(model, `k${key}`, 1000));
          }
        }
        index.close();
      }),
      { numRuns: 100, seed: 20260101 },
    );
  });
});
