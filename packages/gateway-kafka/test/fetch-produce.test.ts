import { createMessage } from '@eddy/message';
import {
  apiVersionsCodec,
  decodeRecordBatches,
  encodeRecordBatch,
  type FetchRequest,
  fetchCodec,
  KafkaErrorCode,
  listOffsetsCodec,
  metadataCodec,
  produceCodec,
} from '@eddy/protocol-kafka';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KAFKA_HANDLERS } from '../src/index.js';
import { type KafkaFixture, kafkaFixture } from './fixture.js';
import { type ProtocolClient, protocolClient } from './protocol-client.js';
import { rawClient } from './raw-client.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const batch = (...values: string[]): Uint8Array =>
  encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((value) => ({ value: bytes(value) })) });

function fetchRequest(topic: string, offset: number, overrides: Partial<FetchRequest> = {}): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    isolationLevel: 0,
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
    ...overrides,
  };
}

const produce = (topic: string, records: Uint8Array, acks = 1, partition = 0) => ({
  transactionalId: null,
  acks,
  timeoutMs: 1000,
  topics: [{ name: topic, partitions: [{ index: partition, records }] }],
});

// On both kinds of store: records kept as messages (memory), batches kept as they came (CommitLog).
describe.each(['memory', 'commitlog'] as const)('Kafka APIs over the wire (%s)', (engine) => {
  let fixture: KafkaFixture;
  let client: ProtocolClient;

  beforeEach(async () => {
    fixture = await kafkaFixture({ engine, config: { maxMessageBytes: 4096 } });
    client = await protocolClient(fixture.gateway.port);
    await fixture.broker.topics.create({ name: 't', queueCount: 2 });
  });
  afterEach(async () => {
    client.close();
    await fixture.close();
  });

  it('advertises exactly the served APIs with min version 0, at v3 and v0', async () => {
    const expected = KAFKA_HANDLERS.map(({ codec }) => [codec.apiKey, 0, codec.maxVersion]).sort(
      (a, b) => (a[0] as number) - (b[0] as number),
    );
    for (const version of [0, 3]) {
      const response = await client.request(apiVersionsCodec, version, {
        clientSoftwareName: 'test',
        clientSoftwareVersion: '1',
      });
      expect(response.errorCode).toBe(0);
      expect(response.apiKeys.map(({ apiKey, minVersion, maxVersion }) => [apiKey, minVersion, maxVersion])).toEqual(
        expected,
      );
    }
  });

  it('describes the cluster and auto-creates topics on Metadata only when asked', async () => {
    const response = await client.request(metadataCodec, 6, {
      topics: ['t', 'fresh', 'bad name!'],
      allowAutoTopicCreation: true,
    });
    expect(response.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: fixture.gateway.port, rack: null }]);
    expect(response.controllerId).toBe(0);
    expect(response.topics.map(({ name, errorCode, partitions }) => [name, errorCode, partitions.length])).toEqual([
      ['t', 0, 2],
      ['fresh', 0, 1],
      ['bad name!', KafkaErrorCode.INVALID_TOPIC_EXCEPTION, 0],
    ]);
    const noCreate = await client.request(metadataCodec, 6, { topics: ['other'], allowAutoTopicCreation: false });
    expect(noCreate.topics[0]?.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('answers Produce per partition: offsets, unknown topic or partition, corrupt and too large batches', async () => {
    const ok = await client.request(produceCodec, 7, produce('t', batch('a', 'b')));
    expect(ok.topics[0]?.partitions[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0n, logStartOffset: 0n });
    const next = await client.request(produceCodec, 7, produce('t', batch('c')));
    expect(next.topics[0]?.partitions[0]?.baseOffset).toBe(2n);
    const unknown = await client.request(produceCodec, 7, produce('nope', batch('x')));
    expect(unknown.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await fixture.broker.topics.get('nope')).toBeUndefined();
    const badPartition = await client.request(produceCodec, 7, produce('t', batch('x'), 1, 5));
    expect(badPartition.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const corrupt = batch('x');
    corrupt[corrupt.length - 1] = (corrupt.at(-1) as number) ^ 0xff;
    const crc = await client.request(produceCodec, 7, produce('t', corrupt));
    expect(crc.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    const large = await client.request(produceCodec, 7, produce('t', batch('y'.repeat(5000))));
    expect(large.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.MESSAGE_TOO_LARGE);
    const acks = await client.request(produceCodec, 7, produce('t', batch('z'), 2));
    expect(acks.topics[0]?.partitions[0]?.errorCode).toBe(KafkaErrorCode.INVALID_REQUIRED_ACKS);
    // acks=0: no answer; the next request's answer is the next frame.
    client.send(produceCodec, 7, produce('t', batch('d'), 0));
    const after = await client.request(produceCodec, 7, produce('t', batch('e')));
    expect(after.topics[0]?.partitions[0]?.baseOffset).toBe(4n);
  });

  it('fetches from an offset with high watermark, LSO and log start; out of range outside [start, HW]', async () => {
    await client.request(produceCodec, 7, produce('t', batch('a', 'b', 'c')));
    const response = await client.request(fetchCodec, 11, fetchRequest('t', 1, { isolationLevel: 1 }));
    expect(response).toMatchObject({ errorCode: 0, sessionId: 0 });
    const partition = response.responses[0]?.partitions[0];
    expect(partition).toMatchObject({
      errorCode: 0,
      highWatermark: 3n,
      lastStableOffset: 3n,
      logStartOffset: 0n,
      preferredReadReplica: -1,
      abortedTransactions: [],
    });
    const batches = decodeRecordBatches(partition?.records ?? new Uint8Array(0));
    const values = batches.flatMap((decoded) =>
      decoded.records.map((record) => [
        Number(decoded.baseOffset) + record.offsetDelta,
        Buffer.from(record.value ?? []).toString(),
      ]),
    );
    // The produced batch is served whole, as Kafka serves its log: clients skip offsets below their fetch offset.
    expect(values).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    const beyond = await client.request(fetchCodec, 11, fetchRequest('t', 4));
    expect(beyond.responses[0]?.partitions[0]).toMatchObject({
      errorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE,
      highWatermark: 3n,
    });
    const atEnd = await client.request(fetchCodec, 4, fetchRequest('t', 3, { maxWaitMs: 10 }));
    expect(atEnd.responses[0]?.partitions[0]).toMatchObject({
      errorCode: 0,
      highWatermark: 3n,
      abortedTransactions: null,
    });
    expect(atEnd.responses[0]?.partitions[0]?.records?.length ?? 0).toBe(0);
  });

  it('returns at least one whole batch even when it is larger than max_bytes', async () => {
    await client.request(produceCodec, 7, produce('t', batch('x'.repeat(1000))));
    await client.request(produceCodec, 7, produce('t', batch('y'.repeat(1000))));
    const response = await client.request(
      fetchCodec,
      11,
      fetchRequest('t', 0, {
        maxBytes: 10,
        topics: [
          {
            topic: 't',
            partitions: [
              { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 10 },
            ],
          },
        ],
      }),
    );
    const batches = decodeRecordBatches(response.responses[0]?.partitions[0]?.records ?? new Uint8Array(0));
    expect(batches.map((decoded) => decoded.baseOffset)).toEqual([0n]);
  });

  it('holds a fetch at the high watermark until a produce arrives, and answers it with the new records', async () => {
    const other = await protocolClient(fixture.gateway.port);
    try {
      // A minute of max_wait: only the append wakes it within the test's time.
      const held = client.request(fetchCodec, 11, fetchRequest('t', 0, { maxWaitMs: 60_000 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await other.request(produceCodec, 7, produce('t', batch('woken')));
      const response = await held;
      const [decoded] = decodeRecordBatches(response.responses[0]?.partitions[0]?.records ?? new Uint8Array(0));
      expect(Buffer.from(decoded?.records[0]?.value ?? []).toString()).toBe('woken');
    } finally {
      other.close();
    }
  }, 20_000);

  it('holds a fetch until a message arrives by another path (a RocketMQ-side send), and answers it with it', async () => {
    // A minute of max_wait: only the send wakes it within the test's time.
    const held = client.request(fetchCodec, 11, fetchRequest('t', 0, { maxWaitMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fixture.broker.send(createMessage({ topic: 't', body: 'from rocketmq' }), { queueId: 0 });
    const response = await held;
    const [decoded] = decodeRecordBatches(response.responses[0]?.partitions[0]?.records ?? new Uint8Array(0));
    expect(Buffer.from(decoded?.records[0]?.value ?? []).toString()).toBe('from rocketmq');
  }, 20_000);

  it('lists offsets: latest, earliest and by time', async () => {
    await client.request(produceCodec, 7, produce('t', batch('a', 'b')));
    const ask = (timestamp: bigint) =>
      client.request(listOffsetsCodec, 3, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp }] }],
      });
    expect((await ask(-1n)).topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, offset: 2n });
    expect((await ask(-2n)).topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, offset: 0n });
    expect((await ask(0n)).topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, offset: 0n });
    expect((await ask(BigInt(Date.now() + 60_000))).topics[0]?.partitions[0]).toMatchObject({
      errorCode: 0,
      offset: -1n,
    });
  });

  it('closes only the connection that sends a 1 GiB prefix, an unknown API key, a truncated body or garbage', async () => {
    const size = (value: number): Buffer => {
      const buffer = Buffer.alloc(4);
      buffer.writeInt32BE(value);
      return buffer;
    };
    const huge = await rawClient(fixture.gateway.port);
    huge.send(size(1024 * 1024 * 1024));
    await huge.closed();
    const unknown = await rawClient(fixture.gateway.port);
    unknown.request(9999, 0, 1);
    await unknown.closed();
    const truncated = await rawClient(fixture.gateway.port);
    truncated.request(produceCodec.apiKey, 7, 1, Buffer.from([0xff, 0xff, 0, 1]));
    await truncated.closed();
    const garbage = await rawClient(fixture.gateway.port);
    garbage.send(Buffer.concat([size(2), Buffer.from([7, 7])]));
    await garbage.closed();
    const response = await client.request(produceCodec, 7, produce('t', batch('still here')));
    expect(response.topics[0]?.partitions[0]?.errorCode).toBe(0);
  });

  it('answers a held fetch when the gateway closes', async () => {
    const held = client.request(fetchCodec, 11, fetchRequest('t', 0, { maxWaitMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fixture.gateway.close(5_000);
    const response = await held;
    expect(response.responses[0]?.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
  }, 20_000);
});
