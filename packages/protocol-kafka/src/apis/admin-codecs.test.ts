import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaErrorCode, KafkaProtocolError } from '../errors.js';
import { decodeRequestHeader, encodeRequestHeader } from '../header.js';
import { KafkaReader } from '../reader.js';
import { KafkaWriter } from '../writer.js';
import { alterConfigsCodec } from './alter-configs.js';
import { createPartitionsCodec } from './create-partitions.js';
import { createTopicsCodec } from './create-topics.js';
import { deleteRecordsCodec } from './delete-records.js';
import { deleteTopicsCodec } from './delete-topics.js';
import { describeClusterCodec } from './describe-cluster.js';
import { ConfigSource, describeConfigsCodec } from './describe-configs.js';
import { offsetForLeaderEpochCodec } from './offset-for-leader-epoch.js';

// biome-ignore lint/suspicious/noExplicitAny: the tables mix every admin API's types.
type AnyCodec = ApiCodec<any, any>;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fixture = (name: string) =>
  new Uint8Array(
    Buffer.from(readFileSync(new URL(`../__fixtures__/${name}.hex`, import.meta.url), 'utf8').trim(), 'hex'),
  );

function encode(write: (writer: KafkaWriter) => void): Uint8Array {
  const writer = new KafkaWriter();
  write(writer);
  return writer.finish();
}

function decodeAll<T>(bytes: Uint8Array, read: (reader: KafkaReader) => T): T {
  const reader = new KafkaReader(bytes);
  const value = read(reader);
  expect(reader.remaining).toBe(0);
  return value;
}

