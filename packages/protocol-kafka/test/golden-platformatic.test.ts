import { afterEach, describe, expect, it } from 'vitest';
import { apiVersionsCodec } from '../src/apis/api-versions.js';
import { metadataCodec } from '../src/apis/metadata.js';
import { produceCodec } from '../src/apis/produce.js';
import { KafkaReader } from '../src/reader.js';
import { decodeRecordBatches } from '../src/record-batch.js';
import { KafkaWriter } from '../src/writer.js';
import { type CapturedFrame, oneBrokerMetadata, startFakeBroker } from './fake-broker.js';

// @platformatic/kafka targets Node 22+; on Node 20 it needs Promise.withResolvers before it is imported.
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
promiseStatics.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};
const { Producer, stringSerializers } = await import('@platformatic/kafka');

const text = (bytes: Uint8Array | null | undefined) => (bytes == null ? null : Buffer.from(bytes).toString('utf8'));

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

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('golden bytes from @platformatic/kafka', () => {
  // @platformatic/kafka 1.35 implements only Metadata 9–12 and Produce 7–11 and walks down from our advertised
  // maximum: Metadata must reach v9 (flexible) and Produce v7.
  it('ApiVersions v3, Metadata v9 (flexible), Produce v7 (and it accepts our responses)', async () => {
    const broker = await startFakeBroker((apiKey, _version, request, port) => {
      if (apiKey === 3) return oneBrokerMetadata(port, request.topics ?? []);
      if (apiKey === 0) {
        return {
          throttleTimeMs: 0,
          topics: request.topics.map((t: { name: string }) => ({
            name: t.name,
            partitions: [{ index: 0, errorCode: 0, baseOffset: 4n, logAppendTimeMs: -1n, logStartOffset: 0n }],
          })),
        };
      }
    });
    cleanup.push(() => broker.close());
    const producer = new Producer({
      clientId: 'plt',
      bootstrapBrokers: [`127.0.0.1:${broker.port}`],
      serializers: stringSerializers,
      retries: 0,
    });
    cleanup.push(() => producer.close());
    const result = await producer.send({
      messages: [
        {
          topic: 'plt-topic',
          partition: 0,
          key: 'k',
          value: 'v',
          headers: new Map([['h', 'x']]),
          timestamp: 1_700_000_000_000n,
        },
      ],
    });
    expect(result.offsets).toEqual([{ topic: 'plt-topic', partition: 0, offset: 4n }]);

    const versions = broker.frames.find((f) => f.apiKey === 18);
    expect(versions?.apiVersion).toBe(3);
    expect(decodeExactly(apiVersionsCodec, versions as CapturedFrame)).toEqual({
      clientSoftwareName: 'platformatic-kafka',
      clientSoftwareVersion: expect.any(String),
    });

    const metadata = broker.frames.filter((f) => f.apiKey === 3);
    expect(metadata.map((f) => f.apiVersion)).toEqual(metadata.map(() => 9));
    // It asks for topic authorized operations; our reply carries INT32_MIN (not computed), which it accepts.
    expect(metadata.map((f) => decodeExactly(metadataCodec, f))).toContainEqual({
      topics: ['plt-topic'],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: true,
    });

    const produce = broker.frames.filter((f) => f.apiKey === 0);
    expect(produce.map((f) => f.apiVersion)).toEqual([7]);
    const request = decodeExactly(produceCodec, produce[0] as CapturedFrame);
    expect(request).toMatchObject({ transactionalId: null, acks: 1 });
    expect(request.topics.map((t) => [t.name, t.partitions.map((p) => p.index)])).toEqual([['plt-topic', [0]]]);
    const [batch, ...more] = decodeRecordBatches(request.topics[0]?.partitions[0]?.records as Uint8Array);
    expect(more).toEqual([]);
    expect(batch).toMatchObject({ baseTimestamp: 1_700_000_000_000n, compression: 'none', isTransactional: false });
    expect(
      batch?.records.map((r) => [text(r.key), text(r.value), r.headers.map((h) => [h.key, text(h.value)])]),
    ).toEqual([['k', 'v', [['h', 'x']]]]);
  });
});
