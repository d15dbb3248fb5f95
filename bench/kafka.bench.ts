/**
 * The Kafka front end to end: `eddy-kafka` (apps/kafka/dist/main.js, CommitLog store) started as a
 * child process on a temporary data directory and a free port, driven by real Kafka clients:
 *
 * - librdkafka (confluent-kafka for Python, /usr/bin/python3) producing 100 B and 1 KiB messages with
 *   acks=1 and acks=-1 under `--flush async`, and 1 KiB with acks=-1 under `--flush sync`; then a
 *   librdkafka consumer reading them back; kcat (also librdkafka) on the 1 KiB acks=1 case for
 *   comparison;
 * - kafkajs 2.2.4 producer (awaited `send()`s of 1,000) and consumer throughput, and its end-to-end
 *   latency at a steady 10,000 msgs/s (timestamp in the payload; producer and consumer each in a
 *   process of its own, bench/kafkajs-latency-client.ts), with the same latency measured through
 *   librdkafka producer and consumer processes as the reference for the broker's own share;
 * - the machine's raw sequential write rate (1 GiB, `fs.writeSync` of 1 MiB chunks, `fsync`) as the
 *   physical limit, and the broker's CPU seconds per phase from /proc/<pid>/stat;
 * - one more broker run under `node --cpu-prof` during the librdkafka 1 KiB acks=1 produce and the
 *   consume, summarised per function and per package (bench/kafka-bench-profile.ts).
 *
 * Prints markdown and writes it to docs/benchmarks.md as the section "## Kafka front" (replaced if
 * there, else appended). Build first:
 *
 * ```sh
 * npm run bench:kafka   # = npx turbo run build && node --initial-old-space-size=256 --max-semi-space-size=64 --import tsx bench/kafka.bench.ts
 * ```
 *
 * Environment: `EDDY_BENCH_MESSAGES_100` (default 500000), `EDDY_BENCH_MESSAGES_1K` (600000),
 * `EDDY_BENCH_MESSAGES_SYNC` (200000), `EDDY_BENCH_MESSAGES_KAFKAJS` (100000), `EDDY_BENCH_DIR` (temp
 * directories, default the OS temp directory), `EDDY_BENCH_PYTHON` (default /usr/bin/python3),
 * `EDDY_BENCH_NO_DOCS=1` to leave the docs alone, `EDDY_BENCH_ONLY=latency` for the latency phase alone,
 * `EDDY_BENCH_DEBUG=1` to print the broker's last output when a phase fails.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { writeDocsSection } from './docs-section.js';
import { type ProfileSummary, summariseProfile, type Window } from './kafka-bench-profile.js';

const MB = 1e6;
const settings: Record<string, string | undefined> = { ...process.env };
const N100 = Number(settings.EDDY_BENCH_MESSAGES_100 ?? 500_000);
const N1K = Number(settings.EDDY_BENCH_MESSAGES_1K ?? 600_000);
const NSYNC = Number(settings.EDDY_BENCH_MESSAGES_SYNC ?? 200_000);
const NJS = Number(settings.EDDY_BENCH_MESSAGES_KAFKAJS ?? 100_000);
const BASE_DIR = settings.EDDY_BENCH_DIR ?? tmpdir();
const PYTHON = settings.EDDY_BENCH_PYTHON ?? '/usr/bin/python3';
const KCAT = '/usr/bin/kcat';
// `latency` runs only the kafkajs end-to-end phase (and never writes the docs): for investigating it.
const ONLY_LATENCY = settings.EDDY_BENCH_ONLY === 'latency';
const WRITE_DOCS = settings.EDDY_BENCH_NO_DOCS !== '1' && !ONLY_LATENCY;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'apps/kafka/dist/main.js');
const DOCS = join(ROOT, 'docs/benchmarks.md');
const SECTION = '## Kafka front';
const LATENCY_RATE = 10_000;
const LATENCY_SECONDS = 10;
const LATENCY_WARMUP_SECONDS = 1;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// The librdkafka client: one produce or consume case per call, a JSON line on stdout.
const PYTHON_CLIENT = `
import json, os, struct, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END, KafkaError
mode, bootstrap, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = os.times()
def cpu():
    t = os.times()
    return (t.user - t0.user) + (t.system - t0.system)
if mode == 'produce':
    size, acks, linger = int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
    conf = {'bootstrap.servers': bootstrap, 'acks': acks, 'linger.ms': linger, 'batch.num.messages': 10000,
            'batch.size': 1000000, 'queue.buffering.max.messages': 2000000,
            'queue.buffering.max.kbytes': 2000000, 'enable.idempotence': False,
            'compression.type': 'none', 'message.timeout.ms': 60000}
    Producer(conf).list_topics(topic, timeout=10)  # creates the topic (auto-create) before the clock starts
    value = b'x' * size
    # No per-message delivery callback (a Python call per message costs more than the send): errors come
    # through error_cb, and after flush() the partition's end offset proves every message was stored.
    state = {'err': 0, 'first': None}
    def error(err):
        state['err'] += 1
        if state['first'] is None: state['first'] = str(err)
    p = Producer({**conf, 'error_cb': error})
    produce = p.produce
    start = time.perf_counter()
    for i in range(n):
        try:
            produce(topic, value)
        except BufferError:
            p.poll(0.005)
            produce(topic, value)
        if i & 8191 == 0: p.poll(0)
    left = p.flush(120)
    seconds = time.perf_counter() - start
    cpu_used = cpu()
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'bench-check-' + topic})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.close()
    print(json.dumps({'seconds': seconds, 'ok': high - low, 'err': state['err'], 'left': left,
                      'first': state['first'], 'cpu': cpu_used}))
elif mode == 'lat-produce':
    # Steady rate between two CLOCK_MONOTONIC times (ms; time.monotonic reads the clock Node's hrtime
    # reads): every millisecond the messages due, each stamped when made; linger.ms 0, acks=-1.
    size, rate, begin, end = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
    state = {'err': 0, 'first': None}
    def delivered(err, msg):
        if err is not None:
            state['err'] += 1
            if state['first'] is None: state['first'] = str(err)
    p = Producer({'bootstrap.servers': bootstrap, 'acks': '-1', 'linger.ms': 0, 'compression.type': 'none'})
    p.list_topics(topic, timeout=10)
    pad = b'x' * (size - 12)
    sent = 0
    while time.monotonic() * 1000 < begin: time.sleep(0.001)
    while True:
        now = time.monotonic() * 1000
        if now >= end: break
        due = int((now - begin) / 1000 * rate) - sent
        for _ in range(due):
            p.produce(topic, struct.pack('<dI', time.monotonic() * 1000, 0xeddc0de) + pad, on_delivery=delivered)
        sent += max(due, 0)
        p.poll(0)
        time.sleep(0.001)
    left = p.flush(30)
    print(json.dumps({'sent': sent, 'failures': state['err'], 'firstFailure': state['first'], 'left': left}))
elif mode == 'lat-consume':
    # Reads from the end until n stamped messages came or the deadline passed; latency = arrival - stamp
    # for those stamped at or after measure_from. Prints 'ready' once it has its first fetch answered.
    measure_from, deadline = float(sys.argv[5]), float(sys.argv[6])
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'bench-' + topic, 'enable.auto.commit': False,
                  'enable.partition.eof': True})
    c.assign([TopicPartition(topic, 0, OFFSET_END)])
    ready = False
    got, lat = 0, []
    while got < n and time.monotonic() * 1000 < deadline:
        # poll(): consume(n) would wait for n messages or its timeout, holding early arrivals back.
        m = c.poll(0.05)
        if m is not None:
            now = time.monotonic() * 1000
            if m.error() is not None:
                if not ready and m.error().code() == KafkaError._PARTITION_EOF:
                    ready = True
                    print('ready', flush=True)
                continue
            v = m.value()
            if v is None or len(v) < 12: continue
            stamp, mark = struct.unpack_from('<dI', v)
            if mark != 0xeddc0de: continue
            got += 1
            if stamp >= measure_from: lat.append(now - stamp)
    c.close()
    print(json.dumps({'received': got, 'latencies': lat}))
else:
    client_errors = []
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'bench-' + topic, 'enable.auto.commit': False,
                  'fetch.max.bytes': 52428800, 'max.partition.fetch.bytes': 10485760,
                  'queued.max.messages.kbytes': 262144, 'enable.partition.eof': False,
                  'error_cb': lambda e: client_errors.append(str(e))})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    # Timed from the first batch on, as kcat's rate is: the steady rate, without connecting and the first fetch.
    got, size, err, first, start, head = 0, 0, 0, None, None, 0
    while got < n:
        batch = c.consume(10000, 10.0)
        if not batch: break
        if start is None:
            start, head = time.perf_counter(), len(batch)
        for m in batch:
            # len(m) is the value's length without copying it into a Python object.
            e = m.error()
            if e is None:
                got += 1
                size += len(m)
            else:
                err += 1
                if first is None: first = str(e)
        last = time.perf_counter()
    c.close()
    seconds = (last - start) * n / (n - head) if start is not None and head < n else None
    if first is None and client_errors: first = client_errors[0]
    print(json.dumps({'seconds': seconds, 'ok': got, 'bytes': size, 'err': err + len(client_errors), 'first': first, 'cpu': cpu()}))
`;

interface Row {
  readonly phase: string;
  readonly client: string;
  readonly messages: number;
  readonly size: number;
  /** msgs/s, or a failure text. */
  readonly rate: number | string;
  readonly brokerCpu?: number;
  readonly clientCpu?: number;
  readonly target?: number;
}

