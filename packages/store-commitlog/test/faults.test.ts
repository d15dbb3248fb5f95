import { cpSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMessage, EddyError, type Message, MessageIdGenerator, type StoredMessage } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { FakeClock, makeTempDir, type TempDir } from '@eddy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../src/checkpoint.js';
import {
  type CommitLogStoreOptions,
  FaultyFileSystem,
  nodeFileSystem,
  openCommitLogStore,
  silentLogger,
} from '../src/index.js';

/*
 * Fault tests of the whole engine: damaged segments, torn tails, power loss and failed fsyncs. The
 * rule every case checks: the store recovers a prefix of what was written, with the right content at
 * the right offsets (and carries on from there), or refuses with CORRUPT_DATA; it never returns wrong
 * data and never fails in another way.
 */

const QUEUES: ReadonlyArray<readonly [string, number]> = [
  ['orders', 0],
  ['orders', 1],
  ['payments', 0],
];
const MESSAGE_COUNT = 700;

/** A small deterministic generator (mulberry32), so every failure replays from its seed. */
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

/** One message as written: where it must be found, and in which order it went into the CommitLog. */
interface Written {
  readonly topic: string;
  readonly queueId: number;
  readonly offset: number;
  /** Position in the global append order. */
  readonly sequence: number;
  readonly message: Message;
}

const queueName = (topic: string, queueId: number): string => `${topic}/${queueId}`;

function options(dir: string, extra: Partial<CommitLogStoreOptions> = {}): CommitLogStoreOptions {
  return {
    dir,
    clock: new FakeClock(),
    logger: silentLogger,
    // Small everything, so that segments, ConsumeQueue files and index files all roll over.
    segmentSize: 64 * 1024 + 1024,
    maxBodySize: 1024,
    consumeQueueEntriesPerFile: 50,
    indexSlots: 64,
    indexEntriesPerFile: 300,
    diskMaxUsedRatio: 1,
    ...extra,
  };
}

/** A message whose body names its own place, so that a message served from the wrong place shows. */
function makeMessage(
  topic: string,
  queueId: number,
  offset: number,
  sequence: number,
  next: () => number,
  ids: MessageIdGenerator,
): Message {
  const filler = String.fromCharCode(97 + (sequence % 26)).repeat(Math.floor(next() * 700));
  return createMessage(
    {
      topic,
      body: `${topic}|${queueId}|${offset}|${sequence}|${filler}`,
      keys: [`key-${sequence % 40}`, `seq-${sequence}`],
      tag: `t${sequence % 3}`,
      properties: next() < 0.3 ? { trace: `trace-${sequence}` } : undefined,
    },
    { ids },
  );
}

/**
 * Appends `count` known messages in batches of 1–8 over {@link QUEUES} and returns them. Offsets are
 * predicted at call time (appends to a queue take offsets in call order), so concurrent appenders
 * know what an unacknowledged append would have put where.
 */
class Writer {
  readonly written: Written[] = [];
  readonly acknowledged = new Set<Written>();
  readonly #nextOffset = new Map<string, number>();
  readonly #next: () => number;
  readonly #ids = new MessageIdGenerator();

  constructor(seed: number) {
    this.#next = random(seed);
  }

