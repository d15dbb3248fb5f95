/**
 * The CommitLog engine against the machine's own limits, in one run, printed as markdown:
 *
 * - the raw limit: `fs.writeSync` of the same volume in 1 MiB chunks, and `fdatasync` latency;
 * - async-flush appends of 100 B and 1 KiB messages in batches of 1, 32 and 256;
 * - sync flush (group commit) with 1 and 64 concurrent appenders;
 * - sequential and tag-filtered reads of 100 B messages from the page cache;
 * - recovery time after `kill -9` of a child that wrote `EDDY_BENCH_RECOVERY_BYTES` (default 1 GiB).
 *
 * It uses the built package, so build first:
 *
 * ```sh
 * npx tsc -b packages/store-commitlog && npx tsx bench/commitlog.bench.ts
 * ```
 *
 * Environment: `EDDY_BENCH_RECOVERY_BYTES` (default 1073741824), `EDDY_BENCH_SECONDS` (per case,
 * default 3), `EDDY_BENCH_DIR` (where temporary stores go, default the OS temp directory).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessage, encodedRecordSize, type Message, MessageIdGenerator } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import { openCommitLogStore, silentLogger } from '@eddy/store-commitlog';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const MB = 1e6;
const TOPIC = 'bench';
// Read once here; this script is run by hand (tsx), not as a cached turbo task.
const settings: Record<string, string | undefined> = { ...process.env };
const CASE_SECONDS = Number(settings.EDDY_BENCH_SECONDS ?? 3);
const RECOVERY_BYTES = Number(settings.EDDY_BENCH_RECOVERY_BYTES ?? GIB);
const BASE_DIR = settings.EDDY_BENCH_DIR ?? tmpdir();
/** Each append case stops at this much CommitLog or at CASE_SECONDS; the raw write writes the same. */
const CASE_MAX_BYTES = 512 * MIB;
const SYNC_SAMPLES = 200;
const READ_MESSAGES = 500_000;
const READ_MAX_MESSAGES = 256;
/** Distinct messages built up front and cycled, so that building them is not what is measured. */
const POOL_SIZE = 65_536;

function makePool(bodySize: number, tags: readonly string[] = ['bench']): Message[] {
  const body = new Uint8Array(bodySize).map((_, index) => (index * 31) & 0xff);
  const ids = new MessageIdGenerator();
  return Array.from({ length: POOL_SIZE }, (_, index) =>
    createMessage({ topic: TOPIC, body, keys: [`key-${index % 1000}`], tag: tags[index % tags.length] }, { ids }),
  );
}

/** Batches of `size` taken from the pool in turn, as many as asked for. */
function* batches(pool: readonly Message[], size: number): Generator<Message[]> {
  let at = 0;
  for (;;) {
    const batch: Message[] = [];
    for (let i = 0; i < size; i++) {
      batch.push(pool[at] as Message);
      at = (at + 1) % pool.length;
    }
    yield batch;
  }
}

/**
 * Lets the event loop turn about every 5 ms, as a server's does between requests: a tight loop of
 * appends that resolve without I/O would otherwise starve the store's timers (its periodic flush and
 * checkpoint), and the measurement would leave that work out.
 */
function breather(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < 5) return undefined;
    last = now;
    return new Promise((resolve) => setImmediate(resolve));
  };
}

async function withDir<T>(name: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(BASE_DIR, `eddy-bench-${name}-`));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withStore<T>(
  name: string,
  flush: 'async' | 'sync',
  use: (store: MessageStore, dir: string) => Promise<T>,
): Promise<T> {
  return withDir(name, async (dir) => {
    const store = await openCommitLogStore({ dir, flush, logger: silentLogger });
    try {
      return await use(store, dir);
    } finally {
      await store.close();
    }
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * (sorted.length - 1)))] as number;
}

// ——— (a) the raw limit ———

function measureRawWrite(bytes: number): Promise<number> {
  return withDir('raw', async (dir) => {
    const chunk = Buffer.alloc(MIB, 0x5a);
    const fd = fs.openSync(join(dir, 'raw'), 'w');
    try {
      const started = performance.now();
      for (let written = 0; written < bytes; written += MIB) fs.writeSync(fd, chunk, 0, MIB, written);
      return bytes / ((performance.now() - started) / 1000);
    } finally {
      fs.closeSync(fd);
    }
  });
}

