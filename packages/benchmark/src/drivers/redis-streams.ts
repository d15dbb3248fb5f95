import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPorts } from '@eddy/cluster';
import { Redis } from 'ioredis';
import { BenchmarkError } from '../benchmark-error.js';
import { pace } from '../pacer.js';
import { findExecutable } from '../peer-requirements.js';
import type { PhaseMeter } from '../phase-meter.js';
import { nowMicros, stampedPayload } from '../phase-meter.js';
import { ServerProcess } from '../server-process.js';
import { type PhaseRequest, partitionsOf, type SystemDriver, sleep } from './system-driver.js';

const XADDS_PER_PIPELINE = 256;
const PIPELINES_IN_FLIGHT = 4;
const READ_COUNT = 2000;
/** redis-benchmark's connections and pipeline depth per producer. */
const BENCHMARK_CONNECTIONS = 4;
const BENCHMARK_PIPELINE = 64;
/** A payload is one argument of redis-benchmark's command line; Linux caps one argument at 128 KiB. */
const BENCHMARK_MAX_SIZE = 64 * 1024;
/** redis-benchmark puts a 12-digit number below `-r` in place of this in every command it sends. */
const RANDOM_PLACEHOLDER = '__rand_int__';

type StreamReply = [key: Buffer, entries: [id: Buffer, fields: Buffer[]][]][] | null;

