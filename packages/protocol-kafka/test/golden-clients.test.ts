import { execFile, execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { apiVersionsCodec } from '../src/apis/api-versions.js';
import { fetchCodec } from '../src/apis/fetch.js';
import { listOffsetsCodec } from '../src/apis/list-offsets.js';
import { metadataCodec } from '../src/apis/metadata.js';
import { produceCodec } from '../src/apis/produce.js';
import { KafkaReader } from '../src/reader.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/record-batch.js';
import { KafkaWriter } from '../src/writer.js';
import { type CapturedFrame, oneBrokerMetadata, startFakeBroker } from './fake-broker.js';

const text = (bytes: Uint8Array | null | undefined) => (bytes == null ? null : Buffer.from(bytes).toString('utf8'));
const hasKcat = (() => {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function framesOf(frames: CapturedFrame[], apiKey: number): CapturedFrame[] {
  return frames.filter((frame) => frame.apiKey === apiKey);
}

// Decodes a captured body and checks the codec consumed it exactly and re-encodes it byte for byte.
function decodeExactly<T>(
  codec: { decodeRequest(r: KafkaReader, v: number): T; encodeRequest(w: KafkaWriter, v: number, q: T): void },
  frame: CapturedFrame,
): T {
  const reader = new KafkaReader(frame.body);
  const request = codec.decodeRequest(reader, frame.apiVersion);
  expect(reader.remaining).toBe(0);
  const writer = new KafkaWriter();
  codec.encodeRequest(writer, frame.apiVersion, request);
  expect(Buffer.from(writer.finish()).toString('hex')).toBe(Buffer.from(frame.body).toString('hex'));
  return request;
}

describe('golden bytes from real clients', () => {
  it('kafkajs 2.2.4: ApiVersions v2, Metadata v6, Produce v7 (and it accepts our responses)', async () => {
    const broker = await startFakeBroker((apiKey, _version, request, port) => {
      if (apiKey === 3) return oneBrokerMetadata(port, request.topics ?? []);
      if (apiKey === 0) {
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t: { name: string }) => ({
            name: t.name,
            partitions: [{ index: 0, errorCode: 0, baseOffset: 17n, logAppendTimeMs: -1n, logStartOffset: 0n }],
          })),
        };
      }
    });
    cleanup.push(() => broker.close());
    const kafka = new Kafka({
      clientId: 'golden',
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const result = await producer.send({
      topic: 'golden',
      acks: -1,
      timeout: 1234,
      messages: [
        { key: 'k1', value: 'v1', headers: { h: 'x' }, timestamp: '1700000000000' },
        { key: null, value: 'v2', timestamp: '1700000000005' },
      ],
    });
    expect(result).toEqual([
      expect.objectContaining({ topicName: 'golden', partition: 0, errorCode: 0, baseOffset: '17' }),
    ]);

    const [versions] = framesOf(broker.frames, 18);
    expect([versions?.apiVersion, versions?.clientId]).toEqual([2, 'golden']);
    expect(decodeExactly(apiVersionsCodec, versions as CapturedFrame)).toEqual({
      clientSoftwareName: null,
      clientSoftwareVersion: null,
    });

    const [metadata] = framesOf(broker.frames, 3);
    expect(metadata?.apiVersion).toBe(6);
    expect(decodeExactly(metadataCodec, metadata as CapturedFrame)).toEqual({
      topics: ['golden'],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });

    const [produce] = framesOf(broker.frames, 0);
    expect(produce?.apiVersion).toBe(7);
    const request = decodeExactly(produceCodec, produce as CapturedFrame);
    expect(request).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 1234 });
    expect(request.topics.map((t) => [t.name, t.partitions.map((p) => p.index)])).toEqual([['golden', [0]]]);
    const [batch] = decodeRecordBatches(request.topics[0]?.partitions[0]?.records as Uint8Array);
    expect(batch).toMatchObject({
      baseTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_005n,
      compression: 'none',
    });
    expect(
      batch?.records.map((r) => [
        r.offsetDelta,
        r.timestampDelta,
        text(r.key),
        text(r.value),
        r.headers.map((h) => [h.key, text(h.value)]),
      ]),
    ).toEqual([
      [0, 0n, 'k1', 'v1', [['h', 'x']]],
      [1, 5n, null, 'v2', []],
    ]);
  });

  it('kafkajs 2.2.4: ListOffsets v3 from admin.fetchTopicOffsets', async () => {
    const broker = await startFakeBroker((apiKey, _version, request, port) => {
      if (apiKey === 3) return oneBrokerMetadata(port, request.topics ?? ['offsets']);
      if (apiKey === 2) {
        return {
          throttleTimeMs: 0,
          topics: request.topics.map(
            (t: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                timestamp: -1n,
                offset: p.timestamp === -2n ? 3n : 9n,
              })),
            }),
          ),
        };
      }
    });
    cleanup.push(() => broker.close());
    const admin = new Kafka({
      clientId: 'golden',
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    await admin.connect();
    cleanup.push(() => admin.disconnect());
    expect(await admin.fetchTopicOffsets('offsets')).toEqual([{ partition: 0, offset: '9', high: '9', low: '3' }]);
    const listOffsets = framesOf(broker.frames, 2);
    expect(listOffsets.map((f) => f.apiVersion)).toEqual([3, 3]);
    const requests = listOffsets.map((f) => decodeExactly(listOffsetsCodec, f));
    expect(requests.map((r) => [r.replicaId, r.isolationLevel, r.topics[0]?.name, r.topics[0]?.partitions])).toEqual([
      [-1, 1, 'offsets', [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }]],
      [-1, 1, 'offsets', [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }]],
    ]);
  });

  it.skipIf(!hasKcat)(
    'kcat (librdkafka 2.0.2): ApiVersions v3, Metadata v4, Fetch v11 (and it prints our batch)',
    async () => {
      const batch = encodeRecordBatch({
        baseOffset: 0n,
        baseTimestamp: 1_700_000_000_000n,
        records: [{ key: new TextEncoder().encode('key'), value: new TextEncoder().encode('from-eddy') }],
      });
      const broker = await startFakeBroker((apiKey, _version, request, port) => {
        if (apiKey === 3) return oneBrokerMetadata(port, request.topics ?? ['fetched']);
        if (apiKey === 2) {
          return {
            throttleTimeMs: 0,
            topics: request.topics.map((t: { name: string }) => ({
              name: t.name,
              partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 0n }],
            })),
          };
        }
        if (apiKey === 1) {
          const offset = request.topics[0].partitions[0].fetchOffset as bigint;
          return {
            throttleTimeMs: 0,
            errorCode: 0,
            sessionId: 0,
            responses: [
              {
                topic: 'fetched',
                partitions: [
                  {
                    partitionIndex: 0,
                    errorCode: 0,
                    highWatermark: 1n,
                    lastStableOffset: 1n,
                    logStartOffset: 0n,
                    abortedTransactions: [],
                    preferredReadReplica: -1,
                    records: offset === 0n ? batch : new Uint8Array(),
                  },
                ],
              },
            ],
          };
        }
      });
      cleanup.push(() => broker.close());
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          'kcat',
          [
            '-C',
            '-b',
            `127.0.0.1:${broker.port}`,
            '-t',
            'fetched',
            '-p',
            '0',
            '-o',
            'beginning',
            '-e',
            '-f',
            '%k=%s\\n',
          ],
          { timeout: 20_000 },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      expect(output.trim()).toBe('key=from-eddy');

      const [versions] = framesOf(broker.frames, 18);
      expect(versions?.apiVersion).toBe(3);
      expect(decodeExactly(apiVersionsCodec, versions as CapturedFrame)).toEqual({
        clientSoftwareName: 'librdkafka',
        clientSoftwareVersion: expect.stringMatching(/^2\./),
      });
      const [metadata] = framesOf(broker.frames, 3);
      expect(metadata?.apiVersion).toBe(4);
      decodeExactly(metadataCodec, metadata as CapturedFrame);
      const [fetch] = framesOf(broker.frames, 1);
      expect(fetch?.apiVersion).toBe(11);
      const request = decodeExactly(fetchCodec, fetch as CapturedFrame);
      expect(request).toMatchObject({
        replicaId: -1,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        forgottenTopics: [],
        rackId: '',
      });
      expect(request.topics).toEqual([
        {
          topic: 'fetched',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: expect.any(Number),
            },
          ],
        },
      ]);
    },
  );
});
