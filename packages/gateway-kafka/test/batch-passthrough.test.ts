// Fetch serving produced batches as they came (the produced-batch cache), and falling back to re-encoding.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createMessage } from '@eddy/message';
import {
  decodeRecordBatches,
  type FetchPartitionResponse,
  type FetchRequest,
  fetchCodec,
  type RecordBatch,
} from '@eddy/protocol-kafka';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KafkaGateway, startKafkaGateway } from '../src/index.js';
import { gzipValue, type KafkaFixture, kafkaFixture, produceGzipBatches, text } from './fixture.js';
import { protocolClient } from './protocol-client.js';

const KCAT = '/usr/bin/kcat';

function fetchRequest(topic: string, offset: number, isolationLevel = 0): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(offset),
            logStartOffset: -1n,
            partitionMaxBytes: 1024 * 1024,
          },
        ],
      },
    ],
    forgottenTopics: [],
    rackId: '',
  };
}

interface Fetched {
  readonly partition: FetchPartitionResponse;
  readonly batches: RecordBatch[];
  /** [offset, value] of every record served. */
  readonly records: [number, string | null][];
}

/** One raw Fetch v11 of partition 0, its batches decoded with the protocol's codecs. */
async function rawFetch(port: number, topic: string, offset: number, isolationLevel = 0): Promise<Fetched> {
  const client = await protocolClient(port);
  try {
    const response = await client.request(fetchCodec, 11, fetchRequest(topic, offset, isolationLevel));
    const partition = response.responses[0]?.partitions[0] as FetchPartitionResponse;
    const batches = decodeRecordBatches(partition.records ?? new Uint8Array(0));
    const records = batches.flatMap((batch) =>
      batch.records.map((record): [number, string | null] => [
        Number(batch.baseOffset) + record.offsetDelta,
        text(record.value),
      ]),
    );
    return { partition, batches, records };
  } finally {
    client.close();
  }
}