/** Redis Streams (Debian's redis-server, AOF with fsync every second) with ioredis: pipelined XADD, blocking XREAD. */
export const redisDriver: SystemDriver = {
  system: 'redis',
  label: 'Redis Streams · redis-benchmark + ioredis',
  broker: 'redis-server, appendonly yes, appendfsync everysec',
  client: `at max rate redis-benchmark (C, Debian's redis-tools): XADD, ${BENCHMARK_CONNECTIONS} connections × pipeline ${BENCHMARK_PIPELINE} per producer, acknowledged count read with XLEN; at a fixed rate ioredis 6.0.0 (Node) XADD pipelined; consumers ioredis XREAD COUNT ${READ_COUNT} BLOCK 100`,
  eddy: false,
  // The throughput phase's producers are redis-benchmark, in C: like for like with librdkafka, not kafkajs.
  clientRuntime: 'native',
  requirements: [{ executable: 'redis-server', aptPackage: 'redis-server', neededBy: 'Redis Streams (redis)' }],
  async start(context) {
    const [port] = (await freeLoopbackPorts(1)) as [number];
    const dir = join(context.workDir, 'redis');
    mkdirSync(dir, { recursive: true });
    const options = { host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    const server = await ServerProcess.start({
      name: 'redis-server',
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
      startTimeoutMs: 30_000,
      ready: async () => {
        const probe = new Redis({ ...options, retryStrategy: () => null });
        // Refused connections while the server boots are expected; ioredis would print each one.
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
    });
    return {
      brokerPids: () => [server.pid],
      async run(request, meter, stop) {
        // Keys look like what redis-benchmark makes of `<topic>:__rand_int__`, so both producers write the same keys.
        const key = (partition: number): string => `${request.topic}:${String(partition).padStart(12, '0')}`;
        const producers = Array.from({ length: request.producers }, () => new Redis(options));
        const readers = Array.from({ length: request.consumers }, () => new Redis(options));
        for (const client of [...producers, ...readers]) client.on('error', (error) => meter.failed(error));
        try {
          await Promise.all([...producers, ...readers].map((client) => client.connect()));
          const reading = readers.map(async (reader, index) => {
            const keys = partitionsOf(index, request.consumers, request.partitions).map(key);
            if (keys.length === 0) return;
            const last = keys.map(() => '0');
            while (!stop.aborted) {
              try {
                const reply = (await reader.xreadBuffer(
                  'COUNT',
                  READ_COUNT,
                  'BLOCK',
                  100,
                  'STREAMS',
                  ...keys,
                  ...last,
                )) as StreamReply;
                const at = nowMicros();
                for (const [name, entries] of reply ?? []) {
                  const position = keys.indexOf(name.toString());
                  for (const [, fields] of entries) if (fields[1]) meter.receivedPayload(fields[1], at);
                  const tail = entries[entries.length - 1];
                  if (tail) last[position] = tail[0].toString();
                }
              } catch (error) {
                if (!stop.aborted) meter.failed(error);
              }
            }
          });
          const filler = Buffer.alloc(request.messageSize, 'x');
          const rate = request.rate === 'max' ? 'max' : request.rate / request.producers;
          const benchmark = findExecutable('redis-benchmark');
          if (rate === 'max' && benchmark !== undefined && request.messageSize <= BENCHMARK_MAX_SIZE) {
            await benchmarkProducers(benchmark, port, request, producers[0] as Redis, key, meter, stop);
          } else {
            meter.markStarted();
            await nodeProducers(producers, rate, filler, key);
          }
          await Promise.all(reading);
          // Redis keeps streams in memory: drop the phase's before the next one.
          const keys = Array.from({ length: request.partitions }, (_, partition) => key(partition));
          await producers[0]?.del(...keys);
        } finally {
          for (const client of [...producers, ...readers]) client.disconnect();
        }

        async function nodeProducers(
          clients: Redis[],
          rate: number | 'max',
          filler: Buffer,
          keyOf: (partition: number) => string,
        ): Promise<void> {
          await Promise.all(
            clients.map((producer, index) => {
              let next = index;
              return pace({
                rate,
                batchSize: XADDS_PER_PIPELINE,
                concurrency: PIPELINES_IN_FLIGHT,
                signal: stop,
                onError: (error) => meter.failed(error),
                send: async (count) => {
                  const target = keyOf(next++ % request.partitions);
                  const pipeline = producer.pipeline();
                  for (let message = 0; message < count; message++) {
                    pipeline.xadd(target, '*', 'd', stampedPayload(request.messageSize, filler));
                  }
                  const replies = (await pipeline.exec()) ?? [];
                  const failure = replies.find(([error]) => error !== null);
                  if (failure) throw failure[0];
                  meter.sent(count, count * request.messageSize);
                },
              });
            }),
          );
        }
      },
      close: () => server.stop(),
    };
  },
};

/**
 * The producers as redis-benchmark processes (C, pipelined), which push XADD far faster than a Node client
 * can here. redis-benchmark reports no per-message acknowledgements, so what the streams hold (XLEN,
 * read every 100 ms) is the count of acknowledged messages: an XADD is in the stream once it is answered.
 */
async function benchmarkProducers(
  benchmark: string,
  port: number,
  request: PhaseRequest,
  monitor: Redis,
  key: (partition: number) => string,
  meter: PhaseMeter,
  stop: AbortSignal,
): Promise<void> {
  const keys = Array.from({ length: request.partitions }, (_, partition) => key(partition));
  const target = request.partitions > 1 ? `${request.topic}:${RANDOM_PLACEHOLDER}` : (keys[0] as string);
  const payload = 'x'.repeat(request.messageSize);
  const children: ChildProcess[] = [];
  for (let index = 0; index < request.producers; index++) {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(BENCHMARK_CONNECTIONS)];
    args.push('-P', String(BENCHMARK_PIPELINE), '-n', '1000000000', '-q');
    if (request.partitions > 1) args.push('-r', String(request.partitions));
    const child = spawn(benchmark, [...args, 'XADD', target, '*', 'd', payload], { stdio: 'ignore' });
    child.on('error', (error) => meter.failed(error));
    if (child.pid !== undefined) meter.clientPids.push(child.pid);
    children.push(child);
  }
  const exited = children.map(
    (child) =>
      new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))),
  );
  let counted = 0;
  const count = async (): Promise<void> => {
    const lengths = await Promise.all(keys.map((name) => monitor.xlen(name)));
    const stored = lengths.reduce((sum, length) => sum + length, 0);
    meter.sent(stored - counted, (stored - counted) * request.messageSize);
    counted = stored;
  };
  meter.markStarted();
  try {
    while (!stop.aborted) {
      await sleep(100);
      await count().catch((error) => meter.failed(error));
      if (children.every((child) => child.exitCode !== null || child.signalCode !== null)) {
        throw new BenchmarkError('DRIVER_FAILED', 'redis-benchmark exited before the phase ended');
      }
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(exited);
  }
  await count().catch(() => {});
}
