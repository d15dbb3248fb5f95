// Produced batches stored as they came (a CommitLog store with the Kafka batch decoder): Fetch serves
// the stored bytes, the RocketMQ side reads each record as a message, and the two mix in one queue.
import { gzipSync } from 'node:zlib';
import { createBroker } from '@eddy/broker';
import { createMessage, type StoredMessage } from '@eddy/message';
import {
  assembleRecordBatch,
  decodeRecordBatches,
  decodeResponseHeader,
  encodeRecordBatch,
  encodeRecords,
  type FetchPartitionResponse,
  type FetchRequest,
  fetchCodec,
  KafkaErrorCode,
  KafkaReader,
  type KafkaRecordInit,
  produceCodec,
  type RecordBatch,
} from '@eddy/protocol-kafka';
import { openCommitLogStore } from '@eddy/store-commitlog';
import { makeTempDir } from '@eddy/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EncodedEntryReader, encodedBatchStoreOf, type StoredEntry } from '../src/encoded-store.js';
import {
  KAFKA_RECORD_BATCH_FORMAT,
  kafkaRecordBatchDecoder,
  recordToMessage,
  startKafkaGateway,
} from '../src/index.js';
import { gzipValue, type KafkaFixture, kafkaFixture, produceGzipBatches, text } from './fixture.js';
import { protocolClient } from './protocol-client.js';

const utf8 = (value: string): Uint8Array => new TextEncoder().encode(value);

function fetchRequest(
  topic: string,
  offset: number,
  overrides: Partial<FetchRequest> = {},
  partitionMaxBytes = 1 << 20,
) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          { partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), logStartOffset: -1n, partitionMaxBytes },
        ],
      },
    ],
    forgottenTopics: [],
    rackId: '',
    ...overrides,
  } satisfies FetchRequest;
}

const produceRequest = (topic: string, records: Uint8Array) => ({
  transactionalId: null,
  acks: -1,
  timeoutMs: 1000,
  topics: [{ name: topic, partitions: [{ index: 0, records }] }],
});

interface Fetched {
  readonly partition: FetchPartitionResponse;
  /** The `records` bytes of the answer, chunks joined. */
  readonly bytes: Buffer;
  readonly batches: RecordBatch[];
  /** [offset, value] of every non-control record served. */
  readonly records: [number, string | null][];
}

async function rawFetch(
  port: number,
  topic: string,
  offset: number,
  overrides: Partial<FetchRequest> = {},
  partitionMaxBytes?: number,
): Promise<Fetched> {
  const client = await protocolClient(port);
  try {
    const response = await client.request(fetchCodec, 11, fetchRequest(topic, offset, overrides, partitionMaxBytes));
    const partition = response.responses[0]?.partitions[0] as FetchPartitionResponse;
    const bytes = Buffer.concat(partition.recordChunks ?? [partition.records ?? new Uint8Array(0)]);
    const batches = decodeRecordBatches(bytes);
    const records = batches
      .filter((batch) => !batch.isControl)
      .flatMap((batch) =>
        batch.records.map((record): [number, string | null] => [
          Number(batch.baseOffset) + record.offsetDelta,
          text(record.value),
        ]),
      );
    return { partition, bytes, batches, records };
  } finally {
    client.close();
  }
}

async function storedEntries(store: EncodedEntryReader, topic: string): Promise<StoredEntry[]> {
  const read = await store.readEncoded(topic, 0, 0);
  if (read.status !== 'ok') throw new Error(`readEncoded: ${read.status}`);
  return read.entries;
}

/** A stored batch as Fetch must serve it: baseOffset set, partitionLeaderEpoch 0, nothing else changed. */
function served(entry: StoredEntry): Buffer {
  if (entry.kind !== 'batch') throw new Error('not a batch');
  const bytes = Buffer.from(entry.bytes);
  bytes.writeBigInt64BE(BigInt(entry.baseOffset), 0);
  bytes.writeInt32BE(0, 12);
  return bytes;
}

async function readMessages(fixture: KafkaFixture, topic: string): Promise<StoredMessage[]> {
  const read = await fixture.store.read(topic, 0, 0, { maxMessages: 1000 });
  if (read.status !== 'ok') throw new Error(`read: ${read.status}`);
  return read.messages;
}

