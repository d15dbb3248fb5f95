/**
 * Timer messages (`TimerScheduler`) on the CommitLog engine with the real clock, printed as a markdown
 * table and written to docs/benchmarks.md as the section "Scheduled messages" (replaced if there, else
 * appended):
 *
 * - **spread**: N timers (default 100,000) scheduled, due uniformly over 20–60 s after the scheduling
 *   began, so all N are pending when the first falls due. Lateness of each delivered copy = its store
 *   timestamp (taken when the relay appended it) − its due time; p50 / p99 / max. Also the schedule
 *   throughput (64 schedules in flight);
 * - **burst**: N timers all due at one instant: delivery throughput (N / time from the due time to the
 *   last append), and the lateness that queueing behind one another gives;
 * - **restart**: the store closed with N timers pending and reopened: time of `recover()` (journal check,
 *   progress, scan of the timer log from the low watermark, index rebuild).
 *
 * It uses the built packages, so build first:
 *
 * ```sh
 * npx tsc -b packages/consume packages/store-commitlog && npx tsx bench/scheduled.bench.ts
 * ```
 *
 * Environment: `EDDY_BENCH_TIMERS` (default 100000), `EDDY_BENCH_DIR` (where temporary stores go,
 * default the OS temp directory), `EDDY_BENCH_NO_DOCS=1` to leave the docs alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TimerScheduler } from '@eddy/consume';
import { createMessage, type StoredMessage, systemClock } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { writeDocsSection } from './docs-section.js';

const BODY_SIZE = 1024;
const TARGET_QUEUES = 8;
const CONCURRENCY = 64;
const SPREAD_FROM_MS = 20_000;
const SPREAD_TO_MS = 60_000;
/** The burst falls due this long after scheduling begins: room to schedule, close, reopen and recover. */
const BURST_LEAD_MS = 15_000;
// Read once here; this script is run by hand (tsx), not as a cached task.
const settings: Record<string, string | undefined> = { ...process.env };
const TIMERS = Number(settings.EDDY_BENCH_TIMERS ?? 100_000);
const BASE_DIR = settings.EDDY_BENCH_DIR ?? tmpdir();
const WRITE_DOCS = settings.EDDY_BENCH_NO_DOCS !== '1';
const DOCS = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const SECTION = '## Scheduled messages';
const body = new Uint8Array(BODY_SIZE).fill(120);

interface Run {
  readonly name: string;
  readonly scheduleRate: number;
  readonly pendingAtFirstDue: number;
  readonly lateness: { p50: number; p99: number; max: number };
  readonly deliveryRate: number;
  readonly recoverMs?: number;
}

async function openStore(dir: string): Promise<MessageStore> {
  return openCommitLogStore({ dir, logger: silentLogger, segmentSize: 256 * 1024 * 1024 });
}

async function readAll(store: MessageStore, topic: string, queueId: number): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (let offset = 0; ; ) {
    const read = await store.read(topic, queueId, offset, { maxMessages: 1024 });
    if (read.status !== 'ok' || read.messages.length === 0) return all;
    all.push(...read.messages);
    offset = read.nextOffset;
  }
}

// Schedules TIMERS timers with `dueOf(i)`, CONCURRENCY at a time; returns schedules per second.
async function scheduleAll(scheduler: TimerScheduler, dueOf: (i: number) => number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < TIMERS; i = next++) {
        const message = createMessage({ topic: 'bench', body, deliveryTimestamp: dueOf(i) });
        await scheduler.schedule(message, { topic: 'bench', queueId: i % TARGET_QUEUES });
      }
    }),
  );
  return TIMERS / ((performance.now() - started) / 1000);
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

