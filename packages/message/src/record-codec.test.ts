import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';
import { EddyError } from './errors.js';
import type { StoredMessage } from './message.js';
import {
  decodeRecord,
  encodedRecordSize,
  encodeRecord,
  encodeRecordInto,
  MIN_RECORD_SIZE,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  RECORD_VERSION,
  type RecordFields,
  readRecordHeader,
} from './record-codec.js';

const FIXTURE = new URL('./__fixtures__/record-v1.hex', import.meta.url);

/** Every field present, each with a value that shows up distinctly in the bytes. */
const FULL: RecordFields = {
  topic: 'orders',
  body: Buffer.from('hello'),
  keys: ['k1', 'ключ'],
  tag: 'TagA',
  properties: { a: '1', ü: 'ß' },
  messageId: '018BCFE5680000000001A1B2C3D4E5F6',
  bornTimestamp: 1_700_000_000_000,
  bornHost: '10.0.0.1:5000',
  producerGroup: 'pg',
  messageGroup: 'mg',
  deliveryTimestamp: 1_700_000_060_000,
  transaction: 'prepared',
  reconsumeTimes: 2,
  queueId: 3,
  // Above 2^32, so that both halves of the 64-bit field carry something.
  queueOffset: 0x01_0203_0405,
  storeTimestamp: 1_700_000_000_123,
};

/** Every optional field absent and every string empty: the smallest record there is. */
const MINIMAL: RecordFields = {
  topic: '',
  body: new Uint8Array(0),
  keys: [],
  tag: undefined,
  properties: {},
  messageId: '',
  bornTimestamp: 0,
  bornHost: '',
  producerGroup: undefined,
  messageGroup: undefined,
  deliveryTimestamp: undefined,
  transaction: 'none',
  reconsumeTimes: 0,
  queueId: 0,
  queueOffset: 0,
  storeTimestamp: 0,
};