function number(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * (sorted.length - 1)))] as number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rawWriteRate(dir: string): number {
  const file = join(dir, 'raw-write');
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const fd = openSync(file, 'w');
  const start = performance.now();
  for (let i = 0; i < 1024; i++) writeSync(fd, chunk);
  fsyncSync(fd);
  const seconds = (performance.now() - start) / 1000;
  closeSync(fd);
  return (1024 * chunk.length) / seconds / MB;
}

class BrokerChild {
  private exit: string | undefined;
  output = '';
  /** Bytes the broker has printed so far. */
  outputLength = 0;

  /** What the broker printed after `length` bytes of output (as far as the last 8000 characters go). */
  outputSince(length: number): string {
    return this.output.slice(-Math.min(this.output.length, this.outputLength - length));
  }
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
      this.outputLength += chunk.length;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      this.exit = `exited with code ${code} signal ${signal}`;
    });
  }

  static async start(flush: 'async' | 'sync', nodeFlags: string[] = []): Promise<BrokerChild> {
    const dir = await mkdtemp(join(BASE_DIR, `eddy-bench-kafka-${flush}-`));
    const port = await freePort();
    const args = [...nodeFlags, MAIN, '--data-dir', join(dir, 'data'), '--port', String(port)];
    const child = spawn(process.execPath, [...args, '--flush', flush, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const broker = new BrokerChild(child, port, dir);
    const deadline = Date.now() + 20_000;
    while (!(await connects(port))) {
      if (broker.exit !== undefined) throw new Error(`broker ${broker.exit}: ${broker.output}`);
      if (Date.now() > deadline) throw new Error(`broker did not listen on ${port} within 20 s: ${broker.output}`);
      await sleep(50);
    }
    return broker;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Why the broker is gone, or undefined while it runs. */
  get died(): string | undefined {
    return this.exit === undefined ? undefined : `broker ${this.exit}; last output: ${this.output.trim()}`;
  }

  cpu(): number {
    return this.exit === undefined ? cpuSeconds(this.child.pid as number) : Number.NaN;
  }

  async stop(): Promise<void> {
    if (this.exit === undefined) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      if (this.exit === undefined) this.child.kill('SIGKILL');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000);
    });
    child.once('error', (error) => resolve({ code: -1, out, err: String(error) }));
    child.once('exit', (code) => resolve({ code, out, err }));
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

interface ClientResult {
  seconds: number;
  ok: number;
  err: number;
  left?: number;
  first: string | null;
  cpu: number;
}

/** A phase measured with the broker's CPU before and after; a failure becomes the row's text. */
async function phase(
  broker: BrokerChild,
  row: Omit<Row, 'rate' | 'brokerCpu' | 'clientCpu'>,
  measure: () => Promise<{ seconds: number; clientCpu?: number }>,
  windows?: Window[],
): Promise<Row> {
  if (broker.died) return { ...row, rate: `not run: ${broker.died}` };
  const before = broker.cpu();
  const from = monotonicUs();
  const outputBefore = broker.outputLength;
  try {
    const { seconds, clientCpu } = await measure();
    // The broker deleting segments for disk space mid-run would cut reads short and slow writes.
    if (broker.outputSince(outputBefore).includes('diskMaxUsedRatio')) {
      throw new Error(`the disk under ${BASE_DIR} went over the broker's diskMaxUsedRatio: free space and rerun`);
    }
    windows?.push({ fromUs: from, toUs: monotonicUs() });
    const after = broker.cpu();
    const result = { ...row, rate: row.messages / seconds, brokerCpu: after - before, clientCpu };
    process.stderr.write(`${row.phase} · ${row.client}: ${number(result.rate)} msgs/s\n`);
    return result;
  } catch (error) {
    const text = `failed: ${(error as Error).message}${broker.died ? `; ${broker.died}` : ''}`;
    process.stderr.write(`${row.phase} · ${row.client}: ${text}\n`);
    if (settings.EDDY_BENCH_DEBUG) process.stderr.write(`broker output: ${broker.output.slice(-3000)}\n`);
    return { ...row, rate: text };
  }
}

async function python(script: string, args: string[]): Promise<ClientResult> {
  const { code, out, err } = await run(PYTHON, [script, ...args]);
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`python exited ${code}: ${err.trim().slice(-500)}`);
  return JSON.parse(line) as ClientResult;
}