function measureFdatasync(): Promise<{ p50: number; p99: number }> {
  return withDir('fdatasync', async (dir) => {
    const page = Buffer.alloc(4096, 0x42);
    const fd = fs.openSync(join(dir, 'sync'), 'w');
    try {
      const samples: number[] = [];
      for (let i = 0; i < SYNC_SAMPLES; i++) {
        fs.writeSync(fd, page, 0, page.length, i * page.length);
        const started = performance.now();
        fs.fdatasyncSync(fd);
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
    } finally {
      fs.closeSync(fd);
    }
  });
}

// ——— (b) async append ———

interface AppendResult {
  readonly messages: number;
  readonly seconds: number;
  readonly bodyBytes: number;
  readonly logBytes: number;
}

async function measureAsyncAppend(bodySize: number, batchSize: number, seconds: number): Promise<AppendResult> {
  const pool = makePool(bodySize);
  const recordSize = encodedRecordSize(pool[0] as Message);
  return withStore(`append-${bodySize}-${batchSize}`, 'async', async (store) => {
    const breathe = breather();
    let messages = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    for (const batch of batches(pool, batchSize)) {
      await store.append(TOPIC, 0, batch);
      await breathe();
      messages += batch.length;
      if (messages * recordSize >= CASE_MAX_BYTES || performance.now() >= deadline) break;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { messages, seconds: elapsed, bodyBytes: messages * bodySize, logBytes: messages * recordSize };
  });
}

// ——— (c) sync flush, group commit ———

async function measureSyncAppend(appenders: number, seconds: number): Promise<number> {
  const pool = makePool(1024);
  return withStore(`sync-${appenders}`, 'sync', async (store) => {
    let messages = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: appenders }, async (_, appender) => {
        let at = appender;
        while (performance.now() < deadline) {
          await store.append(TOPIC, appender, [pool[at % pool.length] as Message]);
          at += appenders;
          messages++;
        }
      }),
    );
    return messages / ((performance.now() - started) / 1000);
  });
}

// ——— (d, e) reads ———

async function measureReads(seconds: number): Promise<{ all: number; filtered: number; scanned: number }> {
  const tags = ['t0', 't1', 't2', 't3'];
  const pool = makePool(100, tags);
  return withStore('read', 'async', async (store) => {
    const breathe = breather();
    let written = 0;
    for (const batch of batches(pool, 256)) {
      await store.append(TOPIC, 0, batch);
      await breathe();
      written += batch.length;
      if (written >= READ_MESSAGES) break;
    }
    const pass = async (filter: readonly string[] | undefined): Promise<{ returned: number; scanned: number }> => {
      let returned = 0;
      let offset = 0;
      for (;;) {
        const result = await store.read(TOPIC, 0, offset, { maxMessages: READ_MAX_MESSAGES, tags: filter });
        if (result.status !== 'ok') throw new Error(`read at ${offset} gave ${result.status}`);
        returned += result.messages.length;
        if (result.nextOffset >= result.maxOffset) return { returned, scanned: result.nextOffset };
        offset = result.nextOffset;
      }
    };
    const timed = async (filter: readonly string[] | undefined): Promise<{ rate: number; scanRate: number }> => {
      await pass(filter); // warm-up: the JIT, and every page in the cache
      let returned = 0;
      let scanned = 0;
      const started = performance.now();
      do {
        const result = await pass(filter);
        returned += result.returned;
        scanned += result.scanned;
      } while (performance.now() - started < seconds * 1000);
      const elapsed = (performance.now() - started) / 1000;
      return { rate: returned / elapsed, scanRate: scanned / elapsed };
    };
    const all = await timed(undefined);
    const filtered = await timed(['t1']);
    return { all: all.rate, filtered: filtered.rate, scanned: filtered.scanRate };
  });
}

// ——— (f) recovery after kill -9 ———

/** Child mode: append 1 KiB messages (async flush) until `bytes` of CommitLog, say so, and wait to be killed. */
async function child(dir: string, bytes: number): Promise<void> {
  const store = await openCommitLogStore({ dir, flush: 'async', logger: silentLogger });
  const pool = makePool(1024);
  const recordSize = encodedRecordSize(pool[0] as Message);
  const breathe = breather();
  let written = 0;
  for (const batch of batches(pool, 32)) {
    await store.append(TOPIC, written % 8, batch);
    await breathe();
    written += batch.length * recordSize;
    if (written >= bytes) break;
  }
  process.stdout.write(`ready ${written}\n`);
  setInterval(() => undefined, 1 << 30);
}