/** A record in a form `toEqual` compares exactly: body as hex, properties as sorted entries. */
function comparable(record: RecordFields | StoredMessage) {
  return {
    ...record,
    body: Buffer.from(record.body).toString('hex'),
    properties: Object.entries(record.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

function decodeOk(bytes: Uint8Array, position = 0, options?: { verifyChecksum?: boolean }) {
  const result = decodeRecord(bytes, position, options);
  if (!result.ok) throw new Error(`expected a record, got ${result.fault}: ${result.error.message}`);
  return result;
}

function expectCorrupt(result: ReturnType<typeof decodeRecord>): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(EddyError.is(result.error, 'CORRUPT_DATA')).toBe(true);
  expect(['truncated', 'bad-magic', 'bad-version', 'bad-size', 'checksum', 'malformed']).toContain(result.fault);
}

const text = fc.string({ unit: 'binary', maxLength: 12 });
const safeNat = fc.maxSafeNat();
const recordArbitrary: fc.Arbitrary<RecordFields> = fc.record({
  topic: text,
  body: fc.uint8Array({ maxLength: 64 }),
  keys: fc.array(text, { maxLength: 4 }),
  tag: fc.option(text, { nil: undefined }),
  // Copied into an ordinary object: the codec defines decoded properties on one.
  properties: fc
    .dictionary(text, text, { maxKeys: 4 })
    .map((dictionary) => Object.fromEntries(Object.entries(dictionary))),
  messageId: text,
  bornTimestamp: safeNat,
  bornHost: text,
  producerGroup: fc.option(text, { nil: undefined }),
  messageGroup: fc.option(text, { nil: undefined }),
  deliveryTimestamp: fc.option(safeNat, { nil: undefined }),
  transaction: fc.constantFrom('none', 'prepared', 'commit', 'rollback'),
  reconsumeTimes: fc.nat({ max: 0xffffffff }),
  queueId: fc.nat({ max: 0xffffffff }),
  queueOffset: safeNat,
  storeTimestamp: safeNat,
});

describe('encodeRecord / decodeRecord round trip', () => {
  it('keeps every field of a full record', () => {
    const bytes = encodeRecord(FULL);
    const result = decodeOk(bytes);
    expect(result.size).toBe(bytes.length);
    expect(comparable(result.record)).toEqual(comparable(FULL));
  });

  it('keeps a minimal record, whose size is MIN_RECORD_SIZE, with optional fields still absent', () => {
    const bytes = encodeRecord(MINIMAL);
    expect(bytes.length).toBe(MIN_RECORD_SIZE);
    const { record } = decodeOk(bytes);
    expect(comparable(record)).toEqual(comparable(MINIMAL));
    expect(record.tag).toBeUndefined();
    expect(record.producerGroup).toBeUndefined();
    expect(record.messageGroup).toBeUndefined();
    expect(record.deliveryTimestamp).toBeUndefined();
  });

  it('tells an empty tag, producer group and message group from absent ones, and a delivery time of 0 from none', () => {
    const record = { ...MINIMAL, tag: '', producerGroup: '', messageGroup: '', deliveryTimestamp: 0 };
    const decoded = decodeOk(encodeRecord(record)).record;
    expect(decoded.tag).toBe('');
    expect(decoded.producerGroup).toBe('');
    expect(decoded.messageGroup).toBe('');
    expect(decoded.deliveryTimestamp).toBe(0);
  });

  it.each(['none', 'prepared', 'commit', 'rollback'] as const)('keeps transaction phase %s', (transaction) => {
    expect(decodeOk(encodeRecord({ ...FULL, transaction })).record.transaction).toBe(transaction);
  });

  it('keeps unicode strings (multi-byte, astral, combining) byte for byte', () => {
    const record = {
      ...FULL,
      topic: 'トピック',
      tag: '🏷️',
      bornHost: 'hôte',
      keys: ['😀', 'e\u0301', ''],
      properties: { ключ: '值', '🔑': '\u{10FFFF}' },
      messageGroup: '组',
    };
    expect(comparable(decodeOk(encodeRecord(record)).record)).toEqual(comparable(record));
  });

  it('keeps a property named "__proto__" as an own property, without touching the prototype', () => {
    const properties = JSON.parse('{"__proto__":"polluted?","x":"y"}') as Record<string, string>;
    expect(Object.hasOwn(properties, '__proto__')).toBe(true);
    const decoded = decodeOk(encodeRecord({ ...FULL, properties })).record.properties;
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toBe('polluted?');
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'x']);
  });

  it('keeps an empty body and a 4 MiB body', () => {
    expect(decodeOk(encodeRecord({ ...FULL, body: new Uint8Array(0) })).record.body.byteLength).toBe(0);
    const big = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    big[big.length - 1] = 0x7f;
    const bytes = encodeRecord({ ...FULL, body: big });
    expect(bytes.length).toBe(encodedRecordSize({ ...FULL, body: big }));
    const { record } = decodeOk(bytes);
    expect(record.body.byteLength).toBe(big.length);
    expect(Buffer.compare(Buffer.from(record.body), big)).toBe(0);
  });

  it('keeps the extremes of the integer fields', () => {
    const record = {
      ...FULL,
      queueId: 0xffffffff,
      reconsumeTimes: 0xffffffff,
      queueOffset: Number.MAX_SAFE_INTEGER,
      storeTimestamp: Number.MAX_SAFE_INTEGER,
      bornTimestamp: 2 ** 32,
      deliveryTimestamp: 2 ** 32 - 1,
    };
    expect(comparable(decodeOk(encodeRecord(record)).record)).toEqual(comparable(record));
  });

  it('decodes from a plain Uint8Array (not a Buffer) that is a view at an offset', () => {
    const bytes = encodeRecord(FULL);
    const backing = new ArrayBuffer(bytes.length + 10);
    const view = new Uint8Array(backing, 7, bytes.length);
    view.set(bytes);
    expect(comparable(decodeOk(view).record)).toEqual(comparable(FULL));
  });

  it('returns the body as a view into the input, not a copy', () => {
    const bytes = encodeRecord(FULL);
    const { record } = decodeOk(bytes);
    bytes[bytes.length - 1] = 0x21;
    expect(Buffer.from(record.body).toString()).toBe('hell!');
  });

  it('round-trips any record (property)', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        const bytes = encodeRecord(record);
        expect(bytes.length).toBe(encodedRecordSize(record));
        const result = decodeOk(bytes);
        expect(result.size).toBe(bytes.length);
        expect(comparable(result.record)).toEqual(comparable(record));
      }),
      { numRuns: 500 },
    );
  });
});

