import { describe, expect, it } from 'vitest';
import type { ApiCodec } from '../api.js';
import { KafkaErrorCode, KafkaProtocolError } from '../errors.js';
import { KafkaReader } from '../reader.js';
import { KafkaWriter } from '../writer.js';
import { addOffsetsToTxnCodec } from './add-offsets-to-txn.js';
import { addPartitionsToTxnCodec } from './add-partitions-to-txn.js';
import { endTxnCodec } from './end-txn.js';
import { txnOffsetCommitCodec } from './txn-offset-commit.js';

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
const platformatic = await import('@platformatic/kafka');

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// biome-ignore lint/suspicious/noExplicitAny: the tables mix every transaction API's types.
type AnyCodec = ApiCodec<any, any>;

function decodeAll<T>(bytes: Uint8Array, read: (reader: KafkaReader) => T): T {
  const reader = new KafkaReader(bytes);
  const value = read(reader);
  expect(reader.remaining).toBe(0);
  return value;
}

function encoded(write: (writer: KafkaWriter) => void): Uint8Array {
  const writer = new KafkaWriter();
  write(writer);
  return writer.finish();
}

function roundTripRequest(codec: AnyCodec, version: number, request: unknown): Uint8Array {
  const bytes = encoded((w) => codec.encodeRequest(w, version, request));
  expect(decodeAll(bytes, (r) => codec.decodeRequest(r, version))).toEqual(request);
  return bytes;
}

function roundTripResponse(codec: AnyCodec, version: number, response: unknown): Uint8Array {
  const bytes = encoded((w) => codec.encodeResponse(w, version, response));
  expect(decodeAll(bytes, (r) => codec.decodeResponse(r, version))).toEqual(response);
  return bytes;
}

const partitionsRequest = {
  transactionalId: 'txn-a',
  producerId: 7n,
  producerEpoch: 2,
  topics: [
    { name: 'orders', partitions: [0, 2] },
    { name: 'audit', partitions: [] },
  ],
};
const partitionsResponse = {
  throttleTimeMs: 5,
  results: [
    {
      name: 'orders',
      results: [
        { partitionIndex: 0, errorCode: 0 },
        { partitionIndex: 2, errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH },
      ],
    },
  ],
};
const offsetsRequest = { transactionalId: 'txn-a', producerId: 7n, producerEpoch: 2, groupId: 'g1' };
const endRequest = { transactionalId: 'txn-a', producerId: 7n, producerEpoch: 2, committed: false };
const errorResponse = { throttleTimeMs: 0, errorCode: KafkaErrorCode.CONCURRENT_TRANSACTIONS };
const txnCommitRequestV3 = {
  transactionalId: 'txn-a',
  groupId: 'g1',
  producerId: 7n,
  producerEpoch: 2,
  generationId: 4,
  memberId: 'member-1',
  groupInstanceId: null,
  topics: [
    {
      name: 'orders',
      partitions: [
        { partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null },
        { partitionIndex: 3, committedOffset: 9007199254740993n, committedLeaderEpoch: 6, committedMetadata: 'm' },
      ],
    },
  ],
};
const txnCommitResponse = {
  throttleTimeMs: 0,
  topics: [
    {
      name: 'orders',
      partitions: [
        { partitionIndex: 1, errorCode: 0 },
        { partitionIndex: 3, errorCode: KafkaErrorCode.UNKNOWN_MEMBER_ID },
      ],
    },
  ],
};