interface RecoveryResult {
  /** CommitLog bytes the writer had appended when it was killed. */
  readonly written: number;
  /** Dirty page-cache bytes machine-wide right after the kill (`/proc/meminfo`), when readable. */
  readonly dirtyAtKill: number | undefined;
  /** CommitLog bytes past the checkpoint: what recovery had to re-scan and re-dispatch. */
  readonly behindCheckpoint: number;
  /** Open right after the kill: recovery plus its closing fdatasync, which waits for the writeback of what the writer left dirty. */
  readonly afterKill: number;
  /** The same recovery (same checkpoint, abort marker back) once the page cache has been written back: the engine's own cost. */
  readonly afterWriteback: number;
  /** Open with no checkpoint: CRC scan and re-dispatch of the whole log. */
  readonly fullScan: number;
}

function dirtyBytes(): number | undefined {
  try {
    const match = /^Dirty:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function measureRecovery(bytes: number): Promise<RecoveryResult> {
  return withDir('recovery', async (dir) => {
    const script = fileURLToPath(import.meta.url);
    const worker = spawn(process.execPath, [...process.execArgv, script, '--child', dir, String(bytes)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const written = await new Promise<number>((resolve, reject) => {
      let output = '';
      worker.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        const match = /ready (\d+)/.exec(output);
        if (match) {
          worker.kill('SIGKILL');
          resolve(Number(match[1]));
        }
      });
      worker.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`the writer exited early (code ${code}, signal ${signal})`));
      });
    });
    await exited;
    const dirtyAtKill = dirtyBytes();
    const checkpointPath = join(dir, 'checkpoint');
    const crashCheckpoint = fs.existsSync(checkpointPath) ? fs.readFileSync(checkpointPath) : undefined;
    // Bytes 16–24 of the checkpoint file: dispatchFlushed (see packages/store-commitlog/src/checkpoint.ts).
    const dispatchFlushed =
      crashCheckpoint === undefined ? 0 : crashCheckpoint.readUInt32BE(16) * 2 ** 32 + crashCheckpoint.readUInt32BE(20);

    const timeOpen = async (): Promise<{ seconds: number; end: number }> => {
      const started = performance.now();
      const store = await openCommitLogStore({ dir, flush: 'async', logger: silentLogger });
      const seconds = (performance.now() - started) / 1000;
      const end = store.commitLogRange.maxPosition;
      await store.close();
      return { seconds, end };
    };
    const afterKill = await timeOpen();
    // The close above fsynced everything: the page cache is clean. Put the crash state back and recover again.
    if (crashCheckpoint === undefined) fs.rmSync(checkpointPath, { force: true });
    else fs.writeFileSync(checkpointPath, crashCheckpoint);
    fs.writeFileSync(join(dir, 'abort'), '');
    const afterWriteback = await timeOpen();
    fs.rmSync(checkpointPath, { force: true });
    fs.writeFileSync(join(dir, 'abort'), '');
    const fullScan = await timeOpen();
    return {
      written,
      dirtyAtKill,
      behindCheckpoint: afterKill.end - dispatchFlushed,
      afterKill: afterKill.seconds,
      afterWriteback: afterWriteback.seconds,
      fullScan: fullScan.seconds,
    };
  });
}

// ——— report ———

const number = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean): string => (ok ? '✅ met' : '❌ missed');

