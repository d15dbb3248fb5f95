import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaErrorCode, KafkaProtocolError } from '../errors.js';
import { KafkaReader } from '../reader.js';
import { KafkaWriter } from '../writer.js';
import { addOffsetsToTxnCodec } from './add-offsets-to-txn.js';
import { addPartitionsToTxnCodec } from './add-partitions-to-txn.js';
import { endTxnCodec } from './end-txn.js';
import { initProducerIdCodec } from './init-producer-id.js';
import { txnOffsetCommitCodec } from './txn-offset-commit.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

// biome-ignore lint/suspicious/noExplicitAny: the table mixes every transaction API's types.
type AnyCodec = ApiCodec<any, any>;

function decodeAll<T>(bytes: Uint8Array, read: (reader: KafkaReader) => T): T {
  const reader = new KafkaReader(bytes);
  const value = read(reader);
  expect(reader.remaining).toBe(0);
  return value;
}

function encoded(write: (writer: KafkaWriter) => void): string {
  const writer = new KafkaWriter();
  write(writer);
  return hex(writer.finish());
}

// Request bodies as kafkajs 2.2.4 encodes them (its v1 request encoders, the version it picks against our
// advertised ranges), captured once from `node_modules/kafkajs/src/protocol/requests/<api>/v1/request.js`.
const kafkajsRequests: [string, AnyCodec, number, string, unknown][] = [
  [
    'InitProducerId v1 transactional',
    initProducerIdCodec,
    1,
    '000574786e2d6100007530',
    { transactionalId: 'txn-a', transactionTimeoutMs: 30000, producerId: -1n, producerEpoch: -1 },
  ],
  [
    'InitProducerId v1 idempotent',
    initProducerIdCodec,
    1,
    'ffff00007530',
    { transactionalId: null, transactionTimeoutMs: 30000, producerId: -1n, producerEpoch: -1 },
  ],
  [
    'AddPartitionsToTxn v1',
    addPartitionsToTxnCodec,
    1,
    '000574786e2d61000000000000000700020000000100066f7264657273000000020000000000000002',
    { transactionalId: 'txn-a', producerId: 7n, producerEpoch: 2, topics: [{ name: 'orders', partitions: [0, 2] }] },
  ],
  [
    'AddOffsetsToTxn v1',
    addOffsetsToTxnCodec,
    1,
    '000574786e2d610000000000000007000200026731',
    { transactionalId: 'txn-a', producerId: 7n, producerEpoch: 2, groupId: 'g1' },
  ],
  [
    'EndTxn v1',
    endTxnCodec,
    1,
    '000574786e2d610000000000000007000201',
    { transactionalId: 'txn-a', producerId: 7n, producerEpoch: 2, committed: true },
  ],
  [
    'TxnOffsetCommit v1',
    txnOffsetCommitCodec,
    1,
    '000574786e2d6100026731000000000000000700020000000100066f72646572730000000100000001000000000000002affff',
    {
      transactionalId: 'txn-a',
      groupId: 'g1',
      producerId: 7n,
      producerEpoch: 2,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }],
        },
      ],
    },
  ],
];

describe('transaction API requests from kafkajs 2.2.4', () => {
  it.each(kafkajsRequests)('%s decodes and encodes back to the same bytes', (_name, codec, version, bytes, value) => {
    expect(decodeAll(fromHex(bytes), (reader) => codec.decodeRequest(reader, version))).toEqual(value);
    expect(encoded((writer) => codec.encodeRequest(writer, version, value))).toBe(bytes);
  });
});

// Requests of versions kafkajs does not send, written by hand from Kafka's grammar.
const otherRequests: [string, AnyCodec, number, string, unknown][] = [
  [
    'InitProducerId v2 (flexible, compact nullable string, tagged fields)',
    initProducerIdCodec,
    2,
    '06 74786e2d61 00007530 00',
    { transactionalId: 'txn-a', transactionTimeoutMs: 30000, producerId: -1n, producerEpoch: -1 },
  ],
  [
    'InitProducerId v4 with a producer id and epoch (KIP-360 bump)',
    initProducerIdCodec,
    4,
    '00 0000ea60 0000000000000009 0003 00',
    { transactionalId: null, transactionTimeoutMs: 60000, producerId: 9n, producerEpoch: 3 },
  ],
  [
    'InitProducerId v0',
    initProducerIdCodec,
    0,
    'ffff 000003e8',
    { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 },
  ],
  [
    'TxnOffsetCommit v2 (committed leader epoch)',
    txnOffsetCommitCodec,
    2,
    '0001 74 0001 67 0000000000000001 0000 00000001 0001 61 00000001 00000000 0000000000000005 00000003 0002 6d64',
    {
      transactionalId: 't',
      groupId: 'g',
      producerId: 1n,
      producerEpoch: 0,
      topics: [
        {
          name: 'a',
          partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 3, committedMetadata: 'md' }],
        },
      ],
    },
  ],
];

