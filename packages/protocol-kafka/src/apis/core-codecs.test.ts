import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaErrorCode, KafkaProtocolError } from '../errors.js';
import { KafkaReader } from '../reader.js';
import { KafkaWriter } from '../writer.js';
import { apiVersionsCodec } from './api-versions.js';
import { fetchCodec } from './fetch.js';
import { listOffsetsCodec } from './list-offsets.js';
import { AUTHORIZED_OPERATIONS_OMITTED, metadataCodec } from './metadata.js';
import { produceCodec } from './produce.js';

// biome-ignore lint/suspicious/noExplicitAny: round-trips over codecs of different types
function roundTrip(codec: ApiCodec<any, any>, version: number, request: unknown, response: unknown): void {
  const requestBytes = new KafkaWriter();
  codec.encodeRequest(requestBytes, version, request);
  const requestReader = new KafkaReader(requestBytes.finish());
  expect(codec.decodeRequest(requestReader, version)).toEqual(request);
  expect(requestReader.remaining).toBe(0);
  const responseBytes = new KafkaWriter();
  codec.encodeResponse(responseBytes, version, response);
  const responseReader = new KafkaReader(responseBytes.finish());
  expect(codec.decodeResponse(responseReader, version)).toEqual(response);
  expect(responseReader.remaining).toBe(0);
  // Every truncation of a request is a protocol error, never a crash.
  const whole = requestBytes.finish();
  for (let cut = 0; cut < whole.length; cut++) {
    expect(() => codec.decodeRequest(new KafkaReader(whole.subarray(0, cut)), version)).toThrow(KafkaProtocolError);
  }
}

