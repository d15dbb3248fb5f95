import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { crc32c } from '@eddy/message';
import fc from 'fast-check';
import { compressFrameSync } from 'lz4-napi';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import type { CompressionType } from './compression.js';
import { KafkaErrorCode, KafkaProtocolError } from './errors.js';
import { KafkaReader } from './reader.js';
import {
  assembleRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecords,
  type KafkaRecordInit,
  type RecordBatchInit,
  recordBatchSpans,
} from './record-batch.js';
import { type RecordBatchScan, scanRecordBatch } from './record-batch-scan.js';

const TAG = 'rocketmq.tag';
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8');
const fixture = (name: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8').trim(), 'hex'));

function outcome(run: () => unknown): number | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (!(error instanceof KafkaProtocolError)) throw error;
    return error.errorCode;
  }
}

function strictText(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** What a scan must say, worked out from the full decoder (and the tag rule of the gateway's mapping). */
function expectedScan(bytes: Uint8Array, tagHeader: string | undefined = TAG): RecordBatchScan {
  const [batch] = decodeRecordBatches(bytes);
  if (batch === undefined) throw new Error('no batch');
  const keys = batch.records.map((r) => (r.key === null ? undefined : strictText(r.key)));
  const tags = batch.records.map((r) => {
    const first = r.headers.find((h) => h.value !== null && lenient.decode(utf8(h.key)) === tagHeader);
    return first === undefined || tagHeader === undefined ? undefined : strictText(first.value as Uint8Array);
  });
  const count = batch.records.length;
  return {
    lastOffsetDelta: batch.lastOffsetDelta,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    compression: batch.compression,
    count,
    consecutiveOffsets: batch.lastOffsetDelta === count - 1 && batch.records.every((r, i) => r.offsetDelta === i),
    keys: keys.some((k) => k !== undefined) ? keys : undefined,
    binaryKeys: batch.records.some((r) => r.key !== null && strictText(r.key) === undefined),
    tags: tags.some((t) => t !== undefined) ? tags : undefined,
    // Computed the long way, over every byte: the scan derives it from the batch's own CRC.
    checksum: crc32c(bytes),
  };
}

const sample: RecordBatchInit = {
  baseTimestamp: 1_700_000_000_000n,
  producerId: 7n,
  producerEpoch: 1,
  baseSequence: 10,
  isTransactional: true,
  records: [
    { key: utf8('k1'), value: utf8('v1'), headers: [{ key: TAG, value: utf8('TagA') }] },
    { timestampDelta: 5n, key: null, value: null, headers: [{ key: 'n', value: null }] },
    { timestampDelta: -2n, key: new Uint8Array([0xff, 0xfe]), value: new Uint8Array(1000).fill(65) },
    {
      key: utf8('k4'),
      headers: [
        { key: TAG, value: null },
        { key: 'x', value: utf8('y') },
        { key: TAG, value: utf8('second') },
        { key: TAG, value: utf8('third') },
      ],
    },
    {
      headers: [
        { key: TAG, value: new Uint8Array([0xc3]) },
        { key: TAG, value: utf8('ignored') },
      ],
    },
    { headers: [{ key: `\ufeff${TAG}`, value: utf8('\ufeffbom') }] },
  ],
};

describe('scanRecordBatch', () => {
  it('reads the header and each record’s key and tag as the full decoder would', () => {
    const bytes = encodeRecordBatch(sample);
    const scan = scanRecordBatch(bytes, { tagHeader: TAG });
    expect(scan).toEqual(expectedScan(bytes));
    expect(scan).toMatchObject({
      count: 6,
      lastOffsetDelta: 5,
      producerId: 7n,
      producerEpoch: 1,
      baseSequence: 10,
      isTransactional: true,
      isControl: false,
      maxTimestamp: 1_700_000_000_005n,
      compression: 'none',
      consecutiveOffsets: true,
      binaryKeys: true,
      keys: ['k1', undefined, undefined, 'k4', undefined, undefined],
      tags: ['TagA', undefined, undefined, 'second', undefined, '\ufeffbom'],
    });
  });

  it('leaves keys and tags out when no record has one, and tags when no tag header is named', () => {
    const plain = encodeRecordBatch({ records: [{ value: utf8('a') }, { value: utf8('b') }] });
    expect(scanRecordBatch(plain, { tagHeader: TAG })).toMatchObject({ keys: undefined, tags: undefined, count: 2 });
    const tagged = encodeRecordBatch({ records: [{ headers: [{ key: TAG, value: utf8('t') }] }] });
    expect(scanRecordBatch(tagged).tags).toBeUndefined();
    expect(scanRecordBatch(tagged, { tagHeader: TAG }).tags).toEqual(['t']);
  });

  it('tells whether offsetDeltas are exactly 0 … count-1', () => {
    const records: KafkaRecordInit[] = [{ value: utf8('a') }, { value: utf8('b') }, { value: utf8('c') }];
    expect(scanRecordBatch(encodeRecordBatch({ records })).consecutiveOffsets).toBe(true);
    const gap = records.map((r, i) => ({ ...r, offsetDelta: i * 2 }));
    expect(scanRecordBatch(encodeRecordBatch({ records: gap })).consecutiveOffsets).toBe(false);
    const swapped = records.map((r, i) => ({ ...r, offsetDelta: [1, 0, 2][i] as number }));
    expect(scanRecordBatch(encodeRecordBatch({ records: swapped })).consecutiveOffsets).toBe(false);
    expect(scanRecordBatch(encodeRecordBatch({ records, lastOffsetDelta: 5 })).consecutiveOffsets).toBe(false);
  });

  it('reads batches compressed by the libraries (gzip, snappy raw and xerial, lz4 frame)', () => {
    const records = encodeRecords(sample.records);
    const header = { ...sample, lastOffsetDelta: 5, maxTimestamp: 5n };
    const xerial = Buffer.concat([
      Buffer.from('82534e41505059000000000100000001', 'hex'),
      ...[records.subarray(0, 500), records.subarray(500)].map((part) => {
        const block = compressSync(part);
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length);
        return Buffer.concat([length, block]);
      }),
    ]);
    const cases: [CompressionType, Uint8Array][] = [
      ['gzip', gzipSync(records)],
      ['snappy', compressSync(records)],
      ['snappy', xerial],
      ['lz4', compressFrameSync(Buffer.from(records))],
    ];
    for (const [codec, compressed] of cases) {
      const bytes = assembleRecordBatch(header, 6, compressed, codec);
      const scan = scanRecordBatch(bytes, { tagHeader: TAG });
      expect(scan.compression).toBe(codec);
      expect(scan).toEqual(expectedScan(bytes));
      expect(scan.tags).toEqual(['TagA', undefined, undefined, 'second', undefined, '\ufeffbom']);
    }
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'reads the %s batch librdkafka (kcat) produced',
    (codec) => {
      const reader = new KafkaReader(fixture(`produce-v7-kcat-${codec}.hex`));
      reader.skip(8);
      reader.nullableString();
      reader.nullableString();
      reader.skip(6);
      const [topic] = reader.array((r) => ({
        name: r.string(),
        partitions: r.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
      }));
      const records = topic?.partitions[0]?.records as Uint8Array;
      const scan = scanRecordBatch(records, { tagHeader: TAG });
      expect(scan).toEqual(expectedScan(records));
      expect(scan).toMatchObject({ compression: codec, count: 2, keys: ['k1', 'k2'], consecutiveOffsets: true });
    },
  );

  it('agrees with the full decoder on random batches', () => {
    const bytesArb = fc.option(fc.uint8Array({ maxLength: 12 }), { nil: null });
    const textArb = fc.option(fc.oneof(fc.string({ maxLength: 6 }).map(utf8), fc.uint8Array({ maxLength: 4 })), {
      nil: null,
    });
    const headerArb = fc.record({ key: fc.constantFrom(TAG, 'h', `\ufeff${TAG}`, 'rocketmq.ta'), value: textArb });
    const recordArb = fc.record({
      timestampDelta: fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
      key: textArb,
      value: bytesArb,
      headers: fc.array(headerArb, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (records, gzip) => {
        const plain = encodeRecordBatch({ producerId: 3n, records });
        const bytes = gzip
          ? assembleRecordBatch(
              { producerId: 3n, lastOffsetDelta: records.length - 1, maxTimestamp: 0n },
              records.length,
              gzipSync(encodeRecords(records)),
              'gzip',
            )
          : plain;
        expect(scanRecordBatch(bytes, { tagHeader: TAG })).toEqual(expectedScan(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('fails as the full decoder does on every single-byte change to the records, CRC recomputed', () => {
    const records = encodeRecords(sample.records);
    const header = { lastOffsetDelta: 5, maxTimestamp: 5n };
    for (let at = 0; at < records.length; at++) {
      for (const flip of [0x01, 0x80, 0x7f]) {
        const changed = records.slice();
        changed[at] = (changed[at] as number) ^ flip;
        const bytes = assembleRecordBatch(header, 6, changed);
        const expected = outcome(() => decodeRecordBatches(bytes));
        expect([at, flip, outcome(() => scanRecordBatch(bytes, { tagHeader: TAG }))]).toEqual([at, flip, expected]);
        if (expected === 'ok') expect(scanRecordBatch(bytes, { tagHeader: TAG })).toEqual(expectedScan(bytes));
      }
    }
  });

  it('refuses a bad CRC, truncation, extra bytes, a wrong count, magic 1 and unknown codecs', () => {
    const bytes = encodeRecordBatch(sample);
    for (let at = 17; at < bytes.length; at++) {
      const copy = bytes.slice();
      copy[at] = (copy[at] as number) ^ 0x01;
      expect(outcome(() => scanRecordBatch(copy))).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    }
    for (const cut of [0, 11, 12, 60, 61, bytes.length - 1]) {
      expect(outcome(() => scanRecordBatch(bytes.subarray(0, cut)))).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    }
    expect(outcome(() => scanRecordBatch(Buffer.concat([bytes, bytes])))).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    expect(outcome(() => scanRecordBatch(Buffer.concat([bytes, new Uint8Array(3)])))).toBe(
      KafkaErrorCode.CORRUPT_MESSAGE,
    );
    const records = encodeRecords(sample.records);
    const header = { lastOffsetDelta: 5, maxTimestamp: 5n };
    for (const count of [-1, 0, 5, 7, 0x7fffffff]) {
      expect(outcome(() => scanRecordBatch(assembleRecordBatch(header, count, records)))).toBe(
        KafkaErrorCode.CORRUPT_MESSAGE,
      );
    }
    expect(scanRecordBatch(assembleRecordBatch(header, 0, new Uint8Array(0))).count).toBe(0);
    const magic1 = bytes.slice();
    magic1[16] = 1;
    expect(outcome(() => scanRecordBatch(magic1))).toBe(KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    const codec7 = assembleRecordBatch(header, 6, records);
    codec7[22] = 7;
    new DataView(codec7.buffer).setUint32(17, crc32c(codec7.subarray(21)));
    expect(outcome(() => scanRecordBatch(codec7))).toBe(KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const gzipBomb = assembleRecordBatch(header, 1, gzipSync(new Uint8Array(100_000)), 'gzip');
    expect(outcome(() => scanRecordBatch(gzipBomb, { maxDecompressedBytes: 10_000 }))).toBe(
      KafkaErrorCode.CORRUPT_MESSAGE,
    );
  });
});

describe('recordBatchSpans', () => {
  it('splits concatenated batches and checks their framing', () => {
    const one = encodeRecordBatch({ records: [{ value: utf8('a') }] });
    const two = encodeRecordBatch(sample);
    const both = Buffer.concat([one, two]);
    expect(recordBatchSpans(both)).toEqual([
      { start: 0, end: one.length },
      { start: one.length, end: both.length },
    ]);
    expect(outcome(() => recordBatchSpans(both.subarray(0, both.length - 1)))).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    expect(recordBatchSpans(both.subarray(0, both.length - 1), { allowPartial: true })).toHaveLength(1);
    const magic0 = both.slice();
    magic0[one.length + 16] = 0;
    expect(outcome(() => recordBatchSpans(magic0))).toBe(KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    expect(recordBatchSpans(new Uint8Array(0))).toEqual([]);
  });
});
