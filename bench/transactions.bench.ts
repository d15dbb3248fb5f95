/**
 * Transactional messages on the CommitLog engine: `TransactionService.prepare` + `end(commit)`
 * throughput, one producer at a time and 32 concurrent producers, against plain appends of the same
 * messages to the same queues in the same run (the limit: a commit can only be slower). 1 KiB bodies,
 * 4 target queues. Printed as a markdown table and written to docs/benchmarks.md as the section
 * "Transactional messages" (replaced if there, else appended).
 *
 * It uses the built packages, so build first:
 *
 * ```sh
 * npx tsc -b packages/consume packages/store-commitlog && npx tsx bench/transactions.bench.ts
 * ```
 *
 * Environment: `EDDY_BENCH_TRANSACTIONS` (per case and run, default 20000; a quarter of that with sync
 * flush), `EDDY_BENCH_DIR` (where temporary stores go, default the OS temp directory),
 * `EDDY_BENCH_NO_DOCS=1` to leave the docs alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransactionService } from '@eddy/consume';
import { createMessage, type Message, MessageIdGenerator, systemClock } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';
import { writeDocsSection } from './docs-section.js';

const BODY_SIZE = 1024;
const QUEUES = 4;
const CONCURRENT = 32;
/** Each case runs this many times on a fresh store; the median is reported. */
const RUNS = 3;
// Read once here; this script is run by hand (tsx), not as a cached task.
const settings: Record<string, string | undefined> = { ...process.env };
const TRANSACTIONS = Number(settings.EDDY_BENCH_TRANSACTIONS ?? 20_000);
const BASE_DIR = settings.EDDY_BENCH_DIR ?? tmpdir();
const WRITE_DOCS = settings.EDDY_BENCH_NO_DOCS !== '1';
const DOCS = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const SECTION = '## Transactional messages';

type Flush = 'async' | 'sync';
type Work = 'append' | 'prepare' | 'commit' | 'rollback';

interface Case {
  readonly work: Work;
  readonly producers: number;
  readonly flush: Flush;
}

interface Row extends Case {
  readonly perSecond: number;
}

const body = new Uint8Array(BODY_SIZE).map((_, index) => (index * 31) & 0xff);

function number(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Runs `total` operations with `producers` concurrent loops, each awaiting its operation before the next. */
async function drive(producers: number, total: number, operation: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      for (let index = next++; index < total; index = next++) await operation(index);
    }),
  );
}

/** One run of a case on a fresh store: operations per second. */
async function runOnce(benchCase: Case, total: number): Promise<number> {
  const dir = await mkdtemp(join(BASE_DIR, 'eddy-bench-transactions-'));
  const store: MessageStore = await openCommitLogStore({ dir, flush: benchCase.flush, logger: silentLogger });
  const service = new TransactionService({ store, clock: systemClock, onCheck: () => {} });
  await service.start();
  const ids = new MessageIdGenerator();
  const message = (): Message =>
    createMessage({ topic: 'orders', body, keys: ['order'], producerGroup: 'bench-producers' }, { ids });
  const operation = async (index: number): Promise<void> => {
    const queueId = index % QUEUES;
    if (benchCase.work === 'append') {
      await store.append('orders', queueId, [message()]);
      return;
    }
    const { transactionId } = await service.prepare(message(), { topic: 'orders', queueId });
    if (benchCase.work === 'prepare') return;
    const { status } = await service.end(transactionId, benchCase.work);
    if (status !== 'ok') throw new Error(`end gave ${status}`);
  };
  try {
    // Warm-up: the first segment files, the JIT.
    await drive(benchCase.producers, Math.min(1000, total), operation);
    const started = performance.now();
    await drive(benchCase.producers, total, (index) => operation(index + total));
    return total / ((performance.now() - started) / 1000);
  } finally {
    await service.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(benchCase: Case): Promise<Row> {
  const total = benchCase.flush === 'sync' ? Math.max(1, Math.floor(TRANSACTIONS / 4)) : TRANSACTIONS;
  const results: number[] = [];
  for (let run = 0; run < RUNS; run++) results.push(await runOnce(benchCase, total));
  results.sort((a, b) => a - b);
  const row = { ...benchCase, perSecond: results[Math.floor(results.length / 2)] as number };
  process.stderr.write(
    `${describe(row)}: ${number(row.perSecond)}/s (runs: ${results.map((r) => number(r)).join(', ')})\n`,
  );
  return row;
}

function describe(benchCase: Case): string {
  const what = {
    append: 'plain append (the limit)',
    prepare: 'prepare only (half message)',
    commit: 'prepare + commit',
    rollback: 'prepare + rollback',
  }[benchCase.work];
  return `${what}, ${benchCase.producers === 1 ? '1 producer' : `${benchCase.producers} producers`}, ${benchCase.flush} flush`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const cases: Case[] = [];
  for (const flush of ['async', 'sync'] as const) {
    for (const producers of [1, CONCURRENT]) {
      if (flush === 'sync' && producers === 1) continue;
      for (const work of ['append', 'prepare', 'commit', 'rollback'] as const) {
        if (flush === 'sync' && (work === 'prepare' || work === 'rollback')) continue;
        cases.push({ work, producers, flush });
      }
    }
  }
  const rows: Row[] = [];
  for (const benchCase of cases) rows.push(await measure(benchCase));

  const limit = (row: Row): number =>
    rows.find((other) => other.work === 'append' && other.producers === row.producers && other.flush === row.flush)
      ?.perSecond ?? Number.NaN;
  const cpu = cpus();
  const lines = [
    SECTION,
    '',
    '`npx tsc -b packages/consume packages/store-commitlog && npx tsx bench/transactions.bench.ts` ' +
      '(`bench/transactions.bench.ts`): `TransactionService` on the CommitLog engine, 1 KiB bodies, ' +
      `${QUEUES} target queues; each producer awaits its transaction (or append) before the next. ` +
      `${number(TRANSACTIONS)} operations per run with async flush, ${number(Math.floor(TRANSACTIONS / 4))} with sync ` +
      `flush, after a warm-up; the median of ${RUNS} runs, each on a fresh store. ` +
      'The limit is plain appends of the same messages to the same queues in the same run.',
    '',
    `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores · Node ${process.version} · load average ${number(loadavg()[0] ?? 0, 1)} · run took ${number((performance.now() - started) / 1000, 0)} s.`,
    '',
    '| case | per second | of the limit |',
    '|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${describe(row)} | ${number(row.perSecond)} ${row.work === 'append' ? 'msgs' : 'tx'} | ${row.work === 'append' ? '—' : `${number((100 * row.perSecond) / limit(row))} %`} |`,
    ),
    '',
    'A prepare is one append (the half message). A commit is one delivery-journal relay: an intent',
    'record in metadata, the append to the real queue, the op-record append and one metadata batch',
    '(bookkeeping + intent removal), so a committed transaction costs three appends and two metadata',
    'writes against one append for a plain message; a rollback skips the real-queue append. Concurrent',
    'resolutions share relays (group commit, up to 64: one intent, one append per queue, one batch), which',
    'is why 32 producers commit faster than one. With sync flush every write also waits for an fdatasync.',
    'See docs/transactional-messages.md.',
    'Numbers move by ±30 % between runs on this shared two-core VM (load average in the machine line).',
  ];
  const section = `${lines.join('\n')}\n`;
  process.stdout.write(section);
  if (WRITE_DOCS) {
    writeDocsSection(DOCS, SECTION, section);
  }
}

await main();