describe('transaction APIs, every version round-trips', () => {
  it.each([0, 1, 2, 3])('AddPartitionsToTxn v%i', (version) => {
    roundTripRequest(addPartitionsToTxnCodec, version, partitionsRequest);
    roundTripResponse(addPartitionsToTxnCodec, version, partitionsResponse);
  });

  it.each([0, 1, 2, 3])('AddOffsetsToTxn v%i', (version) => {
    roundTripRequest(addOffsetsToTxnCodec, version, offsetsRequest);
    roundTripResponse(addOffsetsToTxnCodec, version, errorResponse);
  });

  it.each([0, 1, 2, 3])('EndTxn v%i', (version) => {
    roundTripRequest(endTxnCodec, version, endRequest);
    roundTripRequest(endTxnCodec, version, { ...endRequest, committed: true });
    roundTripResponse(endTxnCodec, version, errorResponse);
  });

  it.each([0, 1, 2])('TxnOffsetCommit v%i has no membership fields', (version) => {
    const { generationId: _g, memberId: _m, groupInstanceId: _i, ...request } = txnCommitRequestV3;
    const withEpoch = {
      ...request,
      topics: request.topics.map((t) => ({
        ...t,
        partitions: t.partitions.map((p) => ({
          ...p,
          committedLeaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1,
        })),
      })),
    };
    const bytes = roundTripRequest(txnOffsetCommitCodec, version, withEpoch);
    // Membership given to an old version is not written.
    expect(hex(encoded((w) => txnOffsetCommitCodec.encodeRequest(w, version, { ...withEpoch, generationId: 3 })))).toBe(
      hex(bytes),
    );
    roundTripResponse(txnOffsetCommitCodec, version, txnCommitResponse);
  });

  it('TxnOffsetCommit v3 carries generation, member and static instance id', () => {
    roundTripRequest(txnOffsetCommitCodec, 3, txnCommitRequestV3);
    roundTripRequest(txnOffsetCommitCodec, 3, { ...txnCommitRequestV3, groupInstanceId: 'static-1' });
    roundTripResponse(txnOffsetCommitCodec, 3, txnCommitResponse);
  });

  it('TxnOffsetCommit v3 encodes absent membership as Kafka defaults (-1, "", null)', () => {
    const { generationId: _g, memberId: _m, groupInstanceId: _i, ...request } = txnCommitRequestV3;
    const bytes = encoded((w) => txnOffsetCommitCodec.encodeRequest(w, 3, request));
    expect(decodeAll(bytes, (r) => txnOffsetCommitCodec.decodeRequest(r, 3))).toEqual({
      ...request,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
    });
  });
});

describe('flexible v3 wire format', () => {
  it('EndTxn v3 request and response bytes', () => {
    // compact string "txn-a" (len+1 = 6), int64 7, int16 2, bool 1, empty tagged fields.
    expect(hex(encoded((w) => endTxnCodec.encodeRequest(w, 3, { ...endRequest, committed: true })))).toBe(
      '0674786e2d61000000000000000700020100',
    );
    expect(hex(encoded((w) => endTxnCodec.encodeResponse(w, 3, { throttleTimeMs: 0, errorCode: 0 })))).toBe(
      '00000000000000',
    );
  });

  it('skips unknown tagged fields in a v3 request', () => {
    // AddOffsetsToTxn v3 with one tagged field (tag 5, 2 bytes) at the end of the body.
    const bytes = Buffer.from('0674786e2d610000000000000007000203673101050261a2', 'hex');
    expect(decodeAll(new Uint8Array(bytes), (r) => addOffsetsToTxnCodec.decodeRequest(r, 3))).toEqual(offsetsRequest);
  });

  it('rejects a truncated v3 request as malformed', () => {
    const bytes = encoded((w) => txnOffsetCommitCodec.encodeRequest(w, 3, txnCommitRequestV3));
    const reader = new KafkaReader(bytes.subarray(0, bytes.length - 3));
    let error: unknown;
    try {
      txnOffsetCommitCodec.decodeRequest(reader, 3);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KafkaProtocolError);
  });
});