async function main(): Promise<void> {
  const started = performance.now();
  const rows: string[][] = [];
  const log = (text: string): void => void process.stderr.write(`${text}\n`);

  log('raw write and fdatasync…');
  const raw = await measureRawWrite(CASE_MAX_BYTES);
  const sync = await measureFdatasync();
  rows.push([`raw \`fs.writeSync\`, 1 MiB chunks, ${CASE_MAX_BYTES / MIB} MiB`, `${number(raw / MB)} MB/s`, '—', '']);
  rows.push([
    `\`fdatasync\` after a 4 KiB write (${SYNC_SAMPLES} samples)`,
    `p50 ${number(sync.p50, 2)} ms · p99 ${number(sync.p99, 2)} ms`,
    '—',
    '',
  ]);

  for (const bodySize of [100, 1024]) {
    for (const batchSize of [1, 32, 256]) {
      log(`async append ${bodySize} B × ${batchSize}…`);
      await measureAsyncAppend(bodySize, batchSize, 0.3); // warm-up
      const result = await measureAsyncAppend(bodySize, batchSize, CASE_SECONDS);
      const logRate = result.logBytes / result.seconds;
      const share = logRate / raw;
      const targeted = bodySize === 1024 && batchSize === 32;
      rows.push([
        `async append, ${bodySize === 1024 ? '1 KiB' : '100 B'} messages, batches of ${batchSize}`,
        `${number(result.messages / result.seconds)} msgs/s · ${number(result.bodyBytes / result.seconds / MB, 1)} MB/s of bodies · ${number(logRate / MB, 1)} MB/s of log = **${number(share * 100, 1)}%** of raw`,
        targeted ? '≥ 60% of raw' : '—',
        targeted ? verdict(share >= 0.6) : '',
      ]);
    }
  }

  log('sync flush…');
  const one = await measureSyncAppend(1, CASE_SECONDS);
  const many = await measureSyncAppend(64, CASE_SECONDS);
  rows.push(['sync flush, 1 appender, 1 KiB messages', `${number(one)} msgs/s`, '—', '']);
  rows.push([
    'sync flush, 64 concurrent appenders, 1 KiB messages',
    `${number(many)} msgs/s = **${number(many / one, 1)}×** one appender`,
    '≥ 20× one appender',
    verdict(many / one >= 20),
  ]);

  log('reads…');
  const reads = await measureReads(CASE_SECONDS);
  rows.push([
    `sequential read, 100 B messages, maxMessages ${READ_MAX_MESSAGES}, page cache`,
    `**${number(reads.all)}** msgs/s`,
    '≥ 1,000,000 msgs/s',
    verdict(reads.all >= 1_000_000),
  ]);
  rows.push([
    'tag-filtered read, 1 of 4 tags, 100 B messages',
    `${number(reads.filtered)} matching msgs/s (${number(reads.scanned)} entries scanned/s)`,
    '—',
    '',
  ]);

  log(`recovery of ${number(RECOVERY_BYTES / MIB)} MiB after kill -9…`);
  const recovery = await measureRecovery(RECOVERY_BYTES);
  const size = `${number(recovery.written / GIB, 2)} GiB`;
  const dirty = recovery.dirtyAtKill === undefined ? 'unknown' : `${number(recovery.dirtyAtKill / MB)} MB`;
  rows.push([
    `open after \`kill -9\` of a writer at ${size} (async flush; ${number(recovery.behindCheckpoint / MB)} MB past the checkpoint; ${dirty} dirty in the page cache at the kill)`,
    `**${number(recovery.afterKill, 2)} s**`,
    '< 10 s for 1 GiB',
    verdict(recovery.afterKill < 10),
  ]);
  rows.push([
    "the same recovery once the page cache was written back (the engine's own work)",
    `${number(recovery.afterWriteback, 2)} s`,
    '—',
    '',
  ]);
  rows.push([
    `open with the checkpoint removed: full CRC scan and re-dispatch of ${size}`,
    `${number(recovery.fullScan, 2)} s (${number(recovery.written / recovery.fullScan / MB)} MB/s)`,
    '—',
    '',
  ]);

  const disk = fs.statfsSync(BASE_DIR);
  const cpu = cpus();
  const lines = [
    '## CommitLog engine benchmark',
    '',
    `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores · Node ${process.version} · ${number((disk.bavail * disk.bsize) / GIB, 1)} GiB free of ${number((disk.blocks * disk.bsize) / GIB, 1)} GiB at ${BASE_DIR}`,
    '',
    `Command: \`npx tsc -b packages/store-commitlog && npx tsx bench/commitlog.bench.ts\` (EDDY_BENCH_SECONDS=${CASE_SECONDS}, EDDY_BENCH_RECOVERY_BYTES=${RECOVERY_BYTES}); total ${number((performance.now() - started) / 1000, 0)} s. MB = 10⁶ bytes. Reads and recovery run from a warm page cache.`,
    '',
    '| measurement | result | target (issue 3) | |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as string, Number(process.argv[4]));
} else {
  await main();
}