describe('transaction API requests of other versions', () => {
  it.each(otherRequests)('%s', (_name, codec, version, bytes, value) => {
    expect(decodeAll(fromHex(bytes), (reader) => codec.decodeRequest(reader, version))).toEqual(value);
    expect(encoded((writer) => codec.encodeRequest(writer, version, value))).toBe(fromHexText(bytes));
  });
});

function fromHexText(text: string): string {
  return text.replace(/\s+/g, '');
}

// Responses: what kafkajs' v1 response decoders and librdkafka read.
const responses: [string, AnyCodec, number, string, unknown][] = [
  [
    'InitProducerId v1',
    initProducerIdCodec,
    1,
    '00000000 0000 0000000000000007 0002',
    { throttleTimeMs: 0, errorCode: 0, producerId: 7n, producerEpoch: 2 },
  ],
  [
    'InitProducerId v4 (flexible)',
    initProducerIdCodec,
    4,
    '00000000 005a ffffffffffffffff ffff 00',
    { throttleTimeMs: 0, errorCode: KafkaErrorCode.PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 },
  ],
  [
    'AddPartitionsToTxn v1',
    addPartitionsToTxnCodec,
    1,
    '00000000 00000001 0006 6f7264657273 00000002 00000000 0000 00000002 0033',
    {
      throttleTimeMs: 0,
      results: [
        {
          name: 'orders',
          results: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 2, errorCode: KafkaErrorCode.CONCURRENT_TRANSACTIONS },
          ],
        },
      ],
    },
  ],
  ['AddOffsetsToTxn v1', addOffsetsToTxnCodec, 1, '00000000 0000', { throttleTimeMs: 0, errorCode: 0 }],
  [
    'EndTxn v0',
    endTxnCodec,
    0,
    '00000000 002f',
    { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH },
  ],
  [
    'TxnOffsetCommit v1',
    txnOffsetCommitCodec,
    1,
    '00000000 00000001 0006 6f7264657273 00000001 00000001 0000',
    { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] },
  ],
];

describe('transaction API responses', () => {
  it.each(responses)('%s encodes and decodes', (_name, codec, version, bytes, value) => {
    expect(encoded((writer) => codec.encodeResponse(writer, version, value))).toBe(fromHexText(bytes));
    expect(decodeAll(fromHex(bytes), (reader) => codec.decodeResponse(reader, version))).toEqual(value);
  });
});

describe('transaction API version ranges', () => {
  it.each([
    [initProducerIdCodec, 22, 4, 2],
    [addPartitionsToTxnCodec, 24, 3, 3],
    [addOffsetsToTxnCodec, 25, 3, 3],
    [endTxnCodec, 26, 3, 3],
    [txnOffsetCommitCodec, 28, 3, 3],
  ] as [AnyCodec, number, number, number][])('%o advertises 0…max', (codec, apiKey, maxVersion, flexibleVersion) => {
    expect(codec.apiKey).toBe(apiKey);
    expect(codec.minVersion).toBe(0);
    expect(codec.maxVersion).toBe(maxVersion);
    expect(codec.flexibleVersion).toBe(flexibleVersion);
    let error: unknown;
    try {
      codec.decodeRequest(new KafkaReader(new Uint8Array(0)), maxVersion + 1);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect((error as KafkaProtocolError).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
  });

  it('rejects a truncated request as malformed', () => {
    const reader = new KafkaReader(fromHex('000574786e2d61000000'));
    expect(() => endTxnCodec.decodeRequest(reader, 1)).toThrow(KafkaProtocolError);
  });
});