/**
 * `linger.ms` per message size: 1 MB batches fill at about 10,000 records of 100 B but 1,000 of 1 KiB,
 * so at 1 KiB a longer linger lets them fill instead of going out part-full every 5 ms.
 */
const lingerMs = (size: number): number => (size >= 1024 ? 20 : 5);

async function rdProduce(script: string, broker: BrokerChild, topic: string, n: number, size: number, acks: string) {
  const args = ['produce', broker.bootstrap, topic, String(n), String(size), acks, String(lingerMs(size))];
  const r = await python(script, args);
  if (r.ok !== n) throw new Error(`${r.ok} of ${n} delivered, ${r.err} errors (first: ${r.first}), ${r.left} left`);
  return { seconds: r.seconds, clientCpu: r.cpu };
}

async function rdConsume(script: string, broker: BrokerChild, topic: string, n: number) {
  const r = await python(script, ['consume', broker.bootstrap, topic, String(n)]);
  if (r.ok !== n) throw new Error(`${r.ok} of ${n} read, ${r.err} errors (first: ${r.first})`);
  return { seconds: r.seconds, clientCpu: r.cpu };
}

async function kcatProduce(broker: BrokerChild, topic: string, file: string) {
  const args = ['-P', '-b', broker.bootstrap, '-t', topic, '-X', 'acks=1', '-X', `linger.ms=${lingerMs(1024)}`];
  args.push('-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=2000000');
  args.push('-X', 'queue.buffering.max.kbytes=2000000', '-l', file);
  const start = performance.now();
  const { code, err } = await run(KCAT, args);
  if (code !== 0 || /error|fail/i.test(err)) throw new Error(`kcat exited ${code}: ${err.trim().slice(-500)}`);
  return { seconds: (performance.now() - start) / 1000 };
}

