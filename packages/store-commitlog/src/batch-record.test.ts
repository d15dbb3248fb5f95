import { crc32c } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { type BatchRecordFields, batchRecordSize, decodeBatchRecord, encodeBatchRecordInto } from './batch-record.js';

const fields: BatchRecordFields = {
  topic: 'orders',
  queueId: 7,
  baseOffset: 2 ** 40 + 3,
  storeTimestamp: 1_700_000_000_123,
  count: 3,
  format: 'test-v1',
  firstMessageId: '0123456789ABCDEF0123456789ABCDEF',
  tags: ['a', undefined, 'ünï'],
  keys: [['k1', 'k2'], undefined, []],
  payload: new Uint8Array([1, 2, 3, 4, 5]),
};

function encoded(value: BatchRecordFields = fields): Buffer {
  const buffer = Buffer.alloc(batchRecordSize(value) + 4);
  const end = encodeBatchRecordInto(buffer, 2, value);
  expect(end).toBe(2 + batchRecordSize(value));
  return buffer;
}

describe('batch record', () => {
  it('round-trips every field, with tag codes', () => {
    const result = decodeBatchRecord(encoded(), 2);
    if (!result.ok) throw result.error;
    const { size, tagCodes, payload, ...rest } = result.batch;
    expect(size).toBe(batchRecordSize(fields));
    expect(rest).toEqual({ ...fields, payload: undefined, keys: [['k1', 'k2'], undefined, undefined] });
    expect([...payload]).toEqual([1, 2, 3, 4, 5]);
    expect(tagCodes[1]).toBe(0);
    expect(tagCodes[0]).not.toBe(0);
  });

  it('writes the same bytes when given the payload checksum (combined, not recomputed), with and without tags', () => {
    const payload = new Uint8Array(3000).map((_, i) => (i * 31) & 0xff);
    for (const value of [
      { ...fields, payload },
      { ...fields, payload, tags: undefined, keys: undefined },
    ]) {
      const withKnown = encoded({ ...value, payloadChecksum: crc32c(payload) });
      expect(withKnown.equals(encoded(value))).toBe(true);
      expect(decodeBatchRecord(withKnown, 2).ok).toBe(true);
    }
    // A wrong checksum is written as given, and the record then fails its check on read.
    const lying = encoded({ ...fields, payload, payloadChecksum: (crc32c(payload) ^ 1) >>> 0 });
    expect(decodeBatchRecord(lying, 2)).toMatchObject({ ok: false, fault: 'checksum' });
  });

  it('omits tags and keys when there are none', () => {
    const plain = { ...fields, tags: undefined, keys: undefined };
    const result = decodeBatchRecord(encoded(plain), 2);
    if (!result.ok) throw result.error;
    expect(result.batch.tags).toBeUndefined();
    expect(result.batch.keys).toBeUndefined();
    expect(result.batch.tagCodes).toEqual([0, 0, 0]);
  });

  it('catches a flipped bit anywhere by its checksum, and a cut record as truncated', () => {
    const bytes = encoded();
    const size = batchRecordSize(fields);
    for (const at of [0 + 16, 2 + 30, 2 + size - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] = (damaged[at] as number) ^ 0x10;
      const result = decodeBatchRecord(damaged, 2);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('CORRUPT_DATA');
    }
    const cut = decodeBatchRecord(bytes.subarray(0, size - 1), 2);
    expect(cut).toMatchObject({ ok: false, fault: 'truncated' });
    const notBatch = Buffer.from(bytes);
    notBatch.writeUInt16BE(0xedd1, 6);
    expect(decodeBatchRecord(notBatch, 2)).toMatchObject({ ok: false, fault: 'bad-magic' });
  });
});