describe('encodeRecordInto', () => {
  it('writes several records back to back; each ends where encodedRecordSize says and decodes in turn', () => {
    const records = [
      FULL,
      MINIMAL,
      { ...FULL, queueOffset: FULL.queueOffset + 1, tag: undefined, body: Buffer.from('x') },
    ];
    const sizes = records.map(encodedRecordSize);
    const lead = 5;
    const target = Buffer.alloc(lead + sizes.reduce((a, b) => a + b, 0) + 3, 0xaa);
    let position = lead;
    for (const [i, record] of records.entries()) {
      const next = encodeRecordInto(target, position, record);
      expect(next - position).toBe(sizes[i]);
      position = next;
    }
    // Nothing written outside the records.
    expect([...target.subarray(0, lead)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
    expect([...target.subarray(position)]).toEqual([0xaa, 0xaa, 0xaa]);

    let cursor = lead;
    for (const record of records) {
      expect(readRecordHeader(target, cursor)).toEqual({ ok: true, size: encodedRecordSize(record) });
      const result = decodeOk(target, cursor);
      expect(comparable(result.record)).toEqual(comparable(record));
      cursor += result.size;
    }
    expect(cursor).toBe(position);
  });

  it('writes the same bytes at any position as encodeRecord does at 0', () => {
    const alone = encodeRecord(FULL);
    const target = Buffer.alloc(alone.length + 9);
    encodeRecordInto(target, 9, FULL);
    expect(target.subarray(9).equals(alone)).toBe(true);
  });

  it('sizes any batch exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 5 }), (records) => {
        const total = records.reduce((sum, record) => sum + encodedRecordSize(record), 0);
        const target = Buffer.alloc(total);
        let position = 0;
        for (const record of records) position = encodeRecordInto(target, position, record);
        expect(position).toBe(total);
        let cursor = 0;
        for (const record of records) {
          const result = decodeOk(target, cursor);
          expect(comparable(result.record)).toEqual(comparable(record));
          cursor += result.size;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('golden bytes (version 1)', () => {
  const fixtureHex = readFileSync(FIXTURE, 'utf8').replace(/\s+/g, '');
  const fixture = Buffer.from(fixtureHex, 'hex');

  it('puts the header fields where the layout says', () => {
    const bytes = encodeRecord(FULL);
    expect(bytes.readUInt32BE(0)).toBe(bytes.length);
    expect(bytes.readUInt16BE(4)).toBe(0xedd1);
    expect(bytes[6]).toBe(1);
    // prepared (1) | tag (4) | delivery (8) | producer group (16) | message group (32)
    expect(bytes[7]).toBe(0b0011_1101);
    expect(bytes.readUInt32BE(8)).toBe(crc32c(Buffer.concat([bytes.subarray(0, 8), bytes.subarray(12)])));
    expect(bytes.readUInt32BE(12)).toBe(3);
    expect(bytes.subarray(16, 24).toString('hex')).toBe('0000000102030405');
    expect(Number(bytes.readBigUInt64BE(24))).toBe(FULL.storeTimestamp);
    expect(Number(bytes.readBigUInt64BE(32))).toBe(FULL.bornTimestamp);
    expect(Number(bytes.readBigUInt64BE(40))).toBe(FULL.deliveryTimestamp);
    expect(bytes.readUInt32BE(48)).toBe(2);
    expect(bytes.readUInt32BE(52)).toBe(5);
    // The strings, in order, each as u16 length + UTF-8.
    expect(bytes.readUInt16BE(56)).toBe(6);
    expect(bytes.toString('utf8', 58, 64)).toBe('orders');
    expect(bytes.readUInt16BE(64)).toBe(32);
    expect(bytes.toString('utf8', 66, 98)).toBe(FULL.messageId);
    expect(bytes.readUInt16BE(98)).toBe(4);
    expect(bytes.toString('utf8', 100, 104)).toBe('TagA');
    // The body is last.
    expect(bytes.subarray(bytes.length - 5).toString()).toBe('hello');
  });

  it('encodes the fixed record to the checked-in bytes', () => {
    expect(encodeRecord(FULL).toString('hex')).toBe(fixtureHex);
  });

  it('decodes the checked-in bytes to the fixed record', () => {
    expect(RECORD_MAGIC).toBe(0xedd1);
    expect(RECORD_VERSION).toBe(1);
    const result = decodeOk(fixture);
    expect(result.size).toBe(fixture.length);
    expect(comparable(result.record)).toEqual(comparable(FULL));
  });
});

describe('damaged input', () => {
  const full = encodeRecord(FULL);

  it('reports a record cut at every byte position as truncated, as a view and as a copy, without throwing', () => {
    const inLargerBuffer = Buffer.concat([full, Buffer.alloc(16, 0xff)]);
    for (let length = 0; length < full.length; length++) {
      for (const bytes of [inLargerBuffer.subarray(0, length), new Uint8Array(full.subarray(0, length))]) {
        const result = decodeRecord(bytes);
        expectCorrupt(result);
        if (!result.ok) expect(result.fault).toBe('truncated');
        const header = readRecordHeader(bytes);
        expect(header.ok).toBe(false);
        if (!header.ok) expect(header.fault).toBe('truncated');
      }
    }
  });

  it('reports a cut second record as truncated at its own position', () => {
    const two = Buffer.concat([full, full]).subarray(0, full.length * 2 - 1);
    expect(decodeRecord(two).ok).toBe(true);
    const result = decodeRecord(two, full.length);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.fault).toBe('truncated');
      expect(result.error.details).toEqual({ fault: 'truncated', position: full.length });
      expect(result.error.message).toContain(`record at byte ${full.length}`);
    }
  });

  it('detects any single flipped bit (property)', () => {
    fc.assert(
      fc.property(recordArbitrary, fc.nat(), (record, seed) => {
        const bytes = encodeRecord(record);
        const bit = seed % (bytes.length * 8);
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        let result: ReturnType<typeof decodeRecord> | undefined;
        expect(() => {
          result = decodeRecord(bytes);
        }).not.toThrow();
        // CRC32C catches every error burst of up to 32 bits, so a decode that succeeds is a bug.
        expectCorrupt(result as ReturnType<typeof decodeRecord>);
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts random byte overwrites as a different record (property)', () => {
    fc.assert(
      fc.property(
        recordArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (record, overwrites) => {
          const bytes = encodeRecord(record);
          for (const [index, value] of overwrites) bytes[index % bytes.length] = value;
          const result = decodeRecord(bytes);
          if (result.ok) {
            // Possible only if every overwrite wrote the byte that was there (or a 2^-32 CRC collision).
            expect(comparable(result.record)).toEqual(comparable(record));
          } else {
            expectCorrupt(result);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on random garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 320 }), (bytes, position) => {
        const result = decodeRecord(bytes, Math.min(position, bytes.length));
        if (!result.ok) expect(EddyError.is(result.error, 'CORRUPT_DATA')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on garbage behind a valid header with the CRC check off (property)', () => {
    // With the CRC out of the way, this reaches every length check in the body of the decoder.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: MIN_RECORD_SIZE, maxLength: 400 }), fc.boolean(), (bytes, trim) => {
        const buffer = Buffer.from(bytes);
        buffer.writeUInt32BE(trim ? Math.max(MIN_RECORD_SIZE, buffer.length - 1) : buffer.length, 0);
        buffer.writeUInt16BE(RECORD_MAGIC, 4);
        buffer[6] = RECORD_VERSION;
        const result = decodeRecord(buffer, 0, { verifyChecksum: false });
        if (!result.ok) {
          expect(EddyError.is(result.error, 'CORRUPT_DATA')).toBe(true);
          expect(result.fault).toBe('malformed');
        } else {
          expect(result.size).toBe(buffer.readUInt32BE(0));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws when random fields of a valid record are overwritten with the CRC check off (property)', () => {
    fc.assert(
      fc.property(
        recordArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (record, overwrites) => {
          const bytes = encodeRecord(record);
          // Leave size, magic and version alone so that the decoder goes past the header.
          for (const [index, value] of overwrites) bytes[7 + (index % (bytes.length - 7))] = value;
          const result = decodeRecord(bytes, 0, { verifyChecksum: false });
          if (!result.ok) expect(EddyError.is(result.error, 'CORRUPT_DATA')).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reports a wrong CRC as checksum, and skips the check with verifyChecksum: false', () => {
    const bytes = Buffer.from(full);
    bytes.writeUInt32BE(bytes.readUInt32BE(8) ^ 1, 8);
    const checked = decodeRecord(bytes);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.fault).toBe('checksum');
    expect(comparable(decodeOk(bytes, 0, { verifyChecksum: false }).record)).toEqual(comparable(FULL));

    const changedBody = Buffer.from(full);
    changedBody[changedBody.length - 1] = 0x21;
    expect(decodeRecord(changedBody).ok).toBe(false);
    expect(Buffer.from(decodeOk(changedBody, 0, { verifyChecksum: false }).record.body).toString()).toBe('hell!');
  });

  it('reports a body size that does not match the record as malformed', () => {
    const bytes = Buffer.from(full);
    bytes.writeUInt32BE(4, 52);
    const result = decodeRecord(bytes, 0, { verifyChecksum: false });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.fault).toBe('malformed');
  });
});

describe('readRecordHeader', () => {
  const full = encodeRecord(FULL);

  function fault(bytes: Uint8Array, position = 0) {
    const result = readRecordHeader(bytes, position);
    expect(result.ok).toBe(false);
    if (result.ok) return undefined;
    expect(EddyError.is(result.error, 'CORRUPT_DATA')).toBe(true);
    expect(result.error.details).toEqual({ fault: result.fault, position });
    return result.fault;
  }

  it('gives the size of a valid record without reading past the header', () => {
    const bytes = Buffer.from(full);
    bytes.fill(0, RECORD_HEADER_SIZE);
    expect(readRecordHeader(bytes)).toEqual({ ok: true, size: full.length });
  });

  it('reports bad-magic', () => {
    const bytes = Buffer.from(full);
    bytes.writeUInt16BE(0xedd2, 4);
    expect(fault(bytes)).toBe('bad-magic');
    expect(decodeRecord(bytes).ok).toBe(false);
  });

  it('reports bad-version', () => {
    for (const version of [0, 2, 255]) {
      const bytes = Buffer.from(full);
      bytes[6] = version;
      expect(fault(bytes)).toBe('bad-version');
    }
  });

  it('reports a size below the minimum as bad-size, and accepts the minimum', () => {
    for (const size of [0, RECORD_HEADER_SIZE, MIN_RECORD_SIZE - 1]) {
      const bytes = Buffer.from(full);
      bytes.writeUInt32BE(size, 0);
      expect(fault(bytes)).toBe('bad-size');
    }
    const minimal = encodeRecord(MINIMAL);
    expect(readRecordHeader(minimal)).toEqual({ ok: true, size: MIN_RECORD_SIZE });
  });

  it('reports truncated for too few bytes, a size past the end, and a position past the end', () => {
    expect(fault(full.subarray(0, RECORD_HEADER_SIZE - 1))).toBe('truncated');
    const bytes = Buffer.from(full);
    bytes.writeUInt32BE(full.length + 1, 0);
    expect(fault(bytes)).toBe('truncated');
    expect(fault(full, full.length)).toBe('truncated');
    expect(fault(full, full.length + 100)).toBe('truncated');
  });
});

describe('encoding invalid fields', () => {
  function encodeError(changes: Partial<Record<keyof RecordFields, unknown>>): unknown {
    try {
      encodeRecord({ ...FULL, ...changes } as RecordFields);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it.each([
    ['queueOffset', 2 ** 53],
    ['queueOffset', -1],
    ['storeTimestamp', 1.5],
    ['bornTimestamp', Number.NaN],
    ['deliveryTimestamp', Number.POSITIVE_INFINITY],
    ['deliveryTimestamp', Number.MAX_SAFE_INTEGER + 2],
    ['queueId', -1],
    ['queueId', 2 ** 32],
    ['queueId', 1.5],
    ['reconsumeTimes', 2 ** 32],
    ['reconsumeTimes', 0.5],
  ])('throws INVALID_ARGUMENT for %s = %d', (field, value) => {
    const error = encodeError({ [field]: value });
    expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('throws INVALID_ARGUMENT for a string over 65535 bytes, too many keys, and an unknown phase', () => {
    expect(EddyError.is(encodeError({ topic: 'é'.repeat(32768) }), 'INVALID_ARGUMENT')).toBe(true);
    expect(encodeError({ topic: 'a'.repeat(65535) })).toBeUndefined();
    expect(EddyError.is(encodeError({ keys: new Array(65536).fill('k') }), 'INVALID_ARGUMENT')).toBe(true);
    expect(EddyError.is(encodeError({ transaction: 'pending' }), 'INVALID_ARGUMENT')).toBe(true);
  });
});