/**
 * kcat reading a topic from the beginning, printing only each record's offset (so that the pipe to this
 * process carries a few bytes a record, not the values). Timed from kcat's first output to its exit:
 * the steady rate, without the process start, connection and first fetch; the offsets it printed must
 * be exactly 0 … n - 1.
 */
async function kcatConsume(broker: BrokerChild, topic: string, n: number) {
  const args = ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%o\n'];
  args.push('-X', 'fetch.max.bytes=52428800', '-X', 'max.partition.fetch.bytes=10485760');
  args.push('-X', 'topic.auto.offset.reset=earliest');
  const child = spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let first: { at: number; lines: number } | undefined;
  let lines = 0;
  let tail = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString();
    const parts = text.split('\n');
    tail = parts.pop() ?? '';
    lines += parts.length;
    first ??= { at: performance.now(), lines };
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const end = performance.now();
  if (code !== 0 || lines !== n || first === undefined || first.lines >= n) {
    throw new Error(`kcat exited ${code}, ${lines} records (${first?.lines ?? 0} in its first output): ${err.trim()}`);
  }
  return { seconds: ((end - first.at) / 1000) * (n / (n - first.lines)) };
}

function kafkaClient(broker: BrokerChild, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

async function kafkajsProduce(broker: BrokerChild, topic: string, n: number, size: number) {
  const producer = kafkaClient(broker, 'bench-producer').producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const value = Buffer.alloc(size, 'x');
    const batch = Array.from({ length: 1000 }, () => ({ value }));
    await producer.send({ topic, messages: [{ value }] }); // creates the topic
    const start = performance.now();
    for (let sent = 0; sent < n; sent += batch.length) {
      await producer.send({ topic, acks: -1, messages: batch.slice(0, Math.min(batch.length, n - sent)) });
    }
    return { seconds: (performance.now() - start) / 1000 };
  } finally {
    await producer.disconnect();
  }
}

async function kafkajsConsume(broker: BrokerChild, topic: string, n: number) {
  const consumer = kafkaClient(broker, 'bench-consumer').consumer({
    groupId: `bench-${topic}`,
    maxBytes: 50 * 1024 * 1024,
    maxBytesPerPartition: 10 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let start = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      start = performance.now();
    });
    let got = 0;
    const done = new Promise<number>((resolve, reject) => {
      setTimeout(() => reject(new Error(`timed out after 60 s with ${got} of ${n}`)), 60_000).unref();
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            got += batch.messages.length;
            if (got >= n) resolve(performance.now());
          },
        })
        .catch(reject);
    });
    const end = await done;
    return { seconds: (end - start) / 1000 };
  } finally {
    await consumer.disconnect();
  }
}

interface Latency {
  readonly client: string;
  readonly sent: number;
  readonly received: number;
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly rate: number;
  readonly brokerCpu: number;
}

// The latency phase's client processes: Node flags an application serving steady traffic would run with
// (a 256 MB initial old space, 64 MB semi-spaces: kafkajs's encoder allocates about 17 bytes of Buffers
// per byte sent, and on V8's defaults that meant a collection every ~0.2 s stalling the process).
const CLIENT_NODE_FLAGS = ['--initial-old-space-size=256', '--max-semi-space-size=64'];
const LATENCY_CLIENT = fileURLToPath(new URL('./kafkajs-latency-client.ts', import.meta.url));
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function latencyOf(
  client: string,
  latencies: number[],
  sent: number,
  received: number,
  seconds: number,
  brokerCpu: number,
): Latency {
  latencies.sort((a, b) => a - b);
  return {
    client,
    sent,
    received,
    samples: latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    p999: percentile(latencies, 0.999),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    rate: sent / seconds,
    brokerCpu,
  };
}