  /** Appends one batch to a random queue; resolves with whether the store acknowledged it. */
  async appendBatch(store: MessageStore): Promise<boolean> {
    const [topic, queueId] = QUEUES[Math.floor(this.#next() * QUEUES.length)] as readonly [string, number];
    const name = queueName(topic, queueId);
    const base = this.#nextOffset.get(name) ?? 0;
    const size = 1 + Math.floor(this.#next() * 8);
    const batch: Written[] = [];
    for (let i = 0; i < size; i++) {
      const sequence = this.written.length;
      const message = makeMessage(topic, queueId, base + i, sequence, this.#next, this.#ids);
      const entry = { topic, queueId, offset: base + i, sequence, message };
      this.written.push(entry);
      batch.push(entry);
    }
    this.#nextOffset.set(name, base + size);
    const appending = store.append(
      topic,
      queueId,
      batch.map((entry) => entry.message),
    );
    try {
      const result = await appending;
      expect(result.baseOffset).toBe(base);
      for (const entry of batch) this.acknowledged.add(entry);
      return true;
    } catch (error) {
      if (!EddyError.is(error)) throw error;
      return false;
    }
  }
}

function expectSameMessage(actual: StoredMessage, expected: Written): void {
  expect(Buffer.from(actual.body).toString()).toBe(Buffer.from(expected.message.body).toString());
  expect(actual).toMatchObject({
    topic: expected.topic,
    queueId: expected.queueId,
    queueOffset: expected.offset,
    messageId: expected.message.messageId,
    keys: expected.message.keys,
    tag: expected.message.tag,
    properties: expected.message.properties,
  });
}

/**
 * Checks that `store` holds a prefix of `written` in CommitLog order, every message correct, that
 * look-ups agree, and that appends carry on at the next offsets. Returns how many messages survived.
 */
async function expectRecoveredPrefix(store: MessageStore, written: readonly Written[]): Promise<number> {
  const survived = new Map<string, number>();
  for (const [topic, queueId] of QUEUES) {
    const range = await store.queueRange(topic, queueId);
    const expected = written.filter((entry) => entry.topic === topic && entry.queueId === queueId);
    if (range === undefined) {
      survived.set(queueName(topic, queueId), 0);
      continue;
    }
    expect(range.minOffset).toBe(0);
    expect(range.maxOffset).toBeLessThanOrEqual(expected.length);
    let offset = 0;
    while (offset < range.maxOffset) {
      const result = await store.read(topic, queueId, offset, { maxMessages: 64 });
      if (result.status !== 'ok') throw new Error(`read ${topic}/${queueId}@${offset} gave ${result.status}`);
      expect(result.messages.length).toBeGreaterThan(0);
      for (const message of result.messages) expectSameMessage(message, expected[message.queueOffset] as Written);
      expect(result.messages[0]?.queueOffset).toBe(offset);
      offset = result.nextOffset;
    }
    survived.set(queueName(topic, queueId), range.maxOffset);
  }
  // A prefix of the global order: the first k messages written, k being how many survived.
  const total = [...survived.values()].reduce((sum, count) => sum + count, 0);
  for (const [topic, queueId] of QUEUES) {
    const inPrefix = written.filter(
      (entry) => entry.sequence < total && entry.topic === topic && entry.queueId === queueId,
    ).length;
    expect(survived.get(queueName(topic, queueId)), `${topic}/${queueId} of a prefix of ${total}`).toBe(inPrefix);
  }
  // Look-ups find what survived and nothing that did not (the index was cut with the log).
  for (const entry of written.filter((_, i) => i % 23 === 0 || i === total - 1 || i === total)) {
    const found = await store.findById(entry.message.messageId);
    if (entry.sequence < total) expectSameMessage(found as StoredMessage, entry);
    else expect(found).toBeUndefined();
    const byKey = await store.findByKey(entry.topic, `seq-${entry.sequence}`);
    expect(byKey.length).toBe(entry.sequence < total ? 1 : 0);
    if (byKey[0] !== undefined) expectSameMessage(byKey[0], entry);
  }
  for (const [topic, queueId] of QUEUES) {
    const result = await store.append(topic, queueId, [createMessage({ topic, body: 'after recovery' })]);
    expect(result.baseOffset).toBe(survived.get(queueName(topic, queueId)));
  }
  return total;
}

async function openOrCorrupt(
  dir: string,
  extra: Partial<CommitLogStoreOptions> = {},
): Promise<MessageStore | 'corrupt'> {
  try {
    return await openCommitLogStore(options(dir, extra));
  } catch (error) {
    if (EddyError.is(error, 'CORRUPT_DATA')) return 'corrupt';
    throw error;
  }
}

function segments(dir: string): string[] {
  return readdirSync(join(dir, 'commitlog'))
    .filter((name) => /^\d{20}$/.test(name))
    .sort()
    .map((name) => join(dir, 'commitlog', name));
}

/** Marks the store as not cleanly stopped, as a crash leaves it. */
function markCrashed(dir: string): void {
  writeFileSync(join(dir, 'abort'), '');
}

// Hundreds of store opens over real files: far beyond the default 5 s when the whole suite shares two cores.
describe('CommitLog store faults', { timeout: 180_000 }, () => {
  let root: TempDir;
  let pristine: string;
  let written: Written[];
  let caseNumber = 0;
  const freshCopy = (): string => {
    const dir = join(root.path, `case-${caseNumber++}`);
    cpSync(pristine, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    root = await makeTempDir('commitlog-faults');
    pristine = join(root.path, 'pristine');
    const store = await openCommitLogStore(options(pristine));
    const writer = new Writer(1);
    while (writer.written.length < MESSAGE_COUNT) expect(await writer.appendBatch(store)).toBe(true);
    await store.close();
    written = writer.written;
    expect(segments(pristine).length).toBeGreaterThan(4);
  }, 60_000);
  afterAll(() => root.remove());

  describe('a last segment cut at random positions, then a crash restart', () => {
    const next = random(42);
    const cuts = Array.from({ length: 24 }, () => next());

    it('recovers a prefix or says CORRUPT_DATA, with the checkpoint as the clean close left it', async () => {
      const outcomes = { recovered: 0, corrupt: 0 };
      for (const fraction of [0, ...cuts, 1]) {
        const dir = freshCopy();
        const last = segments(dir).at(-1) as string;
        truncateSync(last, Math.floor(statSync(last).size * fraction));
        markCrashed(dir);
        const store = await openOrCorrupt(dir);
        if (store === 'corrupt') {
          outcomes.corrupt++;
          continue;
        }
        await expectRecoveredPrefix(store, written);
        await store.close();
        outcomes.recovered++;
      }
      expect(outcomes.recovered + outcomes.corrupt).toBe(cuts.length + 2);
    });

    it('recovers a prefix every time when the cut lies past the checkpoint (a torn tail)', async () => {
      for (const fraction of [0, ...cuts, 1]) {
        const dir = freshCopy();
        const all = segments(dir);
        const last = all.at(-1) as string;
        // The crash came before the last segment was flushed: the checkpoint is at its start.
        const lastStart = Number(last.slice(-20));
        const checkpoint = readCheckpoint(nodeFileSystem, join(dir, 'checkpoint'));
        await writeCheckpoint(nodeFileSystem, join(dir, 'checkpoint'), {
          version: 1,
          commitLogFlushed: lastStart,
          dispatchFlushed: lastStart,
          lastStoreTimestamp: checkpoint?.lastStoreTimestamp ?? 0,
        });
        const size = statSync(last).size;
        const cut = Math.floor(size * fraction);
        truncateSync(last, cut);
        markCrashed(dir);
        const store = await openCommitLogStore(options(dir));
        const survived = await expectRecoveredPrefix(store, written);
        if (fraction === 1) expect(survived).toBe(written.length);
        await store.close();
        // Recovery is durable: a clean reopen sees the same.
        const again = await openCommitLogStore(options(dir));
        for (const [topic, queueId] of QUEUES) {
          const range = await again.queueRange(topic, queueId);
          expect(range?.maxOffset ?? 0).toBeGreaterThanOrEqual(1);
        }
        await again.close();
      }
    });

    it('recovers a prefix every time with repair, wherever the checkpoint is', async () => {
      for (const fraction of cuts.slice(0, 8)) {
        const dir = freshCopy();
        const last = segments(dir).at(-1) as string;
        truncateSync(last, Math.floor(statSync(last).size * fraction));
        markCrashed(dir);
        const store = await openCommitLogStore(options(dir, { repair: true }));
        await expectRecoveredPrefix(store, written);
        await store.close();
      }
    });
  });

  describe('random bytes flipped in segments after a clean close', () => {
    const next = random(7);
    const cases = Array.from({ length: 24 }, (_, i) => ({ seed: i, flips: 1 + Math.floor(next() * 3) }));

    function flip(dir: string, seed: number, flips: number): void {
      const draw = random(1000 + seed);
      const files = segments(dir);
      const sizes = files.map((file) => statSync(file).size);
      const total = sizes.reduce((sum, size) => sum + size, 0);
      for (let i = 0; i < flips; i++) {
        let at = Math.floor(draw() * total);
        let file = 0;
        while (at >= (sizes[file] as number)) at -= sizes[file++] as number;
        const bytes = readFileSync(files[file] as string);
        bytes[at] = (bytes[at] as number) ^ (1 + Math.floor(draw() * 255));
        writeFileSync(files[file] as string, bytes);
      }
    }

    /** Reads every message one at a time: each is the right one or CORRUPT_DATA. Returns how many reads were refused. */
    async function expectCorrectOrRefused(store: MessageStore): Promise<number> {
      let refused = 0;
      for (const [topic, queueId] of QUEUES) {
        const expected = written.filter((entry) => entry.topic === topic && entry.queueId === queueId);
        const range = await store.queueRange(topic, queueId);
        for (let offset = 0; offset < (range?.maxOffset ?? 0); offset++) {
          try {
            const result = await store.read(topic, queueId, offset, { maxMessages: 1 });
            if (result.status !== 'ok') throw new Error(`read ${topic}/${queueId}@${offset} gave ${result.status}`);
            for (const message of result.messages) expectSameMessage(message, expected[message.queueOffset] as Written);
          } catch (error) {
            if (!EddyError.is(error, 'CORRUPT_DATA')) throw error;
            refused++;
          }
        }
      }
      for (const entry of written.filter((_, i) => i % 5 === 0)) {
        try {
          const found = await store.findById(entry.message.messageId);
          if (found !== undefined) expectSameMessage(found, entry);
          for (const message of await store.findByKey(entry.topic, `seq-${entry.sequence}`)) {
            expectSameMessage(message, entry);
          }
        } catch (error) {
          if (!EddyError.is(error, 'CORRUPT_DATA')) throw error;
        }
      }
      return refused;
    }

    it('serves correct data or CORRUPT_DATA on a clean reopen', async () => {
      let refused = 0;
      for (const { seed, flips } of cases) {
        const dir = freshCopy();
        flip(dir, seed, flips);
        const store = await openOrCorrupt(dir);
        if (store === 'corrupt') continue;
        refused += await expectCorrectOrRefused(store);
        await store.close().catch((error) => {
          if (!EddyError.is(error, 'CORRUPT_DATA')) throw error;
        });
      }
      // The damage was noticed somewhere: flips landed in records, not only in blank padding.
      expect(refused).toBeGreaterThan(0);
    });

    it('recovers a prefix, or says CORRUPT_DATA, on a crash restart that scans every segment', async () => {
      for (const { seed, flips } of cases) {
        const dir = freshCopy();
        flip(dir, seed, flips);
        // No checkpoint: recovery scans (and CRC-checks) the whole CommitLog.
        nodeFileSystem.remove(join(dir, 'checkpoint'));
        markCrashed(dir);
        const store = await openOrCorrupt(dir);
        if (store === 'corrupt') continue;
        await expectRecoveredPrefix(store, written);
        await store.close();
      }
    });
  });

  describe('power loss under flush: sync', () => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8])('loses no acknowledged message (seed %i)', async (seed) => {
      const dir = join(root.path, `power-${seed}`);
      const fileSystem = new FaultyFileSystem();
      const clock = new FakeClock();
      const store = await openCommitLogStore(options(dir, { flush: 'sync', fileSystem, clock }));
      const writer = new Writer(100 + seed);
      const draw = random(seed);
      const cutAfter = 20 + Math.floor(draw() * 120);
      let appends = 0;
      let cut = false;
      const appender = async (): Promise<void> => {
        while (!cut) {
          appends++;
          await writer.appendBatch(store);
          if (appends % 17 === 0) await clock.advance(500);
        }
      };
      const appenders = Array.from({ length: 6 }, appender);
      while (appends < cutAfter) await new Promise((resolve) => setImmediate(resolve));
      // The cut comes mid-flight: appends written but not yet synced, syncs under way.
      fileSystem.simulatePowerLoss();
      cut = true;
      await Promise.allSettled(appenders);
      expect(writer.acknowledged.size).toBeGreaterThan(0);

      const reopened = await openCommitLogStore(options(dir, { flush: 'sync' }));
      for (const [topic, queueId] of QUEUES) {
        const expected = writer.written.filter((entry) => entry.topic === topic && entry.queueId === queueId);
        const acknowledged = expected.filter((entry) => writer.acknowledged.has(entry));
        const range = await reopened.queueRange(topic, queueId);
        const maxOffset = range?.maxOffset ?? 0;
        // Everything acknowledged is there; what else survived is what was being written, in place.
        expect(maxOffset).toBeGreaterThanOrEqual(acknowledged.length);
        let offset = 0;
        while (offset < maxOffset) {
          const result = await reopened.read(topic, queueId, offset, { maxMessages: 64 });
          if (result.status !== 'ok') throw new Error(`read gave ${result.status}`);
          for (const message of result.messages) expectSameMessage(message, expected[message.queueOffset] as Written);
          offset = result.nextOffset;
        }
        const appended = await reopened.append(topic, queueId, [createMessage({ topic, body: 'next' })]);
        expect(appended.baseOffset).toBe(maxOffset);
      }
      for (const entry of [...writer.acknowledged].filter((_, i) => i % 7 === 0)) {
        expectSameMessage((await reopened.findById(entry.message.messageId)) as StoredMessage, entry);
      }
      await reopened.close();
    });
  });

  describe('a failed fsync under flush: sync', () => {
    async function scenario(
      failSyncs: (fileSystem: FaultyFileSystem) => void,
    ): Promise<{ writer: Writer; failed: boolean[]; dir: string; fileSystem: FaultyFileSystem }> {
      const dir = join(root.path, `fsync-${caseNumber++}`);
      const fileSystem = new FaultyFileSystem();
      const store = await openCommitLogStore(options(dir, { flush: 'sync', fileSystem }));
      const writer = new Writer(9);
      for (let i = 0; i < 20; i++) expect(await writer.appendBatch(store)).toBe(true);
      failSyncs(fileSystem);
      const failed = await Promise.all([writer.appendBatch(store), writer.appendBatch(store)]);
      // The store either keeps going or refuses clearly: every later append resolves or rejects with an EddyError.
      for (let i = 0; i < 10; i++) await writer.appendBatch(store);
      return { writer, failed, dir, fileSystem };
    }

    it('rejects the appends the failed fsync covered, and loses no acknowledged message to a power cut after it', async () => {
      const { writer, failed, dir, fileSystem } = await scenario((fileSystem) => fileSystem.failSyncs(1));
      expect(failed).toEqual([false, false]);
      fileSystem.simulatePowerLoss();
      const reopened = await openCommitLogStore(options(dir, { flush: 'sync' }));
      for (const [topic, queueId] of QUEUES) {
        const expected = writer.written.filter((entry) => entry.topic === topic && entry.queueId === queueId);
        const range = await reopened.queueRange(topic, queueId);
        const acknowledged = expected.filter((entry) => writer.acknowledged.has(entry));
        for (const entry of acknowledged) {
          const result = await reopened.read(topic, queueId, entry.offset, { maxMessages: 1 });
          expect(result.status, `${topic}/${queueId}@${entry.offset} was acknowledged`).toBe('ok');
          if (result.status === 'ok') expectSameMessage(result.messages[0] as StoredMessage, entry);
        }
        for (let offset = 0; offset < (range?.maxOffset ?? 0); offset++) {
          const result = await reopened.read(topic, queueId, offset, { maxMessages: 1 });
          if (result.status === 'ok' && result.messages[0]) {
            // Unacknowledged appends may be there or not, but only with what was sent for that offset.
            expect(Buffer.from(result.messages[0].body).toString().startsWith(`${topic}|${queueId}|`)).toBe(true);
          }
        }
      }
      await reopened.close();
    });

    it('reports the failure as an EddyError with a clear code', async () => {
      const dir = join(root.path, `fsync-${caseNumber++}`);
      const fileSystem = new FaultyFileSystem();
      const store = await openCommitLogStore(options(dir, { flush: 'sync', fileSystem }));
      await store.append('orders', 0, [createMessage({ topic: 'orders', body: 'ok' })]);
      fileSystem.failSyncs(1);
      const error = await store.append('orders', 0, [createMessage({ topic: 'orders', body: 'x' })]).catch((e) => e);
      expect(EddyError.is(error)).toBe(true);
      expect(['IO_ERROR', 'STORE_CLOSED']).toContain((error as EddyError).code);
      expect((error as EddyError).message).toMatch(/fsync|fdatasync|sync/i);
      await store.close().catch(() => undefined);
    });
  });
});
