import { describe, expect, it } from 'vitest';
import { fetchCodec } from './apis/fetch.js';
import { KafkaReader } from './reader.js';
import {
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatches,
  encodeRecords,
  type RecordBatchInit,
} from './record-batch.js';
import { KafkaWriter, uvarintSize, varintSize, varlongSize } from './writer.js';

const concat = (pieces: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(pieces));

describe('varint sizes', () => {
  it('match what the writer writes', () => {
    const ints = [0, 1, 63, 64, 127, 128, 8191, 8192, 2 ** 20, 2 ** 31 - 1, -1, -64, -65, -(2 ** 31)];
    for (const value of ints) {
      expect(varintSize(value)).toBe(new KafkaWriter().varint(value).length);
      if (value >= 0) expect(uvarintSize(value)).toBe(new KafkaWriter().uvarint(value).length);
    }
    expect(uvarintSize(0xffffffff)).toBe(new KafkaWriter().uvarint(0xffffffff).length);
    const longs = [0n, -1n, 1n, 2n ** 51n, -(2n ** 51n), 2n ** 52n, 2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000_000n];
    for (const value of longs) {
      const written = new KafkaWriter().varlong(value).finish();
      expect(varlongSize(value)).toBe(written.length);
      expect(new KafkaReader(written).varlong()).toBe(value);
    }
  });
});

describe('KafkaWriter chunks', () => {
  it('keeps large chunks by reference and copies small ones', () => {
    const big = new Uint8Array(5000).fill(7);
    const writer = new KafkaWriter(16);
    writer
      .int32(0)
      .chunk(new Uint8Array([1, 2]))
      .chunk(big)
      .int16(9);
    expect(writer.length).toBe(4 + 2 + 5000 + 2);
    writer.patchInt32(0, writer.length - 4);
    const pieces = writer.finishChunks();
    expect(pieces.length).toBe(3);
    expect(pieces[1]).toBe(big);
    const whole = concat(pieces);
    expect(new DataView(whole.buffer).getInt32(0)).toBe(5004);
    expect([...whole.subarray(4, 6)]).toEqual([1, 2]);
    expect(whole[6 + 5000 + 1]).toBe(9);
    expect(() => new KafkaWriter().int32(0).chunk(big).patchInt32(4, 1)).toThrow(RangeError);
  });

  it('finish() joins the pieces; growth after a chunk keeps earlier bytes', () => {
    const big = new Uint8Array(4096).fill(1);
    const writer = new KafkaWriter(16);
    writer.int32(5).chunk(big);
    for (let i = 0; i < 100; i++) writer.int32(i);
    const bytes = writer.finish();
    expect(bytes.length).toBe(4 + 4096 + 400);
    const reader = new KafkaReader(bytes);
    expect(reader.int32()).toBe(5);
    reader.skip(4096);
    for (let i = 0; i < 100; i++) expect(reader.int32()).toBe(i);
  });

  it('writes into a given buffer', () => {
    const target = new Uint8Array(12);
    new KafkaWriter(target.subarray(4)).int32(1).int32(2);
    expect([...target]).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
  });

  it('Fetch responses send record chunks by reference and decode as one records field', () => {
    const one = encodeRecordBatch({ baseOffset: 0n, records: [{ value: new Uint8Array(5000) }] });
    const two = encodeRecordBatch({ baseOffset: 1n, records: [{ value: new Uint8Array(10) }] });
    for (const version of [11, 12]) {
      const writer = new KafkaWriter();
      fetchCodec.encodeResponse(writer, version, {
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
                highWatermark: 2n,
                lastStableOffset: 2n,
                logStartOffset: 0n,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: null,
                recordChunks: [one, two],
              },
            ],
          },
        ],
      });
      const pieces = writer.finishChunks();
      expect(pieces).toContain(one);
      const decoded = fetchCodec.decodeResponse(new KafkaReader(concat(pieces)), version);
      const records = decoded.responses[0]?.partitions[0]?.records ?? new Uint8Array(0);
      expect(decodeRecordBatches(records).map((batch) => batch.baseOffset)).toEqual([0n, 1n]);
    }
  });
});

describe('encodeRecordBatches', () => {
  it('writes batches sized first into one buffer, equal to encoding each alone', () => {
    const batches: RecordBatchInit[] = [
      {
        baseOffset: 10n,
        baseTimestamp: 1_700_000_000_000n,
        producerId: 3n,
        records: [
          { key: new Uint8Array([1]), value: new Uint8Array(300), timestampDelta: 5n },
          {
            value: null,
            headers: [
              { key: 'héader', value: new Uint8Array(200) },
              { key: 'n', value: null },
            ],
          },
        ],
      },
      { baseOffset: 12n, isTransactional: true, records: [{ value: new Uint8Array(20000), offsetDelta: 0 }] },
    ];
    const together = encodeRecordBatches(batches);
    expect(together).toEqual(concat(batches.map((batch) => encodeRecordBatch(batch))));
    const decoded = decodeRecordBatches(together);
    expect(decoded.map((batch) => [batch.baseOffset, batch.records.length])).toEqual([
      [10n, 2],
      [12n, 1],
    ]);
    expect(decoded[0]?.records[1]?.headers.map((header) => header.key)).toEqual(['héader', 'n']);
    expect(decoded[0]?.maxTimestamp).toBe(1_700_000_000_005n);
    expect(encodeRecords([]).length).toBe(0);
    expect(encodeRecordBatches([]).length).toBe(0);
  });
});