/** Starts a child whose stdout is kept; `ready` resolves when it prints a line starting with `ready`. */
function startChild(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready')) resolve();
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', resolve);
  });
  /** The last line printed, parsed, once the child has exited 0. */
  const result = async <T>(what: string): Promise<T> => {
    const code = await exited;
    const line = out.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`${what} exited ${code}: ${err.trim().slice(-500)}`);
    return JSON.parse(line) as T;
  };
  return { ready, exited, result };
}

/** Times of one latency measurement (CLOCK_MONOTONIC ms) and the stamped messages it expects. */
interface LatencyWindow {
  readonly start: number;
  readonly measureFrom: number;
  readonly end: number;
  readonly expected: number;
}

/**
 * One end-to-end latency measurement with client processes: creates the topic, starts the consumer and
 * waits until it prints `ready`, then runs the producer, which sends at LATENCY_RATE from `start` to
 * `end`. Each process prints a JSON line at its end: the producer `{ sent, failures, firstFailure }`,
 * the consumer `{ received, latencies }` (arrival − stamp of the values stamped from `measureFrom`).
 */
async function steadyLatency(
  client: string,
  broker: BrokerChild,
  topic: string,
  leadMs: number,
  consumerCommand: (window: LatencyWindow) => [string, string[]],
  producerCommand: (window: LatencyWindow) => [string, string[]],
): Promise<Latency> {
  const creator = kafkaClient(broker, 'bench-latency').producer({ allowAutoTopicCreation: true });
  await creator.connect();
  await creator.send({ topic, messages: [{ value: Buffer.alloc(16) }] }); // creates the topic
  await creator.disconnect();
  const start = monotonicMs() + leadMs;
  const measureFrom = start + LATENCY_WARMUP_SECONDS * 1000;
  const end = measureFrom + LATENCY_SECONDS * 1000;
  const window = { start, measureFrom, end, expected: Math.floor(((end - start) / 1000) * LATENCY_RATE) };
  const consumer = startChild(...consumerCommand(window));
  await Promise.race([consumer.ready, consumer.exited]);
  if (monotonicMs() > start - 1000) throw new Error(`the ${client} consumer was not ready in time`);
  const cpuBefore = broker.cpu();
  const produced = await startChild(...producerCommand(window)).result<{
    sent: number;
    failures: number;
    firstFailure: string | null;
  }>(`${client} producer`);
  const consumed = await consumer.result<{ received: number; latencies: number[] }>(`${client} consumer`);
  const brokerCpu = broker.cpu() - cpuBefore;
  if (produced.failures > 0) throw new Error(`${produced.failures} sends failed: ${produced.firstFailure}`);
  return latencyOf(client, consumed.latencies, produced.sent, consumed.received, (end - start) / 1000, brokerCpu);
}

/**
 * kafkajs end to end: a kafkajs producer and a kafkajs group consumer, each in its own process
 * (bench/kafkajs-latency-client.ts, with CLIENT_NODE_FLAGS); the producer sends what is due every
 * millisecond, each value stamped when made. Both need a few seconds to load and join.
 */
function kafkajsLatency(broker: BrokerChild, topic: string, size: number): Promise<Latency> {
  const node = (args: string[]): [string, string[]] => [
    process.execPath,
    [...CLIENT_NODE_FLAGS, '--import', 'tsx', LATENCY_CLIENT, ...args],
  ];
  return steadyLatency(
    'kafkajs 2.2.4',
    broker,
    topic,
    8000,
    (w) => node(['consume', broker.bootstrap, topic, String(w.expected), String(w.measureFrom), String(w.end + 2500)]),
    (w) =>
      node(['produce', broker.bootstrap, topic, String(size), String(LATENCY_RATE), String(w.start), String(w.end)]),
  );
}

/**
 * The same measurement with librdkafka (confluent-kafka) producer and consumer processes, linger.ms 0:
 * the broker's share of the latency when the clients themselves do not stall.
 */
function librdkafkaLatency(script: string, broker: BrokerChild, topic: string, size: number): Promise<Latency> {
  const python = (args: string[]): [string, string[]] => [PYTHON, [script, ...args]];
  return steadyLatency(
    'librdkafka (confluent-kafka)',
    broker,
    topic,
    4000,
    (w) =>
      python(['lat-consume', broker.bootstrap, topic, String(w.expected), String(w.measureFrom), String(w.end + 2500)]),
    (w) =>
      python([
        'lat-produce',
        broker.bootstrap,
        topic,
        '0',
        String(size),
        String(LATENCY_RATE),
        String(w.start),
        String(w.end),
      ]),
  );
}