// Whole request frames (header v1 + body) from kafkajs 2.2.4's admin client, client id "cap", captured once
// with a throw-away node:net listener that answered ApiVersions (these ranges), Metadata v6 (topic t1, two
// partitions on node 0) and ListOffsets v3, while running admin.createTopics({validateOnly: true, …}),
// deleteTopics, createPartitions, describeConfigs, alterConfigs and deleteTopicRecords.
const kafkajsFrames: [string, AnyCodec, number, unknown][] = [
  [
    'create-topics-v3-kafkajs',
    createTopicsCodec,
    3,
    {
      topics: [
        {
          name: 't1',
          numPartitions: 2,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'retention.ms', value: '3600000' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    },
  ],
  ['delete-topics-v1-kafkajs', deleteTopicsCodec, 1, { topicNames: ['t1', 't2'], timeoutMs: 5000 }],
  [
    'create-partitions-v1-kafkajs',
    createPartitionsCodec,
    1,
    { topics: [{ name: 't1', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false },
  ],
  [
    'describe-configs-v2-kafkajs',
    describeConfigsCodec,
    2,
    {
      resources: [
        { resourceType: 2, resourceName: 't1', configurationKeys: ['retention.ms'] },
        { resourceType: 4, resourceName: '0', configurationKeys: null },
      ],
      includeSynonyms: true,
    },
  ],
  [
    'alter-configs-v1-kafkajs',
    alterConfigsCodec,
    1,
    {
      resources: [{ resourceType: 2, resourceName: 't1', configs: [{ name: 'retention.ms', value: '7200000' }] }],
      validateOnly: false,
    },
  ],
  [
    'delete-records-v1-kafkajs',
    deleteRecordsCodec,
    1,
    {
      topics: [
        {
          name: 't1',
          partitions: [
            { partitionIndex: 0, offset: 5n },
            { partitionIndex: 1, offset: -1n },
          ],
        },
      ],
      timeoutMs: 5000,
    },
  ],
];

describe('admin request frames captured from kafkajs 2.2.4', () => {
  it.each(kafkajsFrames)('%s decodes and re-encodes byte for byte', (name, codec, version, expected) => {
    const frame = fixture(name);
    const reader = new KafkaReader(frame);
    const header = decodeRequestHeader(reader, () => false);
    expect(header).toMatchObject({ apiKey: codec.apiKey, apiVersion: version, clientId: 'cap' });
    const request = codec.decodeRequest(reader, version);
    expect(reader.remaining).toBe(0);
    expect(request).toEqual(expected);
    const again = encode((writer) => {
      encodeRequestHeader(writer, header, false);
      codec.encodeRequest(writer, version, request);
    });
    expect(hex(again)).toBe(hex(frame));
  });
});

// Hand-assembled response bodies, field by field from Kafka's message schemas (the grammar comments in each
// codec): they pin the version differences (throttle, error_message, is_default vs config_source, synonyms).
const responseGoldens: [string, AnyCodec, number, string, unknown][] = [
  [
    'CreateTopics v0',
    createTopicsCodec,
    0,
    '00000001' + '00027431' + '0024',
    { throttleTimeMs: 0, topics: [{ name: 't1', errorCode: 36, errorMessage: null }] },
  ],
  [
    'CreateTopics v1',
    createTopicsCodec,
    1,
    '00000001' + '00027431' + '0028' + '000362616e',
    { throttleTimeMs: 0, topics: [{ name: 't1', errorCode: 40, errorMessage: 'ban' }] },
  ],
  [
    'CreateTopics v4',
    createTopicsCodec,
    4,
    '00000007' + '00000001' + '00027431' + '0000' + 'ffff',
    { throttleTimeMs: 7, topics: [{ name: 't1', errorCode: 0, errorMessage: null }] },
  ],
  [
    'DeleteTopics v0',
    deleteTopicsCodec,
    0,
    '00000001' + '00027431' + '0003',
    { throttleTimeMs: 0, responses: [{ name: 't1', errorCode: 3 }] },
  ],
  [
    'DeleteTopics v3',
    deleteTopicsCodec,
    3,
    '00000000' + '00000001' + '00027431' + '0000',
    { throttleTimeMs: 0, responses: [{ name: 't1', errorCode: 0 }] },
  ],
  [
    'CreatePartitions v0',
    createPartitionsCodec,
    0,
    '00000000' + '00000001' + '00027431' + '0025' + '000178',
    { throttleTimeMs: 0, results: [{ name: 't1', errorCode: 37, errorMessage: 'x' }] },
  ],
  [
    'DescribeConfigs v0',
    describeConfigsCodec,
    0,
    '00000000' +
      '00000001' +
      '0000' +
      'ffff' +
      '02' +
      '00027431' +
      '00000001' +
      '0001' +
      '61' +
      '000131' +
      '00' +
      '01' +
      '00',
    {
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 't1',
          configs: [
            {
              name: 'a',
              value: '1',
              readOnly: false,
              isDefault: true,
              configSource: -1,
              isSensitive: false,
              synonyms: [],
            },
          ],
        },
      ],
    },
  ],
  [
    'DescribeConfigs v1 with a synonym',
    describeConfigsCodec,
    1,
    '00000000' +
      '00000001' +
      '0000' +
      'ffff' +
      '04' +
      '000130' +
      '00000001' +
      '0001' +
      '61' +
      'ffff' +
      '01' +
      '05' +
      '00' +
      '00000001' +
      '0001' +
      '62' +
      '000132' +
      '04',
    {
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 4,
          resourceName: '0',
          configs: [
            {
              name: 'a',
              value: null,
              readOnly: true,
              isDefault: true,
              configSource: ConfigSource.DEFAULT_CONFIG,
              isSensitive: false,
              synonyms: [{ name: 'b', value: '2', source: ConfigSource.STATIC_BROKER_CONFIG }],
            },
          ],
        },
      ],
    },
  ],
  [
    'AlterConfigs v0',
    alterConfigsCodec,
    0,
    '00000000' + '00000001' + '0028' + '000162' + '02' + '00027431',
    { throttleTimeMs: 0, responses: [{ errorCode: 40, errorMessage: 'b', resourceType: 2, resourceName: 't1' }] },
  ],
  [
    'DeleteRecords v0',
    deleteRecordsCodec,
    0,
    '00000000' + '00000001' + '00027431' + '00000001' + '00000000' + '0000000000000005' + '0000',
    {
      throttleTimeMs: 0,
      topics: [{ name: 't1', partitions: [{ partitionIndex: 0, lowWatermark: 5n, errorCode: 0 }] }],
    },
  ],
  [
    'DescribeCluster v0 (flexible)',
    describeClusterCodec,
    0,
    '00000000' +
      '0000' +
      '00' +
      '03' +
      '6964' +
      '00000000' +
      '02' +
      '00000000' +
      '0a' +
      '3132372e302e302e31' +
      '00002384' +
      '00' +
      '00' +
      '80000000' +
      '00',
    {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      clusterId: 'id',
      controllerId: 0,
      brokers: [{ brokerId: 0, host: '127.0.0.1', port: 9092, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    },
  ],
  [
    'OffsetForLeaderEpoch v0',
    offsetForLeaderEpochCodec,
    0,
    '00000001' + '00027431' + '00000001' + '0000' + '00000000' + '000000000000000a',
    {
      throttleTimeMs: 0,
      topics: [{ topic: 't1', partitions: [{ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: 10n }] }],
    },
  ],
  [
    'OffsetForLeaderEpoch v3',
    offsetForLeaderEpochCodec,
    3,
    '00000000' + '00000001' + '00027431' + '00000001' + '0003' + '00000001' + 'ffffffff' + 'ffffffffffffffff',
    {
      throttleTimeMs: 0,
      topics: [{ topic: 't1', partitions: [{ errorCode: 3, partition: 1, leaderEpoch: -1, endOffset: -1n }] }],
    },
  ],
];

describe('admin response bodies', () => {
  it.each(responseGoldens)('%s', (_name, codec, version, bytes, value) => {
    expect(hex(encode((writer) => codec.encodeResponse(writer, version, value)))).toBe(bytes);
    expect(decodeAll(Buffer.from(bytes, 'hex'), (reader) => codec.decodeResponse(reader, version))).toEqual(value);
  });
});

const requestGoldens: [string, AnyCodec, number, string, unknown][] = [
  [
    'CreateTopics v0 (no validate_only)',
    createTopicsCodec,
    0,
    '00000001' +
      '00027431' +
      'ffffffff' +
      'ffff' +
      '00000001' +
      '00000000' +
      '00000001' +
      '00000000' +
      '00000000' +
      '00007530',
    {
      topics: [
        {
          name: 't1',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [0] }],
          configs: [],
        },
      ],
      timeoutMs: 30000,
      validateOnly: false,
    },
  ],
  [
    'DescribeConfigs v0 (no include_synonyms)',
    describeConfigsCodec,
    0,
    '00000001' + '02' + '00027431' + 'ffffffff',
    { resources: [{ resourceType: 2, resourceName: 't1', configurationKeys: null }], includeSynonyms: false },
  ],
  ['DescribeCluster v0', describeClusterCodec, 0, '0100', { includeClusterAuthorizedOperations: true }],
  [
    'OffsetForLeaderEpoch v2 (current_leader_epoch, no replica_id)',
    offsetForLeaderEpochCodec,
    2,
    '00000001' + '00027431' + '00000001' + '00000000' + '00000000' + '00000000',
    { replicaId: -2, topics: [{ topic: 't1', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }] },
  ],
  [
    'OffsetForLeaderEpoch v3 (replica_id)',
    offsetForLeaderEpochCodec,
    3,
    'ffffffff' + '00000001' + '00027431' + '00000001' + '00000000' + 'ffffffff' + '00000000',
    {
      replicaId: -1,
      topics: [{ topic: 't1', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    },
  ],
  [
    'OffsetForLeaderEpoch v0',
    offsetForLeaderEpochCodec,
    0,
    '00000001' + '00027431' + '00000001' + '00000002' + '00000000',
    {
      replicaId: -2,
      topics: [{ topic: 't1', partitions: [{ partition: 2, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    },
  ],
];

describe('admin request bodies', () => {
  it.each(requestGoldens)('%s', (_name, codec, version, bytes, value) => {
    expect(hex(encode((writer) => codec.encodeRequest(writer, version, value)))).toBe(bytes);
    expect(decodeAll(Buffer.from(bytes, 'hex'), (reader) => codec.decodeRequest(reader, version))).toEqual(value);
  });

  it('DescribeCluster skips unknown tagged fields', () => {
    // include_cluster_authorized_operations=false, then one tagged field (tag 5, 2 bytes).
    const request = decodeAll(Buffer.from('00010502abcd', 'hex'), (reader) =>
      describeClusterCodec.decodeRequest(reader, 0),
    );
    expect(request).toEqual({ includeClusterAuthorizedOperations: false });
  });
});

describe('version ranges', () => {
  const codecs: [AnyCodec, number, number][] = [
    [createTopicsCodec, 4, Number.POSITIVE_INFINITY],
    [deleteTopicsCodec, 3, Number.POSITIVE_INFINITY],
    [createPartitionsCodec, 1, Number.POSITIVE_INFINITY],
    [describeConfigsCodec, 2, Number.POSITIVE_INFINITY],
    [alterConfigsCodec, 1, Number.POSITIVE_INFINITY],
    [deleteRecordsCodec, 1, Number.POSITIVE_INFINITY],
    [describeClusterCodec, 0, 0],
    [offsetForLeaderEpochCodec, 3, Number.POSITIVE_INFINITY],
  ];

  it.each(codecs)('%o advertises 0 to its max and refuses the next version', (codec, max, flexible) => {
    expect(codec.minVersion).toBe(0);
    expect(codec.maxVersion).toBe(max);
    expect(codec.flexibleVersion).toBe(flexible);
    const error = (() => {
      try {
        codec.decodeRequest(new KafkaReader(new Uint8Array(64)), max + 1);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(KafkaProtocolError.isKafka(error, KafkaErrorCode.UNSUPPORTED_VERSION)).toBe(true);
  });

  it('a truncated request is a protocol error, not an allocation', () => {
    // A topics count of 2^31-1 with nothing behind it.
    expect(() => createTopicsCodec.decodeRequest(new KafkaReader(Buffer.from('7fffffff', 'hex')), 3)).toThrow(
      KafkaProtocolError,
    );
  });
});