async function measure(name: string, dueOf: (i: number, start: number) => number, restart: boolean): Promise<Run> {
  const dir = await mkdtemp(join(BASE_DIR, `eddy-bench-scheduled-${name}-`));
  // The clock's timers are unref'd; this keeps the process alive while it waits for them.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    let store = await openStore(dir);
    let allDelivered: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allDelivered = resolve;
    });
    const makeScheduler = (on: MessageStore): TimerScheduler =>
      new TimerScheduler({
        store: on,
        clock: systemClock,
        onAppended: () => {
          if (scheduler.pending === 0) allDelivered();
        },
      });
    let scheduler = makeScheduler(store);
    await scheduler.start();
    const start = systemClock.now();
    const dues = Array.from({ length: TIMERS }, (_, i) => dueOf(i, start));
    const firstDue = dues.reduce((a, b) => Math.min(a, b));
    const scheduleRate = await scheduleAll(scheduler, (i) => dues[i] as number);
    const pendingAtFirstDue = scheduler.pending;
    if (systemClock.now() >= firstDue) process.stderr.write(`${name}: scheduling ran past the first due time\n`);

    let recoverMs: number | undefined;
    if (restart) {
      await scheduler.stop();
      await store.close();
      store = await openStore(dir);
      scheduler = makeScheduler(store);
      const began = performance.now();
      await scheduler.recover();
      recoverMs = performance.now() - began;
      if (scheduler.pending !== TIMERS) throw new Error(`recovered ${scheduler.pending} timers, not ${TIMERS}`);
      if (systemClock.now() >= firstDue) process.stderr.write(`${name}: the restart ran past the first due time\n`);
      await scheduler.start();
    }
    await done;
    await scheduler.stop();

    const delivered = (
      await Promise.all(Array.from({ length: TARGET_QUEUES }, (_, queueId) => readAll(store, 'bench', queueId)))
    ).flat();
    if (delivered.length !== TIMERS) throw new Error(`${delivered.length} delivered, not ${TIMERS}`);
    const lateness = delivered
      .map((message) => message.storeTimestamp - (message.deliveryTimestamp as number))
      .sort((a, b) => a - b);
    if ((lateness[0] as number) < 0) throw new Error('a timer was delivered before it was due');
    const lastAppend = delivered.reduce((latest, message) => Math.max(latest, message.storeTimestamp), 0);
    await store.close();
    return {
      name,
      scheduleRate,
      pendingAtFirstDue,
      lateness: { p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99), max: lateness.at(-1) as number },
      deliveryRate: TIMERS / (Math.max(1, lastAppend - firstDue) / 1000),
      recoverMs,
    };
  } finally {
    clearInterval(keepAlive);
    await rm(dir, { recursive: true, force: true });
  }
}

const number = (value: number): string => Math.round(value).toLocaleString('en-US');

const runs: Run[] = [];
runs.push(
  await measure(
    'spread',
    (i, start) =>
      start + SPREAD_FROM_MS + Math.floor(((i * 7919) % TIMERS) * ((SPREAD_TO_MS - SPREAD_FROM_MS) / TIMERS)),
    false,
  ),
);
process.stderr.write(`spread done\n`);
runs.push(await measure('burst', (_, start) => start + BURST_LEAD_MS, true));
process.stderr.write(`burst done\n`);

const [spread, burst] = runs as [Run, Run];
const table = [
  '| case | timers pending at first due | schedule msgs/s | lateness p50 | p99 | max | delivery msgs/s |',
  '|---|---:|---:|---:|---:|---:|---:|',
  `| spread: due uniformly over 20–60 s | ${number(spread.pendingAtFirstDue)} | ${number(spread.scheduleRate)} | ${spread.lateness.p50} ms | ${spread.lateness.p99} ms | ${spread.lateness.max} ms | ${number(spread.deliveryRate)} (the due rate) |`,
  `| burst: all due at one instant | ${number(burst.pendingAtFirstDue)} | ${number(burst.scheduleRate)} | ${burst.lateness.p50} ms | ${burst.lateness.p99} ms | ${burst.lateness.max} ms | ${number(burst.deliveryRate)} |`,
].join('\n');
const section = [
  SECTION,
  '',
  '`npx tsc -b packages/consume packages/store-commitlog && npx tsx bench/scheduled.bench.ts` ' +
    `(\`bench/scheduled.bench.ts\`): \`TimerScheduler\` on the CommitLog engine (async flush), real clock, ` +
    `${number(TIMERS)} timers of ${BODY_SIZE} B bodies to ${TARGET_QUEUES} queues, scheduled ${CONCURRENCY} at a time. ` +
    'Lateness = store timestamp of the delivered copy − due time (1 ms resolution; never negative: checked). ' +
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.version}, ` +
    `load average ${loadavg()[0]?.toFixed(2)} at the end.`,
  '',
  table,
  '',
  `Restart with ${number(TIMERS)} timers pending: \`recover()\` (journal check, progress, scan of the timer log ` +
    `from the low watermark, index rebuild) took ${number(burst.recoverMs ?? 0)} ms. ` +
    'The scan reads every message from the oldest pending timer on, so it grows with the log written since then.',
  '',
  'Target: p99 lateness under 200 ms with 100,000 pending timers (the spread case). In the burst case lateness ' +
    'is queueing: the last of the batch waits for all before it.',
  '',
].join('\n');
process.stdout.write(`\n${section}`);

if (WRITE_DOCS) {
  writeDocsSection(DOCS, SECTION, section);
}