function rateCell(row: Row): string {
  return typeof row.rate === 'number' ? number(row.rate) : row.rate;
}

function tableRow(row: Row): string {
  const ok = typeof row.rate === 'number';
  const rate = ok ? (row.rate as number) : 0;
  const mbps = ok ? number((rate * row.size) / MB, 1) : '';
  const cpu =
    row.brokerCpu === undefined
      ? ''
      : `${number(row.brokerCpu, 2)} s · ${number((row.brokerCpu / row.messages) * 1e6, 1)} µs/msg`;
  const client = row.clientCpu === undefined ? '' : `${number(row.clientCpu, 2)} s`;
  let target = '';
  if (row.target !== undefined) {
    target = `≥ ${number(row.target)}`;
    if (ok) target += rate >= row.target ? ' ✅' : ` ❌ ${number((rate / row.target) * 100)} %`;
  }
  const size = row.size === 100 ? '100 B' : `${row.size / 1024} KiB`;
  return `| ${row.phase} | ${row.client} | ${size} | ${number(row.messages)} | ${rateCell(row)} | ${mbps} | ${cpu} | ${client} | ${target} |`;
}

/** The 1 KiB librdkafka rows against the raw write rate and the broker's CPU cost per message. */
function limits(rows: readonly Row[], raw: number): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    if (row.size !== 1024 || !row.client.startsWith('librdkafka') || row.target === undefined) continue;
    if (typeof row.rate !== 'number' || row.brokerCpu === undefined) continue;
    const perMessage = row.brokerCpu / row.messages;
    const mbps = (row.rate * row.size) / MB;
    lines.push(
      `- ${row.phase}, 1 KiB: ${number(mbps, 1)} MB/s of values = ${number((mbps / raw) * 100)} % of the raw write rate; the broker spent ${number(perMessage * 1e6, 1)} µs of CPU per message, so at one busy core it could do about ${number(1 / perMessage)} msgs/s (target ${number(row.target)}).`,
    );
  }
  return lines;
}

function profileLines(title: string, summary: ProfileSummary | string): string[] {
  if (typeof summary === 'string') return [`${title}: ${summary}`, ''];
  const lines = [
    `${title}: ${number(summary.sampledMs)} ms sampled, ${number(summary.idleShare * 100)} % idle; shares are of the ${number(summary.busyMs)} busy ms.`,
    '',
    '| self time | function | where |',
    '|---:|---|---|',
    ...summary.top.map((e) => `| ${number(e.share * 100, 1)} % | \`${e.name}\` | ${e.where} |`),
    '',
    `By package: ${summary.packages
      .filter((p) => p.share >= 0.005)
      .map((p) => `${p.name} ${number(p.share * 100)} %`)
      .join(' · ')}.`,
    '',
  ];
  return lines;
}

// What one run writes under BASE_DIR at most (the phases' logs, the kcat input, the raw write test).
const RUN_BYTES = 6e9;

/** Refuses to start when the run would take the disk near the broker's diskMaxUsedRatio (0.75). */
function checkFreeSpace(): void {
  const stats = statfsSync(BASE_DIR);
  const usedAfter = (stats.blocks - stats.bavail + RUN_BYTES / stats.bsize) / stats.blocks;
  if (usedAfter > 0.75) {
    throw new Error(
      `${BASE_DIR} would be ${(usedAfter * 100).toFixed(0)} % used during the run (blocks available to this user): the broker starts deleting segments at 75 %. Free space (or set EDDY_BENCH_DIR) and rerun.`,
    );
  }
}