describe('@platformatic/kafka 1.35 v3 encoders and parsers agree with the codecs', () => {
  const requestBytes = (writer: { buffer: Buffer }) => new Uint8Array(writer.buffer);
  const parse = <T>(
    parseResponse: (c: number, k: number, v: number, r: InstanceType<typeof platformatic.Reader>) => T,
    apiKey: number,
    bytes: Uint8Array,
  ): T => parseResponse(1, apiKey, 3, platformatic.Reader.from(Buffer.from(bytes)));

  it('AddPartitionsToTxn v3', () => {
    const bytes = requestBytes(
      platformatic.addPartitionsToTxnV3.createRequest([
        {
          transactionalId: 'txn-a',
          producerId: 7n,
          producerEpoch: 2,
          verifyOnly: false,
          topics: partitionsRequest.topics,
        },
      ]),
    );
    const request = decodeAll(bytes, (r) => addPartitionsToTxnCodec.decodeRequest(r, 3));
    expect(request).toEqual(partitionsRequest);
    expect(hex(encoded((w) => addPartitionsToTxnCodec.encodeRequest(w, 3, request)))).toBe(hex(bytes));

    const ok = { throttleTimeMs: 0, results: [{ name: 'orders', results: [{ partitionIndex: 0, errorCode: 0 }] }] };
    const parsed = parse(
      platformatic.addPartitionsToTxnV3.parseResponse,
      24,
      encoded((w) => addPartitionsToTxnCodec.encodeResponse(w, 3, ok)),
    );
    expect(parsed.resultsByTransaction[0]?.topicResults).toEqual([
      { name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }] },
    ]);
  });

  it('AddOffsetsToTxn v3', () => {
    const bytes = requestBytes(platformatic.addOffsetsToTxnV3.createRequest('txn-a', 7n, 2, 'g1'));
    const request = decodeAll(bytes, (r) => addOffsetsToTxnCodec.decodeRequest(r, 3));
    expect(request).toEqual(offsetsRequest);
    expect(hex(encoded((w) => addOffsetsToTxnCodec.encodeRequest(w, 3, request)))).toBe(hex(bytes));
    const parsed = parse(
      platformatic.addOffsetsToTxnV3.parseResponse,
      25,
      encoded((w) => addOffsetsToTxnCodec.encodeResponse(w, 3, { throttleTimeMs: 3, errorCode: 0 })),
    );
    expect(parsed).toEqual({ throttleTimeMs: 3, errorCode: 0 });
  });

  it('EndTxn v3', () => {
    const bytes = requestBytes(platformatic.endTxnV3.createRequest('txn-a', 7n, 2, false));
    const request = decodeAll(bytes, (r) => endTxnCodec.decodeRequest(r, 3));
    expect(request).toEqual(endRequest);
    expect(hex(encoded((w) => endTxnCodec.encodeRequest(w, 3, request)))).toBe(hex(bytes));
    const parsed = parse(
      platformatic.endTxnV3.parseResponse,
      26,
      encoded((w) => endTxnCodec.encodeResponse(w, 3, { throttleTimeMs: 1, errorCode: 0 })),
    );
    expect(parsed).toEqual({ throttleTimeMs: 1, errorCode: 0 });
  });

  it('TxnOffsetCommit v3', () => {
    const bytes = requestBytes(
      platformatic.txnOffsetCommitV3.createRequest(
        'txn-a',
        'g1',
        7n,
        2,
        4,
        'member-1',
        null,
        txnCommitRequestV3.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p })) })),
      ),
    );
    const request = decodeAll(bytes, (r) => txnOffsetCommitCodec.decodeRequest(r, 3));
    expect(request).toEqual(txnCommitRequestV3);
    expect(hex(encoded((w) => txnOffsetCommitCodec.encodeRequest(w, 3, request)))).toBe(hex(bytes));
    const ok = { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] };
    const parsed = parse(
      platformatic.txnOffsetCommitV3.parseResponse,
      28,
      encoded((w) => txnOffsetCommitCodec.encodeResponse(w, 3, ok)),
    );
    expect(parsed).toEqual(ok);
  });
});

describe('transaction API version ranges after the flexible versions', () => {
  it.each([
    [addPartitionsToTxnCodec, 24],
    [addOffsetsToTxnCodec, 25],
    [endTxnCodec, 26],
    [txnOffsetCommitCodec, 28],
  ] as [AnyCodec, number][])('%o advertises 0–3, flexible from 3, rejects 4', (codec, apiKey) => {
    expect(codec.apiKey).toBe(apiKey);
    expect(codec.minVersion).toBe(0);
    expect(codec.maxVersion).toBe(3);
    expect(codec.flexibleVersion).toBe(3);
    let error: unknown;
    try {
      codec.decodeRequest(new KafkaReader(new Uint8Array(0)), 4);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect((error as KafkaProtocolError).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION);
  });
});
