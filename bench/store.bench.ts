/**
 * Storage engine throughput: appends of 1 KiB messages in batches of 1, 32 and 256, and a sequential
 * read (256 messages per read), for every engine in {@link ENGINES}. Prints a markdown table and the
 * machine it ran on. Engines are imported by package name, so build them first:
 *
 * ```sh
 * npx tsc -b packages/store-memory packages/store-commitlog packages/store-lmdb && npm run bench:store
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage, type Message, MessageIdGenerator } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { openLmdbStore } from '@eddy/store-lmdb';
import { openMemoryStore } from '@eddy/store-memory';

/** One engine under test. `open` gets a fresh, empty directory per case, for engines that keep files. */
interface EngineEntry {
  readonly name: string;
  open(context: { readonly directory: string }): Promise<MessageStore>;
}

const ENGINES: readonly EngineEntry[] = [
  { name: 'memory', open: () => openMemoryStore() },
  // Async flush, the default of both disk engines: acknowledged once the write reached the OS.
  { name: 'commitlog', open: ({ directory }) => openCommitLogStore({ dir: directory }) },
  { name: 'lmdb', open: ({ directory }) => openLmdbStore({ dir: directory }) },
];

const BODY_SIZE = 1024;
const APPEND_BATCH_SIZES = [1, 32, 256] as const;
const READ_MAX_MESSAGES = 256;
// Each case stops at whichever comes first, so the whole run stays well under 30 s per engine and a
// memory engine holds at most a few hundred MB.
const CASE_SECONDS = 2;
const CASE_MAX_MESSAGES = 400_000;
const WARM_UP_SECONDS = 0.3;
const TOPIC = 'bench';

interface Measurement {
  readonly engine: string;
  readonly operation: string;
  readonly batch: number;
  readonly messages: number;
  readonly seconds: number;
}

// Built once, before any timing: unique ids (as real producers send) sharing one body, which every
// engine copies or encodes on append anyway.
function makeMessages(count: number): Message[] {
  const body = new Uint8Array(BODY_SIZE).map((_, index) => (index * 31) & 0xff);
  const ids = new MessageIdGenerator();
  return Array.from({ length: count }, (_, index) =>
    createMessage({ topic: TOPIC, body, keys: [`key-${index % 1000}`], tag: 'bench' }, { ids }),
  );
}

function chunk(messages: readonly Message[], size: number): Message[][] {
  const batches: Message[][] = [];
  for (let start = 0; start < messages.length; start += size) batches.push(messages.slice(start, start + size));
  return batches;
}

async function withStore<T>(engine: EngineEntry, use: (store: MessageStore) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), `eddy-bench-${engine.name}-`));
  const store = await engine.open({ directory });
  try {
    return await use(store);
  } finally {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function measureAppend(engine: EngineEntry, batches: readonly Message[][], seconds: number): Promise<number[]> {
  return withStore(engine, async (store) => {
    let appended = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    for (const batch of batches) {
      await store.append(TOPIC, 0, batch);
      appended += batch.length;
      if (performance.now() >= deadline) break;
    }
    return [appended, (performance.now() - started) / 1000];
  });
}

async function measureRead(engine: EngineEntry, batches: readonly Message[][], seconds: number): Promise<number[]> {
  return withStore(engine, async (store) => {
    for (const batch of batches) await store.append(TOPIC, 0, batch);
    let read = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    // Whole passes over the queue, from its start, until the time is up.
    do {
      let offset = 0;
      for (;;) {
        const result = await store.read(TOPIC, 0, offset, { maxMessages: READ_MAX_MESSAGES });
        if (result.status !== 'ok') throw new Error(`read at ${offset} failed: ${result.status}`);
        if (result.messages.length === 0) break;
        read += result.messages.length;
        offset = result.nextOffset;
      }
    } while (performance.now() < deadline);
    return [read, (performance.now() - started) / 1000];
  });
}

async function measureEngine(engine: EngineEntry, messages: readonly Message[]): Promise<Measurement[]> {
  const results: Measurement[] = [];
  const warmUp = messages.slice(0, 20_000);
  for (const size of APPEND_BATCH_SIZES) await measureAppend(engine, chunk(warmUp, size), WARM_UP_SECONDS);
  for (const size of APPEND_BATCH_SIZES) {
    const [count, seconds] = await measureAppend(engine, chunk(messages, size), CASE_SECONDS);
    results.push({
      engine: engine.name,
      operation: 'append',
      batch: size,
      messages: count ?? 0,
      seconds: seconds ?? 0,
    });
  }
  const filled = chunk(messages.slice(0, CASE_MAX_MESSAGES / 2), 256);
  await measureRead(engine, chunk(warmUp, 256), WARM_UP_SECONDS);
  const [count, seconds] = await measureRead(engine, filled, CASE_SECONDS);
  results.push({
    engine: engine.name,
    operation: 'read',
    batch: READ_MAX_MESSAGES,
    messages: count ?? 0,
    seconds: seconds ?? 0,
  });
  return results;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function table(measurements: readonly Measurement[]): string {
  const rows = measurements.map((measurement) => {
    const perSecond = measurement.messages / measurement.seconds;
    const megabytes = (perSecond * BODY_SIZE) / 1e6;
    return `| ${measurement.engine} | ${measurement.operation} | ${measurement.batch} | ${formatRate(perSecond)} | ${megabytes.toFixed(1)} |`;
  });
  return ['| engine | operation | batch | msgs/s | MB/s |', '|---|---|---:|---:|---:|', ...rows].join('\n');
}

const messages = makeMessages(CASE_MAX_MESSAGES);
const measurements: Measurement[] = [];
for (const engine of ENGINES) measurements.push(...(await measureEngine(engine, messages)));

const cpu = cpus();
console.log(`Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, Node.js ${process.version}`);
console.log(
  `Messages: ${BODY_SIZE}-byte bodies, one queue; each case runs ${CASE_SECONDS} s or ${CASE_MAX_MESSAGES.toLocaleString('en-US')} messages. Read batch = maxMessages. MB/s counts bodies (1 MB = 10⁶ bytes).\n`,
);
console.log(table(measurements));