async function main(): Promise<void> {
  checkFreeSpace();
  const began = performance.now();
  const work = await mkdtemp(join(BASE_DIR, 'eddy-bench-kafka-'));
  const script = join(work, 'librdkafka-client.py');
  writeFileSync(script, PYTHON_CLIENT);
  const kcatFile = join(work, 'kcat-1k.txt');
  // Written in pieces: N1K lines of 1 KiB can be longer than the longest string V8 makes.
  const kcatLines = Buffer.from(`${'k'.repeat(1023)}\n`.repeat(1000));
  const kcatFd = openSync(kcatFile, 'w');
  for (let written = 0; written < N1K; written += 1000)
    writeSync(kcatFd, kcatLines, 0, Math.min(1000, N1K - written) * 1024);
  closeSync(kcatFd);
  const mode = 'child process `node apps/kafka/dist/main.js` (eddy-kafka, CommitLog store, 1 partition per topic)';
  process.stderr.write(`broker under test: ${mode}\n`);
  const rows: Row[] = [];
  const latencies: (Latency | string)[] = [];
  let profile: { produce: ProfileSummary | string; consume: ProfileSummary | string } = {
    produce: 'not run',
    consume: 'not run',
  };
  let raw = Number.NaN;
  try {
    raw = rawWriteRate(work);
    process.stderr.write(`raw sequential write: ${number(raw)} MB/s\n`);

    // --flush async
    let broker = await BrokerChild.start('async');
    try {
      const rd = 'librdkafka (confluent-kafka)';
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            { phase: 'produce, acks=1, async flush', client: rd, messages: N100, size: 100, target: 600_000 },
            () => rdProduce(script, broker, 'p100-a1', N100, 100, '1'),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(broker, { phase: 'produce, acks=-1, async flush', client: rd, messages: N100, size: 100 }, () =>
            rdProduce(script, broker, 'p100-aall', N100, 100, '-1'),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            { phase: 'produce, acks=1, async flush', client: rd, messages: N1K, size: 1024, target: 220_000 },
            () => rdProduce(script, broker, 'p1k-a1', N1K, 1024, '1'),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(broker, { phase: 'produce, acks=-1, async flush', client: rd, messages: N1K, size: 1024 }, () =>
            rdProduce(script, broker, 'p1k-aall', N1K, 1024, '-1'),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            { phase: 'produce, acks=1, async flush', client: 'kcat (librdkafka)', messages: N1K, size: 1024 },
            () => kcatProduce(broker, 'kcat-1k', kcatFile),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(broker, { phase: 'consume from the beginning', client: rd, messages: N100, size: 100 }, () =>
            rdConsume(script, broker, 'p100-a1', N100),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            { phase: 'consume from the beginning', client: rd, messages: N1K, size: 1024, target: 600_000 },
            () => rdConsume(script, broker, 'p1k-a1', N1K),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            {
              phase: 'consume from the beginning',
              client: 'kcat (librdkafka)',
              messages: N1K,
              size: 1024,
              target: 600_000,
            },
            () => kcatConsume(broker, 'kcat-1k', N1K),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            {
              phase: 'produce, acks=-1, `send()` of 1,000 awaited',
              client: 'kafkajs 2.2.4',
              messages: NJS,
              size: 1024,
            },
            () => kafkajsProduce(broker, 'js-1k', NJS, 1024),
          ),
        );
      if (!ONLY_LATENCY)
        rows.push(
          await phase(
            broker,
            {
              phase: 'consume (group, `eachBatch`), from the join',
              client: 'kafkajs 2.2.4',
              messages: NJS,
              size: 1024,
            },
            () => kafkajsConsume(broker, 'js-1k', NJS),
          ),
        );
      for (const [client, measure] of [
        ['kafkajs 2.2.4', () => kafkajsLatency(broker, 'js-latency', 1024)],
        ['librdkafka (confluent-kafka)', () => librdkafkaLatency(script, broker, 'rd-latency', 1024)],
      ] as const) {
        if (broker.died) {
          latencies.push(`${client}: not run: ${broker.died}`);
          continue;
        }
        try {
          const latency = await measure();
          latencies.push(latency);
          process.stderr.write(`latency ${client}: p50 ${latency.p50.toFixed(2)} p99 ${latency.p99.toFixed(2)} ms\n`);
        } catch (error) {
          latencies.push(`${client}: failed: ${(error as Error).message}${broker.died ? `; ${broker.died}` : ''}`);
        }
      }
    } finally {
      await broker.stop();
    }

    if (ONLY_LATENCY) return;
    // --flush sync
    broker = await BrokerChild.start('sync');
    try {
      rows.push(
        await phase(
          broker,
          {
            phase: 'produce, acks=-1, **sync flush**',
            client: 'librdkafka (confluent-kafka)',
            messages: NSYNC,
            size: 1024,
            target: 100_000,
          },
          () => rdProduce(script, broker, 'sync-1k', NSYNC, 1024, '-1'),
        ),
      );
    } finally {
      await broker.stop();
    }

    // --cpu-prof, async flush: the 1 KiB acks=1 produce, then the consume.
    const profDir = join(work, 'profile');
    broker = await BrokerChild.start('async', ['--cpu-prof', '--cpu-prof-dir', profDir]);
    const produceWindows: Window[] = [];
    const consumeWindows: Window[] = [];
    try {
      const r1 = await phase(
        broker,
        { phase: 'profiled', client: 'librdkafka', messages: N1K, size: 1024 },
        () => rdProduce(script, broker, 'prof-1k', N1K, 1024, '1'),
        produceWindows,
      );
      const r2 = await phase(
        broker,
        { phase: 'profiled', client: 'librdkafka', messages: N1K, size: 1024 },
        () => rdConsume(script, broker, 'prof-1k', N1K),
        consumeWindows,
      );
      process.stderr.write(`profiled run: produce ${rateCell(r1)}, consume ${rateCell(r2)} msgs/s\n`);
    } finally {
      await broker.stop();
    }
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) profile = { produce: 'no profile written', consume: 'no profile written' };
    else {
      const file = join(profDir, files[0] as string);
      profile = {
        produce: produceWindows.length ? summariseProfile(file, produceWindows) : 'phase failed',
        consume: consumeWindows.length ? summariseProfile(file, consumeWindows) : 'phase failed',
      };
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const seconds = (performance.now() - began) / 1000;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const latencyRow = (lat: Latency): string =>
    `| ${lat.client} | ${number(lat.rate)} msgs/s for ${LATENCY_SECONDS} s (after ${LATENCY_WARMUP_SECONDS} s warm-up) | ${lat.p50.toFixed(2)} ms | ${lat.p99.toFixed(2)} ms | ${lat.p999.toFixed(2)} ms | ${lat.max.toFixed(2)} ms | ${number(lat.sent)} · ${number(lat.received)} | ${number((lat.brokerCpu / (LATENCY_SECONDS + LATENCY_WARMUP_SECONDS)) * 100)} % of a core | ${lat.client.startsWith('kafkajs') ? `p99 ≤ 5 ms ${lat.p99 <= 5 ? '✅' : '❌'}` : 'reference'} |`;
  const latencyLines = [
    '| end-to-end, 1 KiB, acks=-1, async flush | rate | p50 | p99 | p99.9 | max | sent · received | broker CPU | target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...latencies.filter((lat): lat is Latency => typeof lat !== 'string').map(latencyRow),
    ...latencies.filter((lat): lat is string => typeof lat === 'string').map((text) => `\n${text}`),
  ];
  const section = [
    SECTION,
    '',
    "`npm run bench:kafka` (`bench/kafka.bench.ts`, run as `node --initial-old-space-size=256 --max-semi-space-size=64 --import tsx`; the kafkajs clients of the latency phase run in processes of their own with the same flags: kafkajs's encoder allocates about 17 bytes of Buffers per byte sent, and on V8's defaults its process collected every ~0.15 s, 4–17 ms each, which was most of the latency tail): the broker under test is a",
    `${mode}, started with a temporary data directory and a free port, \`--flush async\` (and again \`--flush sync\`), clients on the same machine. librdkafka is confluent-kafka ${'(Python, /usr/bin/python3)'} with acks as shown, \`linger.ms\` 5 for 100 B and 20 for 1 KiB (1 MB batches fill at ~10,000 records of 100 B but ~1,000 of 1 KiB; kcat the same), \`batch.num.messages\` 10,000, \`batch.size\` 1,000,000, no compression, no idempotence; rates are measured by the client, from the first \`produce()\` to the end of the final \`flush()\` (all deliveries acknowledged; no per-message delivery callback, so the partition's end offset is checked afterwards to equal the count, and any error fails the phase), and for consumers from the first batch received to the last message (\`consume(10000)\`, counting \`len(message)\`; kcat prints only offsets, \`-f '%o\\n'\`, timed from its first output to its exit): the steady rate, without process start, connection and first fetch. MB = 10⁶ bytes of values. Broker CPU is utime + stime of the broker process over the phase (/proc/<pid>/stat).`,
    '',
    `Machine: ${cpu}, ${cpus().length} cores (VM) · Node ${process.version} · load average ${load} at the end · run took ${number(seconds)} s. Raw sequential write (1 GiB, \`fs.writeSync\` of 1 MiB chunks, \`fsync\`), the physical limit: **${number(raw)} MB/s**.`,
    '',
    '| phase | client | size | messages | msgs/s | MB/s | broker CPU | client CPU | target (issue) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(tableRow),
    '',
    ...limits(rows, raw),
    '',
    ...latencyLines,
    '',
    `End to end: each value carries the CLOCK_MONOTONIC time it was made; the consumer takes arrival − stamp for values made after the warm-up. kafkajs: the producer sends what is due every millisecond (about ${number(LATENCY_RATE / 1000)} messages a \`send()\`), the group consumer uses \`eachBatch\`, each in its own Node process. librdkafka (the reference: the broker's share when the clients themselves do not stall): a Python producer with \`linger.ms\` 0 and a \`poll()\` consumer, each in its own process. Broker CPU is per second of the phase.`,
    '',
    '### Where the time goes (`node --cpu-prof` on the broker, self time)',
    '',
    'One more broker child, run with `node --cpu-prof`, during the librdkafka 1 KiB acks=1 produce and the consume; the samples of each phase picked by its time window.',
    '',
    ...profileLines('**Produce, 1 KiB, acks=1, async flush**', profile.produce),
    ...profileLines('**Consume, 1 KiB, from the beginning**', profile.consume),
    'Numbers move by ±30 % between runs on this shared two-core VM, where the client and the broker share the two cores (load average in the machine line).',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (WRITE_DOCS) {
    writeDocsSection(DOCS, SECTION, `${section}\n`);
  }
}

await main();