const idempotentBatch = (baseSequence: number): Uint8Array =>
  encodeRecordBatch({
    producerId: 77n,
    producerEpoch: 0,
    baseSequence,
    records: [{ value: utf8(`i${baseSequence}`) }, { value: utf8(`i${baseSequence + 1}`) }],
  });
const IDEMPOTENT_FIRST = idempotentBatch(0);
const IDEMPOTENT_SECOND = idempotentBatch(2);

describe('Kafka batches stored as they came (CommitLog)', () => {
  let fixture: KafkaFixture;
  let store: EncodedEntryReader;
  let kafka: Kafka;

  beforeEach(async () => {
    fixture = await kafkaFixture({ engine: 'commitlog' });
    const encoded = encodedBatchStoreOf(fixture.store);
    if (encoded === undefined) throw new Error('the CommitLog store does not keep encoded batches');
    store = encoded;
    kafka = new Kafka({ clientId: 'encoded', brokers: [fixture.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('stores a kafkajs batch as one entry; the RocketMQ side reads each record with its key, tag and headers', async () => {
    await fixture.broker.topics.create({ name: 'plain', queueCount: 1 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'plain',
      acks: -1,
      messages: [
        { key: 'k0', value: 'v0', headers: { 'rocketmq.tag': 'TagA', h: 'x' } },
        { value: 'v1', headers: { h: 'y' } },
        { key: Buffer.from([0xff, 0xfe]), value: null },
      ],
    });
    await producer.disconnect();

    const entries = await storedEntries(store, 'plain');
    expect(entries.map((entry) => entry.kind === 'batch' && [entry.format, entry.baseOffset, entry.count])).toEqual([
      [KAFKA_RECORD_BATCH_FORMAT, 0, 3],
    ]);
    const messages = await readMessages(fixture, 'plain');
    expect(messages.map((m) => [m.queueOffset, text(m.body), m.keys, m.tag, m.properties.h])).toEqual([
      [0, 'v0', ['k0'], 'TagA', 'x'],
      [1, 'v1', [], undefined, 'y'],
      [2, '', [], undefined, undefined],
    ]);
    expect(messages[2]?.properties).toMatchObject({ __KAFKA_KEY_B64: '//4=', __KAFKA_NULL_VALUE: '1' });
    // Exactly what the per-message path would have stored, but for ids and store time.
    const [batch] = decodeRecordBatches((entries[0] as { bytes: Uint8Array }).bytes);
    const mapped = (batch as RecordBatch).records.map((record, index) =>
      recordToMessage('plain', batch as RecordBatch, record, index),
    );
    const fields = (m: Omit<StoredMessage, 'queueId' | 'queueOffset' | 'storeTimestamp'>) => {
      const { messageId: _id, ...rest } = m;
      return rest;
    };
    expect(messages.map(({ queueId: _q, queueOffset: _o, storeTimestamp: _s, ...m }) => fields(m))).toEqual(
      mapped.map(fields),
    );
    // Found by key and tag like any message.
    const tagged = await fixture.store.read('plain', 0, 0, { maxMessages: 10, tags: ['TagA'] });
    expect(tagged.status === 'ok' && tagged.messages.map((m) => m.queueOffset)).toEqual([0]);
    expect((await fixture.store.findByKey('plain', 'k0')).map((m) => m.queueOffset)).toEqual([0]);
    expect((await fixture.store.findById(messages[1]?.messageId as string))?.queueOffset).toBe(1);

    // Fetch serves the stored bytes, only baseOffset and partitionLeaderEpoch patched.
    const fetched = await rawFetch(fixture.gateway.port, 'plain', 0);
    expect(fetched.bytes.equals(served(entries[0] as StoredEntry))).toBe(true);
    expect(fetched.records).toEqual([
      [0, 'v0'],
      [1, 'v1'],
      [2, null],
    ]);
  });

  it('keeps gzip batches compressed, serves a batch whole from inside it, and kafkajs consumes them', async () => {
    await fixture.broker.topics.create({ name: 'gz', queueCount: 1 });
    await produceGzipBatches(kafka, 'gz');
    const value = gzipValue;
    const entries = await storedEntries(store, 'gz');
    expect(entries.map((entry) => entry.kind === 'batch' && entry.baseOffset)).toEqual([0, 4, 8]);

    const fetched = await rawFetch(fixture.gateway.port, 'gz', 0);
    expect(fetched.batches.map((batch) => [batch.baseOffset, batch.compression, batch.partitionLeaderEpoch])).toEqual([
      [0n, 'gzip', 0],
      [4n, 'gzip', 0],
      [8n, 'gzip', 0],
    ]);
    expect(fetched.bytes.equals(Buffer.concat(entries.map(served)))).toBe(true);
    const inside = await rawFetch(fixture.gateway.port, 'gz', 5);
    expect(inside.records.map(([offset]) => offset)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // partition_max_bytes below one batch: that batch alone.
    const small = await rawFetch(fixture.gateway.port, 'gz', 0, {}, 10);
    expect(small.batches.map((batch) => batch.baseOffset)).toEqual([0n]);

    const messages = await readMessages(fixture, 'gz');
    expect(messages.map((m) => [m.queueOffset, m.keys[0], text(m.body)])).toEqual(
      Array.from({ length: 12 }, (_, i) => [i, `k${i}`, value(i)]),
    );

    const consumer = kafka.consumer({ groupId: 'gz-readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['gz'], fromBeginning: true });
    const received: [string, string | null][] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push([message.offset, text(message.value)]);
            if (received.length === 12) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(received).toEqual(Array.from({ length: 12 }, (_, i) => [String(i), value(i)]));
  });

  it('mixes stored batches with messages sent from the RocketMQ side, in offset order', async () => {
    await fixture.broker.topics.create({ name: 'mixed', queueCount: 1 });
    const client = await protocolClient(fixture.gateway.port);
    const batchOf = (...values: string[]) =>
      encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((v) => ({ value: utf8(v) })) });
    await client.request(produceCodec, 7, produceRequest('mixed', batchOf('k0', 'k1')));
    await fixture.broker.send(createMessage({ topic: 'mixed', body: 'rocket-2', tag: 'T' }), { queueId: 0 });
    await fixture.broker.send(createMessage({ topic: 'mixed', body: 'rocket-3' }), { queueId: 0 });
    await client.request(produceCodec, 7, produceRequest('mixed', batchOf('k4')));
    client.close();

    const entries = await storedEntries(store, 'mixed');
    expect(entries.map((entry) => entry.kind)).toEqual(['batch', 'message', 'message', 'batch']);
    const fetched = await rawFetch(fixture.gateway.port, 'mixed', 0);
    expect(fetched.records).toEqual([
      [0, 'k0'],
      [1, 'k1'],
      [2, 'rocket-2'],
      [3, 'rocket-3'],
      [4, 'k4'],
    ]);
    // The stored batches are served as they are; the messages between them re-encoded as one batch.
    expect(fetched.batches.map((batch) => [batch.baseOffset, batch.records.length])).toEqual([
      [0n, 2],
      [2n, 2],
      [4n, 1],
    ]);
    const first = served(entries[0] as StoredEntry);
    const last = served(entries[3] as StoredEntry);
    expect(fetched.bytes.subarray(0, first.length).equals(first)).toBe(true);
    expect(fetched.bytes.subarray(fetched.bytes.length - last.length).equals(last)).toBe(true);
    const rocketHeaders = decodeRecordBatches(fetched.bytes)[1]?.records[0]?.headers ?? [];
    expect(rocketHeaders.map((header) => [header.key, text(header.value)])).toEqual([['rocketmq.tag', 'T']]);
    const fromMessage = await rawFetch(fixture.gateway.port, 'mixed', 3);
    expect(fromMessage.records).toEqual([
      [3, 'rocket-3'],
      [4, 'k4'],
    ]);
    expect((await rawFetch(fixture.gateway.port, 'mixed', 5)).records).toEqual([]);
    expect((await rawFetch(fixture.gateway.port, 'mixed', 6)).partition.errorCode).toBe(
      KafkaErrorCode.OFFSET_OUT_OF_RANGE,
    );
  });

  it('recycles the read buffers of a fetch only after its answer is written, even when the client reads slowly', async () => {
    await fixture.broker.topics.create({ name: 'recycled', queueCount: 1 });
    const client = await protocolClient(fixture.gateway.port);
    try {
      // 16 batches of 4 records, ~600 KB each, every batch its own letter.
      const values = (batch: number) =>
        Array.from({ length: 4 }, (_, i) => `b${batch}-r${i}-${String.fromCharCode(97 + batch).repeat(150_000)}`);
      for (let batch = 0; batch < 16; batch++) {
        const records = values(batch).map((value) => ({ value: utf8(value) }));
        await client.request(produceCodec, 7, produceRequest('recycled', encodeRecordBatch({ records })));
      }
      const fetchFrom = (offset: number) => fetchRequest('recycled', offset, { maxBytes: 5_000_000 }, 5_000_000);
      for (let round = 0; round < 2; round++) {
        // The client stops reading: the first answer (~4.8 MB) outgrows the socket buffers and waits in the
        // broker's write queue while the second fetch reads other batches, into recycled buffers if any.
        client.raw.socket.pause();
        client.send(fetchCodec, 11, fetchFrom(0));
        await new Promise((resolve) => setTimeout(resolve, 100));
        client.send(fetchCodec, 11, fetchFrom(32));
        await new Promise((resolve) => setTimeout(resolve, 100));
        client.raw.socket.resume();
        for (const first of [0, 8]) {
          const reader = new KafkaReader(await client.raw.next());
          decodeResponseHeader(reader, false);
          const partition = fetchCodec.decodeResponse(reader, 11).responses[0]?.partitions[0] as FetchPartitionResponse;
          const bytes = Buffer.concat(partition.recordChunks ?? [partition.records ?? new Uint8Array(0)]);
          const served = decodeRecordBatches(bytes).flatMap((b) => b.records.map((r) => text(r.value)));
          expect(served).toEqual(Array.from({ length: 8 }, (_, i) => values(first + i)).flat());
        }
      }
    } finally {
      client.close();
    }
  });

  it('stores a batch with offsetDeltas other than 0 … n-1 as messages at consecutive offsets', async () => {
    await fixture.broker.topics.create({ name: 'odd', queueCount: 1 });
    const client = await protocolClient(fixture.gateway.port);
    const records: KafkaRecordInit[] = ['a', 'b', 'c'].map((v, i) => ({ value: utf8(v), offsetDelta: i * 2 }));
    const answer = await client.request(produceCodec, 7, produceRequest('odd', encodeRecordBatch({ records })));
    client.close();
    expect(answer.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect((await storedEntries(store, 'odd')).map((entry) => entry.kind)).toEqual(['message', 'message', 'message']);
    expect((await rawFetch(fixture.gateway.port, 'odd', 0)).records).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  it('refuses corrupt and control batches before storing anything', async () => {
    await fixture.broker.topics.create({ name: 'bad', queueCount: 1 });
    const client = await protocolClient(fixture.gateway.port);
    const good = encodeRecordBatch({ records: [{ value: utf8('ok') }] });
    const flipped = good.slice();
    flipped[flipped.length - 1] = (flipped.at(-1) as number) ^ 0xff;
    const fewer = assembleRecordBatch({ lastOffsetDelta: 1, maxTimestamp: 0n }, 1, encodeRecords([{}, {}]));
    const control = encodeRecordBatch({ isControl: true, isTransactional: true, records: [{ value: utf8('x') }] });
    for (const [records, errorCode] of [
      [Buffer.concat([good, flipped]), KafkaErrorCode.CORRUPT_MESSAGE],
      [Buffer.concat([good, fewer]), KafkaErrorCode.CORRUPT_MESSAGE],
      [Buffer.concat([good, good.subarray(0, 30)]), KafkaErrorCode.CORRUPT_MESSAGE],
      [control, KafkaErrorCode.INVALID_RECORD],
    ] as const) {
      const answer = await client.request(produceCodec, 7, produceRequest('bad', records));
      expect(answer.topics[0]?.partitions[0]?.errorCode).toBe(errorCode);
    }
    client.close();
    expect((await fixture.store.queueRange('bad', 0))?.maxOffset ?? 0).toBe(0);
  });

  it('answers a retried idempotent batch with its first offset, and refuses a sequence gap', async () => {
    await fixture.broker.topics.create({ name: 'idem', queueCount: 1 });
    const client = await protocolClient(fixture.gateway.port);
    const offsets: bigint[] = [];
    for (const batch of [IDEMPOTENT_FIRST, IDEMPOTENT_SECOND, IDEMPOTENT_FIRST, IDEMPOTENT_SECOND]) {
      const answer = await client.request(produceCodec, 7, produceRequest('idem', batch));
      offsets.push(answer.topics[0]?.partitions[0]?.baseOffset ?? -1n);
    }
    const gap = idempotentBatch(9);
    const refused = await client.request(produceCodec, 7, produceRequest('idem', gap));
    client.close();
    expect(offsets).toEqual([0n, 2n, 0n, 2n]);
    expect(refused.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const messages = await readMessages(fixture, 'idem');
    expect(messages.map((m) => [m.properties.__KAFKA_PID, m.properties.__KAFKA_SEQ])).toEqual([
      ['77', '0'],
      ['77', '1'],
      ['77', '2'],
      ['77', '3'],
    ]);
  });

  it('read_committed stops at an open transaction, and an aborted one is reported and filtered', async () => {
    await fixture.broker.topics.create({ name: 'txn', queueCount: 1 });
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'a0' }, { value: 'a1' }] });
    const producer = kafka.producer({ transactionalId: 'encoded-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'txn', messages: [{ value: 't2' }, { value: 't3' }] });
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'b4' }] });

    const open = await rawFetch(fixture.gateway.port, 'txn', 0, { isolationLevel: 1 });
    expect(open.partition).toMatchObject({ highWatermark: 5n, lastStableOffset: 2n });
    expect(open.records).toEqual([
      [0, 'a0'],
      [1, 'a1'],
    ]);
    expect((await rawFetch(fixture.gateway.port, 'txn', 2, { isolationLevel: 1 })).records).toEqual([]);

    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: 'txn', messages: [{ value: 'c6' }] });
    await committed.commit();
    await plain.send({ topic: 'txn', acks: -1, messages: [{ value: 'last' }] });
    await producer.disconnect();
    await plain.disconnect();

    const entries = await storedEntries(store, 'txn');
    // Data batches stored as they came; the ABORT and COMMIT markers are messages.
    expect(entries.map((entry) => (entry.kind === 'batch' ? entry.baseOffset : 'marker'))).toEqual([
      0,
      2,
      4,
      'marker',
      6,
      'marker',
      8,
    ]);
    const after = await rawFetch(fixture.gateway.port, 'txn', 0, { isolationLevel: 1 });
    expect(after.partition).toMatchObject({ highWatermark: 9n, lastStableOffset: 9n });
    expect(after.partition.abortedTransactions?.map((t) => t.firstOffset)).toEqual([2n]);
    expect(after.batches.map((batch) => [batch.baseOffset, batch.isControl, batch.isTransactional])).toEqual([
      [0n, false, false],
      [2n, false, true],
      [4n, false, false],
      [5n, true, true],
      [6n, false, true],
      [7n, true, true],
      [8n, false, false],
    ]);
    const transactional = await readMessages(fixture, 'txn');
    expect(transactional.map((m) => [m.queueOffset, m.properties.__KAFKA_TXN, m.properties.__KAFKA_CONTROL])).toEqual([
      [0, undefined, undefined],
      [1, undefined, undefined],
      [2, '1', undefined],
      [3, '1', undefined],
      [4, undefined, undefined],
      [5, '1', 'abort'],
      [6, '1', undefined],
      [7, '1', 'commit'],
      [8, undefined, undefined],
    ]);

    const consumer = kafka.consumer({ groupId: 'txn-readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['txn'], fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(text(message.value) ?? '');
            if (text(message.value) === 'last') resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(values).toEqual(['a0', 'a1', 'b4', 'c6', 'last']);
  });

  it('answers KAFKA_STORAGE_ERROR for a stored batch of a format it does not serve', async () => {
    await fixture.broker.topics.create({ name: 'other', queueCount: 1 });
    await fixture.broker.send(createMessage({ topic: 'other', body: 'm0' }), { queueId: 0 });
    await fixture.broker.appendEncodedBatch('other', 0, { format: 'not-kafka', bytes: utf8('opaque'), count: 2 });
    const before = await rawFetch(fixture.gateway.port, 'other', 0);
    expect(before.partition.errorCode).toBe(0);
    expect(before.records).toEqual([[0, 'm0']]);
    const at = await rawFetch(fixture.gateway.port, 'other', 1);
    expect(at.partition).toMatchObject({ errorCode: KafkaErrorCode.KAFKA_STORAGE_ERROR, highWatermark: 3n });
  });

  it('wakes a held fetch when a batch is stored', async () => {
    await fixture.broker.topics.create({ name: 'wait', queueCount: 1 });
    const held = rawFetch(fixture.gateway.port, 'wait', 0, { maxWaitMs: 30_000 });
    const client = await protocolClient(fixture.gateway.port);
    await client.request(
      produceCodec,
      7,
      produceRequest('wait', encodeRecordBatch({ records: [{ value: utf8('woke') }] })),
    );
    client.close();
    expect((await held).records).toEqual([[0, 'woke']]);
  });
});

describe('kafkaRecordBatchDecoder', () => {
  it('maps a batch as recordToMessage does and refuses bytes that are not one batch of count records', () => {
    const bytes = assembleRecordBatch(
      {
        producerId: 5n,
        producerEpoch: 1,
        baseSequence: 3,
        isTransactional: true,
        lastOffsetDelta: 1,
        maxTimestamp: 0n,
      },
      2,
      gzipSync(
        encodeRecords([
          { key: utf8('k'), value: utf8('v'), headers: [{ key: 'rocketmq.tag', value: utf8('T') }] },
          { value: null, headers: [{ key: 'h', value: null }] },
        ]),
      ),
      'gzip',
    );
    const [batch] = decodeRecordBatches(bytes) as [RecordBatch];
    const expected = batch.records.map((record, index) => {
      const { topic: _t, messageId: _m, ...rest } = recordToMessage('t', batch, record, index);
      return rest;
    });
    expect(kafkaRecordBatchDecoder.decode(bytes, 2)).toEqual(expected);
    expect(expected[0]).toMatchObject({ keys: ['k'], tag: 'T', properties: { __KAFKA_SEQ: '3', __KAFKA_TXN: '1' } });
    const code = (run: () => unknown) => {
      try {
        run();
        return 'ok';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(code(() => kafkaRecordBatchDecoder.decode(bytes, 3))).toBe('CORRUPT_DATA');
    expect(code(() => kafkaRecordBatchDecoder.decode(Buffer.concat([bytes, bytes]), 2))).toBe('CORRUPT_DATA');
    expect(code(() => kafkaRecordBatchDecoder.decode(bytes.subarray(0, 70), 2))).toBe('CORRUPT_DATA');
  });
});

describe('Kafka batches stored as they came, across a restart', () => {
  it('rebuilds idempotent-producer state from the stored batches read back as messages', async () => {
    const temp = await makeTempDir('encoded-restart');
    const start = async () => {
      const store = await openCommitLogStore({
        dir: temp.path,
        flush: 'async',
        batchDecoders: [kafkaRecordBatchDecoder],
      });
      const broker = createBroker({ store });
      await broker.start();
      const gateway = await startKafkaGateway({ broker, port: 0, config: { groupInitialRebalanceDelayMs: 0 } });
      const close = async () => {
        await gateway.close(1000);
        await broker.close();
        await store.close();
      };
      return { broker, gateway, close };
    };
    const produceAll = async (port: number, batches: Uint8Array[]) => {
      const client = await protocolClient(port);
      const answers = [];
      for (const batch of batches) {
        const answer = await client.request(produceCodec, 7, produceRequest('idem', batch));
        answers.push([answer.topics[0]?.partitions[0]?.errorCode, answer.topics[0]?.partitions[0]?.baseOffset]);
      }
      client.close();
      return answers;
    };
    try {
      const before = await start();
      await before.broker.topics.create({ name: 'idem', queueCount: 1 });
      expect(await produceAll(before.gateway.port, [IDEMPOTENT_FIRST, IDEMPOTENT_SECOND])).toEqual([
        [0, 0n],
        [0, 2n],
      ]);
      await before.close();
      const after = await start();
      try {
        // The retry of the last batch is recognised; the next sequence goes on.
        expect(await produceAll(after.gateway.port, [IDEMPOTENT_SECOND, idempotentBatch(4)])).toEqual([
          [0, 2n],
          [0, 4n],
        ]);
        expect(await after.broker.store.queueRange('idem', 0)).toMatchObject({ maxOffset: 6 });
      } finally {
        await after.close();
      }
    } finally {
      await temp.remove();
    }
  });
});