async function consumeAll(kafka: Kafka, topic: string, count: number, groupId: string): Promise<[string, string]> {
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const received: [string, string | null][] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          received.push([message.offset, text(message.value)]);
          if (received.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return received as unknown as [string, string];
}

function kcat(args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${err}`));
    });
    child.stdin.end(input);
  });
}

const offsetsAndValues = (count: number, value: (index: number) => string): [number, string][] =>
  Array.from({ length: count }, (_, index) => [index, value(index)]);

// The gateway's own cache of produced batches, used over stores that keep messages only (the memory
// engine); test/encoded-batches.test.ts covers a store that keeps the batches itself.
describe('produced batches served as they came', () => {
  let fixture: KafkaFixture;
  let restarted: KafkaGateway | undefined;

  beforeEach(async () => {
    fixture = await kafkaFixture({ engine: 'memory' });
    restarted = undefined;
  });
  afterEach(async () => {
    await restarted?.close(1000);
    await fixture.close();
  });

  it('kafkajs gzip batches come back compressed from the cache, and re-encoded after a gateway restart', async () => {
    await fixture.broker.topics.create({ name: 'gz', queueCount: 1 });
    const kafka = new Kafka({ clientId: 'gz', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    await produceGzipBatches(kafka, 'gz');
    const value = gzipValue;
    const expected = offsetsAndValues(12, value);

    expect(fixture.gateway.state.batches?.size).toBe(3);
    const cached = await rawFetch(fixture.gateway.port, 'gz', 0);
    expect(cached.batches.map((batch) => [batch.baseOffset, batch.compression, batch.partitionLeaderEpoch])).toEqual([
      [0n, 'gzip', 0],
      [4n, 'gzip', 0],
      [8n, 'gzip', 0],
    ]);
    expect(cached.records).toEqual(expected);
    // From inside a batch: the batch is served whole, as Kafka does.
    const inside = await rawFetch(fixture.gateway.port, 'gz', 5);
    expect(inside.records.map(([offset]) => offset)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);

    const consumed = await consumeAll(kafka, 'gz', 12, 'gz-readers');
    expect(consumed).toEqual(expected.map(([offset, v]) => [String(offset), v]));

    // A restarted gateway has an empty cache: the same records, re-encoded uncompressed from the store.
    await fixture.gateway.close(1000);
    restarted = await startKafkaGateway({
      broker: fixture.broker,
      port: 0,
      config: { groupInitialRebalanceDelayMs: 0 },
    });
    expect(restarted.state.batches?.size).toBe(0);
    const reencoded = await rawFetch(restarted.port, 'gz', 0);
    expect(new Set(reencoded.batches.map((batch) => batch.compression))).toEqual(new Set(['none']));
    expect(reencoded.records).toEqual(expected);
    const again = new Kafka({ clientId: 'gz2', brokers: [`127.0.0.1:${restarted.port}`], logLevel: logLevel.NOTHING });
    expect(await consumeAll(again, 'gz', 12, 'gz-readers-2')).toEqual(expected.map(([o, v]) => [String(o), v]));
  });

  it('read_committed stops at the LSO of an open transaction; cached and re-encoded batches mix at markers', async () => {
    await fixture.broker.topics.create({ name: 'txn', queueCount: 1 });
    const kafka = new Kafka({ clientId: 'txn', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'a0' }, { value: 'a1' }] });
    const producer = kafka.producer({ transactionalId: 'cache-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic: 'txn', messages: [{ value: 't2' }, { value: 't3' }] });
    // After the open transaction's first offset (2): cached, but past the LSO.
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'b4' }] });

    const committed = await rawFetch(fixture.gateway.port, 'txn', 0, 1);
    expect(committed.partition).toMatchObject({ highWatermark: 5n, lastStableOffset: 2n, abortedTransactions: [] });
    expect(committed.records).toEqual([
      [0, 'a0'],
      [1, 'a1'],
    ]);
    const atLso = await rawFetch(fixture.gateway.port, 'txn', 2, 1);
    expect(atLso.records).toEqual([]);
    const uncommitted = await rawFetch(fixture.gateway.port, 'txn', 0, 0);
    expect(uncommitted.records.map(([offset]) => offset)).toEqual([0, 1, 2, 3, 4]);

    await transaction.commit();
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'c6' }] });
    // 0–1, 2–3 and 4 kept; 5 the commit marker (re-encoded); 6 kept again.
    const after = await rawFetch(fixture.gateway.port, 'txn', 0, 1);
    expect(after.partition).toMatchObject({ highWatermark: 7n, lastStableOffset: 7n, abortedTransactions: [] });
    expect(after.batches.map((batch) => [batch.baseOffset, batch.isControl])).toEqual([
      [0n, false],
      [2n, false],
      [4n, false],
      [5n, true],
      [6n, false],
    ]);
    // The first three batches are the kept bytes themselves.
    const kept = fixture.gateway.state.batches?.run('txn', 0, 0, 5, 1 << 20) ?? [];
    expect(kept.map((batch) => batch.baseOffset)).toEqual([0, 2, 4]);
    const keptBytes = Buffer.concat(kept.map((batch) => batch.bytes));
    expect(
      Buffer.from(after.partition.records ?? [])
        .subarray(0, keptBytes.length)
        .equals(keptBytes),
    ).toBe(true);
    const values = after.batches
      .filter((batch) => !batch.isControl)
      .flatMap((batch) => batch.records.map((record) => text(record.value)));
    expect(values).toEqual(['a0', 'a1', 't2', 't3', 'b4', 'c6']);
    await producer.disconnect();
    await plain.disconnect();
  });

  it('mixes kept batches with messages from elsewhere, in offset order, within max bytes', async () => {
    await fixture.broker.topics.create({ name: 'mixed', queueCount: 1 });
    const kafka = new Kafka({ clientId: 'mixed', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const big = 'z'.repeat(6000);
    await producer.send({ topic: 'mixed', acks: -1, messages: [{ value: `k0${big}` }, { value: `k1${big}` }] });
    await fixture.broker.appendBatch('mixed', 0, [createMessage({ topic: 'mixed', body: 'rocket-2' })]);
    await producer.send({ topic: 'mixed', acks: -1, messages: [{ value: `k3${big}` }] });
    await producer.disconnect();
    const fetched = await rawFetch(fixture.gateway.port, 'mixed', 0);
    expect(fetched.records.map(([offset, value]) => [offset, value?.slice(0, 8)])).toEqual([
      [0, `k0${'z'.repeat(6)}`],
      [1, `k1${'z'.repeat(6)}`],
      [2, 'rocket-2'],
      [3, `k3${'z'.repeat(6)}`],
    ]);
    // partition_max_bytes below the first batch: that batch alone.
    const client = await protocolClient(fixture.gateway.port);
    const request = fetchRequest('mixed', 0);
    const partitions = (request.topics[0]?.partitions ?? []).map((p) => ({ ...p, partitionMaxBytes: 100 }));
    const small = await client.request(fetchCodec, 11, { ...request, topics: [{ topic: 'mixed', partitions }] });
    client.close();
    const batches = decodeRecordBatches(small.responses[0]?.partitions[0]?.records ?? new Uint8Array(0));
    expect(batches.map((batch) => [batch.baseOffset, batch.records.length])).toEqual([[0n, 2]]);
  });

  it('DeleteTopics drops the kept batches of the topic', async () => {
    await fixture.broker.topics.create({ name: 'gone', queueCount: 1 });
    const kafka = new Kafka({ clientId: 'gone', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'gone', acks: -1, messages: [{ value: 'old' }] });
    await producer.disconnect();
    expect(fixture.gateway.state.batches?.size).toBe(1);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['gone'] });
    await admin.disconnect();
    expect(fixture.gateway.state.batches?.size).toBe(0);
  });

  it('a topic recreated behind the gateway is not served from stale batches', async () => {
    await fixture.broker.topics.create({ name: 'again', queueCount: 1 });
    const kafka = new Kafka({ clientId: 'again', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'again', acks: -1, messages: [{ value: 'old-0' }, { value: 'old-1' }] });
    // Deleted and recreated through the broker (as the RocketMQ or HTTP admin would), refilled past the old end.
    await fixture.broker.topics.delete('again');
    await fixture.broker.topics.create({ name: 'again', queueCount: 1 });
    await fixture.broker.appendBatch(
      'again',
      0,
      ['new-0', 'new-1', 'new-2'].map((body) => createMessage({ topic: 'again', body })),
    );
    await producer.disconnect();
    const fetched = await rawFetch(fixture.gateway.port, 'again', 0);
    expect(fetched.records).toEqual([
      [0, 'new-0'],
      [1, 'new-1'],
      [2, 'new-2'],
    ]);
    expect(fixture.gateway.state.batches?.size).toBe(0);
  });
});

describe.skipIf(!existsSync(KCAT))('kcat lz4 batches served as they came', () => {
  let fixture: KafkaFixture;
  beforeEach(async () => {
    fixture = await kafkaFixture();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('kcat -z lz4 produce, kcat -C -e reads it back; the served batch is lz4', async () => {
    await fixture.broker.topics.create({ name: 'lz', queueCount: 1 });
    const lines = Array.from({ length: 50 }, (_, index) => `line-${index}-${'y'.repeat(index)}`);
    await kcat(['-b', fixture.bootstrap, '-P', '-t', 'lz', '-z', 'lz4'], `${lines.join('\n')}\n`);
    const fetched = await rawFetch(fixture.gateway.port, 'lz', 0);
    // librdkafka sends a batch uncompressed when lz4 would not make it smaller (a lone short line).
    expect(fetched.batches.map((batch) => batch.compression)).toContain('lz4');
    expect(fetched.records).toEqual(lines.map((line, index) => [index, line]));
    const out = await kcat(['-b', fixture.bootstrap, '-C', '-t', 'lz', '-o', 'beginning', '-e', '-f', '%o %s\\n']);
    expect(out.trim().split('\n')).toEqual(lines.map((line, index) => `${index} ${line}`));
  });
});