const versions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('core codecs', () => {
  it.each(versions(0, 3))('ApiVersions v%i', (v) => {
    const request =
      v >= 3
        ? { clientSoftwareName: 'eddy-test', clientSoftwareVersion: '1.0' }
        : { clientSoftwareName: null, clientSoftwareVersion: null };
    roundTrip(apiVersionsCodec, v, request, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: v >= 1 ? 5 : 0,
    });
  });

  it('ApiVersions v0 error body is what a v3 client reads first', () => {
    const writer = new KafkaWriter();
    apiVersionsCodec.encodeResponse(writer, 0, {
      errorCode: KafkaErrorCode.UNSUPPORTED_VERSION,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
    });
    expect(Buffer.from(writer.finish()).toString('hex')).toBe('0023' + '00000001' + '001200000003');
  });

  it.each(versions(0, 9))('Metadata v%i', (v) => {
    roundTrip(
      metadataCodec,
      v,
      {
        topics: v === 0 ? null : ['a', 'b'],
        allowAutoTopicCreation: v >= 4 ? false : true,
        includeClusterAuthorizedOperations: v >= 8,
        includeTopicAuthorizedOperations: v >= 8,
      },
      {
        throttleTimeMs: v >= 3 ? 1 : 0,
        brokers: [
          { nodeId: 0, host: 'h', port: 9092, rack: v >= 1 ? 'r' : null },
          { nodeId: 1, host: 'h1', port: 9093, rack: null },
        ],
        clusterId: v >= 2 ? 'c' : null,
        controllerId: v >= 1 ? 0 : -1,
        topics: [
          {
            errorCode: 0,
            name: 'a',
            isInternal: false,
            partitions: [
              {
                errorCode: 0,
                partitionIndex: 0,
                leaderId: 0,
                leaderEpoch: v >= 7 ? 3 : -1,
                replicaNodes: [0, 1],
                isrNodes: [0],
                offlineReplicas: v >= 5 ? [1] : [],
              },
              {
                errorCode: 5,
                partitionIndex: 1,
                leaderId: -1,
                leaderEpoch: -1,
                replicaNodes: [],
                isrNodes: [],
                offlineReplicas: [],
              },
            ],
            topicAuthorizedOperations: v >= 8 ? 0b11111000 : AUTHORIZED_OPERATIONS_OMITTED,
          },
          {
            errorCode: 3,
            name: 'b',
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          },
        ],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      },
    );
  });

  it('Metadata v9 is flexible: null topics, tags after every struct and the body, unknown tags skipped', () => {
    // topics null (0), allow_auto true, include_cluster false, include_topic false, body tags: one unknown tag.
    const request = metadataCodec.decodeRequest(
      new KafkaReader(new Uint8Array([0, 1, 0, 0, 1, 0x07, 0x02, 0xaa, 0xbb])),
      9,
    );
    expect(request).toEqual({
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    // ['t'] with a tagged field on the topic struct.
    const withTopic = metadataCodec.decodeRequest(
      new KafkaReader(new Uint8Array([2, 2, 0x74, 1, 0x05, 0x01, 0x00, 0, 0, 0, 0])),
      9,
    );
    expect(withTopic.topics).toEqual(['t']);
    // Omitted optional fields encode as their documented defaults.
    const writer = new KafkaWriter();
    metadataCodec.encodeResponse(writer, 9, {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: 0,
      topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [] }],
    });
    expect(Buffer.from(writer.finish()).toString('hex')).toBe(
      '00000000' +
        '01' +
        '00' +
        '00000000' +
        '02' +
        '0000' +
        '0274' +
        '00' +
        '01' +
        '80000000' +
        '00' +
        '80000000' +
        '00',
    );
  });

  it('Metadata topics: v0 [] and v1+ null mean all, v1+ [] means none', () => {
    expect(metadataCodec.decodeRequest(new KafkaReader(new Uint8Array([0, 0, 0, 0])), 0).topics).toBeNull();
    expect(metadataCodec.decodeRequest(new KafkaReader(new Uint8Array([0, 0, 0, 0])), 1).topics).toEqual([]);
    expect(metadataCodec.decodeRequest(new KafkaReader(new Uint8Array([255, 255, 255, 255])), 1).topics).toBeNull();
  });

  it.each(versions(3, 7))('Produce v%i', (v) => {
    roundTrip(
      produceCodec,
      v,
      {
        transactionalId: 'tx',
        acks: -1,
        timeoutMs: 30000,
        topics: [
          {
            name: 't',
            partitions: [
              { index: 0, records: new Uint8Array([1, 2]) },
              { index: 1, records: null },
            ],
          },
        ],
      },
      {
        throttleTimeMs: 0,
        topics: [
          {
            name: 't',
            partitions: [
              { index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: v >= 5 ? 0n : -1n },
            ],
          },
        ],
      },
    );
  });

  it.each(versions(4, 12))('Fetch v%i', (v) => {
    roundTrip(
      fetchCodec,
      v,
      {
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 52428800,
        isolationLevel: 1,
        sessionId: v >= 7 ? 3 : 0,
        sessionEpoch: v >= 7 ? 1 : -1,
        topics: [
          {
            topic: 't',
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: v >= 9 ? 2 : -1,
                fetchOffset: 10n,
                lastFetchedEpoch: v >= 12 ? 1 : -1,
                logStartOffset: v >= 5 ? 0n : -1n,
                partitionMaxBytes: 1048576,
              },
            ],
          },
        ],
        forgottenTopics: v >= 7 ? [{ topic: 'old', partitions: [1, 2] }] : [],
        rackId: v >= 11 ? 'rack' : '',
      },
      {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: v >= 7 ? 3 : 0,
        responses: [
          {
            topic: 't',
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                highWatermark: 20n,
                lastStableOffset: 15n,
                logStartOffset: v >= 5 ? 0n : -1n,
                abortedTransactions: [{ producerId: 4n, firstOffset: 12n }],
                preferredReadReplica: -1,
                records: new Uint8Array([9]),
              },
              {
                partitionIndex: 1,
                errorCode: 1,
                highWatermark: -1n,
                lastStableOffset: -1n,
                logStartOffset: -1n,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: null,
              },
            ],
          },
        ],
      },
    );
  });

  it('Fetch v12 skips tags it does not know (request cluster_id, partition diverging_epoch) and writes none', () => {
    const request = {
      replicaId: -1,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 't',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: 0,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1024,
            },
          ],
        },
      ],
      forgottenTopics: [],
      rackId: '',
    };
    const writer = new KafkaWriter();
    fetchCodec.encodeRequest(writer, 12, request);
    const plain = writer.finish();
    expect(plain.at(-1)).toBe(0);
    // cluster_id (tag 0) = compact string 'c'.
    const tagged = new Uint8Array([...plain.subarray(0, -1), 1, 0, 2, 2, 0x63]);
    const reader = new KafkaReader(tagged);
    expect(fetchCodec.decodeRequest(reader, 12)).toEqual(request);
    expect(reader.remaining).toBe(0);

    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 1n,
              lastStableOffset: 1n,
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: new Uint8Array([7]),
            },
          ],
        },
      ],
    };
    const out = new KafkaWriter();
    fetchCodec.encodeResponse(out, 12, response);
    const bytes = out.finish();
    // records (compact: length+1, byte), then the partition's, topic's and body's empty tag sections.
    expect(Buffer.from(bytes.subarray(-5)).toString('hex')).toBe('0207000000');
    // diverging_epoch (tag 0): epoch int32 + end_offset int64 + its own tags.
    const diverging = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0];
    const withTags = new Uint8Array([...bytes.subarray(0, -3), 1, 0, diverging.length, ...diverging, 0, 0]);
    const responseReader = new KafkaReader(withTags);
    expect(fetchCodec.decodeResponse(responseReader, 12)).toEqual(response);
    expect(responseReader.remaining).toBe(0);
  });

  it.each(versions(1, 5))('ListOffsets v%i', (v) => {
    roundTrip(
      listOffsetsCodec,
      v,
      {
        replicaId: -1,
        isolationLevel: v >= 2 ? 1 : 0,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, currentLeaderEpoch: v >= 4 ? 4 : -1, timestamp: -2n },
              { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: 1700000000000n },
            ],
          },
        ],
      },
      {
        throttleTimeMs: v >= 2 ? 7 : 0,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 0n, leaderEpoch: v >= 4 ? 4 : -1 },
              { partitionIndex: 1, errorCode: 0, timestamp: 1700000000001n, offset: 9n, leaderEpoch: -1 },
            ],
          },
        ],
      },
    );
  });

  it('advertise min 0 and refuse the versions they do not implement with UNSUPPORTED_VERSION', () => {
    const cases: [ApiCodec<unknown, unknown>, number[]][] = [
      [produceCodec as never, [0, 1, 2, 8]],
      [fetchCodec as never, [0, 3, 13]],
      [listOffsetsCodec as never, [0, 6]],
      [metadataCodec as never, [10]],
      [apiVersionsCodec as never, [4]],
    ];
    for (const [codec, unsupported] of cases) {
      expect(codec.minVersion).toBe(0);
      for (const v of unsupported) {
        try {
          codec.decodeRequest(new KafkaReader(new Uint8Array(64)), v);
          expect.unreachable();
        } catch (error) {
          expect((error as KafkaProtocolError).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
        }
      }
    }
  });
});
