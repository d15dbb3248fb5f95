import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KafkaErrorCode, KafkaProtocolError } from './errors.js';
import { KafkaReader } from './reader.js';
import { KafkaWriter } from './writer.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function expectProtocolError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaProtocolError);
    expect((error as KafkaProtocolError).errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    return;
  }
  throw new Error('expected a KafkaProtocolError');
}

// One message using every primitive, written and read by the same schema.
function writeAll(w: KafkaWriter): void {
  w.int8(-3)
    .int16(-300)
    .int32(-70000)
    .uint32(0xfffffffe)
    .int64(-(2n ** 40n))
    .float64(1.5)
    .bool(true)
    .uuid(new Uint8Array(16).fill(7))
    .uvarint(300)
    .varint(-65)
    .varlong(-(2n ** 50n))
    .string('héllo')
    .nullableString(null)
    .compactString('abc')
    .compactNullableString(null)
    .bytes(fromHex('0102'))
    .nullableBytes(null)
    .compactBytes(fromHex('ff'))
    .compactNullableBytes(null)
    .array([1, 2], (x, v) => x.int32(v))
    .nullableArray(null, (x, v: number) => x.int32(v))
    .compactArray(['a'], (x, v) => x.compactString(v))
    .compactNullableArray(null, (x, v: string) => x.compactString(v))
    .taggedFields(new Map([[1, fromHex('aa')]]));
}

function readAll(r: KafkaReader): unknown[] {
  return [
    r.int8(),
    r.int16(),
    r.int32(),
    r.uint32(),
    r.int64(),
    r.float64(),
    r.bool(),
    hex(r.uuid()),
    r.uvarint(),
    r.varint(),
    r.varlong(),
    r.string(),
    r.nullableString(),
    r.compactString(),
    r.compactNullableString(),
    hex(r.bytes()),
    r.nullableBytes(),
    hex(r.compactBytes()),
    r.compactNullableBytes(),
    r.array((x) => x.int32()),
    r.nullableArray((x) => x.int32()),
    r.compactArray((x) => x.compactString()),
    r.compactNullableArray((x) => x.compactString()),
    [...r.taggedFields()].map(([tag, value]) => [tag, hex(value)]),
  ];
}

describe('KafkaReader and KafkaWriter', () => {
  it('round-trip every primitive', () => {
    const w = new KafkaWriter(16);
    writeAll(w);
    const bytes = w.finish();
    expect(bytes.length).toBe(w.length);
    const r = new KafkaReader(bytes);
    expect(readAll(r)).toEqual([
      -3,
      -300,
      -70000,
      0xfffffffe,
      -(2n ** 40n),
      1.5,
      true,
      '07'.repeat(16),
      300,
      -65,
      -(2n ** 50n),
      'héllo',
      null,
      'abc',
      null,
      '0102',
      null,
      'ff',
      null,
      [1, 2],
      null,
      ['a'],
      null,
      [[1, 'aa']],
    ]);
    expect(r.remaining).toBe(0);
  });

  it('throws KafkaProtocolError (never RangeError) on input truncated at every byte', () => {
    const w = new KafkaWriter();
    writeAll(w);
    const bytes = w.finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      expectProtocolError(() => readAll(new KafkaReader(bytes.subarray(0, cut))));
      expectProtocolError(() => readAll(new KafkaReader(bytes, 0, cut)));
    }
  });

  it('refuses a 2^31-1 array count with 10 bytes left, before allocating', () => {
    const bytes = fromHex(`7fffffff${'00'.repeat(10)}`);
    let calls = 0;
    expectProtocolError(() =>
      new KafkaReader(bytes).array((r) => {
        calls++;
        return r.int8();
      }),
    );
    expect(calls).toBe(0);
    expectProtocolError(() => new KafkaReader(fromHex(`ffffffff07${'00'.repeat(10)}`)).compactArray((r) => r.int8()));
    expectProtocolError(() => new KafkaReader(fromHex('80000000')).array((r) => r.int8()));
  });

  it('refuses lengths longer than what is left and negative lengths', () => {
    expectProtocolError(() => new KafkaReader(fromHex('7fff00')).string());
    expectProtocolError(() => new KafkaReader(fromHex('fffe')).nullableString());
    expectProtocolError(() => new KafkaReader(fromHex('7fffffff00')).bytes());
    expectProtocolError(() => new KafkaReader(fromHex('fffffffe')).nullableBytes());
    expectProtocolError(() => new KafkaReader(fromHex('ffffffff0f')).compactBytes());
    expectProtocolError(() => new KafkaReader(fromHex('ffff')).string());
    expectProtocolError(() => new KafkaReader(fromHex('00')).compactString());
    expectProtocolError(() => new KafkaReader(fromHex('ffffffff')).bytes());
    expectProtocolError(() => new KafkaReader(fromHex('05 01 ff')).taggedFields());
    expectProtocolError(() => new KafkaReader(fromHex('01 01 7f 00')).taggedFields());
    expectProtocolError(() => new KafkaReader(fromHex('00')).skip(2));
    expectProtocolError(() => new KafkaReader(fromHex('00')).slice(-1));
    expectProtocolError(() => new KafkaReader(fromHex('00'), 2));
  });

  it('refuses over-long varints', () => {
    expectProtocolError(() => new KafkaReader(fromHex('ffffffff1f')).uvarint());
    expectProtocolError(() => new KafkaReader(fromHex('ffffffffff01')).uvarint());
    expectProtocolError(() => new KafkaReader(fromHex('ffffffffffffffffff03')).varlong());
    expect(new KafkaReader(fromHex('ffffffff0f')).uvarint()).toBe(0xffffffff);
    expect(new KafkaReader(fromHex('ffffffffffffffffff01')).varlong()).toBe(-(2n ** 63n));
  });

  it('encode varints as Kafka does (golden bytes)', () => {
    expect(hex(new KafkaWriter().uvarint(0).uvarint(127).uvarint(128).uvarint(300).finish())).toBe('007f8001ac02');
    expect(hex(new KafkaWriter().varint(0).varint(-1).varint(1).varint(-64).varint(64).finish())).toBe('0001027f8001');
    expect(
      hex(
        new KafkaWriter()
          .varlong(-1n)
          .varlong(2n ** 63n - 1n)
          .finish(),
      ),
    ).toBe('01feffffffffffffffff01');
  });

  it('round-trip unsigned and zig-zag varints (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (u, s, l) => {
          const bytes = new KafkaWriter(16).uvarint(u).varint(s).varlong(l).finish();
          const r = new KafkaReader(bytes);
          expect([r.uvarint(), r.varint(), r.varlong(), r.remaining]).toEqual([u, s, l, 0]);
        },
      ),
    );
  });

  it('round-trip compact and nullable strings and bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 200 })),
        fc.option(fc.uint8Array({ maxLength: 300 })),
        (text, data) => {
          const w = new KafkaWriter(16)
            .compactNullableString(text)
            .nullableString(text)
            .compactNullableBytes(data)
            .nullableBytes(data);
          const r = new KafkaReader(w.finish());
          const read = [r.compactNullableString(), r.nullableString(), r.compactNullableBytes(), r.nullableBytes()];
          const wellFormed = text === null ? null : Buffer.from(text, 'utf8').toString('utf8');
          expect(read.slice(0, 2)).toEqual([wellFormed, wellFormed]);
          expect(read.slice(2).map((b) => (b === null ? null : [...(b as Uint8Array)]))).toEqual([
            data === null ? null : [...data],
            data === null ? null : [...data],
          ]);
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  it('reads tagged fields with many tags and skips them in order', () => {
    const fields = new Map([
      [300, fromHex('0102')],
      [0, new Uint8Array()],
    ]);
    const bytes = new KafkaWriter().taggedFields(fields).int8(9).finish();
    expect(hex(bytes)).toBe('020000ac020201020' + '9');
    const r = new KafkaReader(bytes);
    const read = r.taggedFields();
    expect([...read.keys()]).toEqual([0, 300]);
    expect(r.int8()).toBe(9);
    expect(hex(new KafkaWriter().taggedFields().finish())).toBe('00');
  });

  it('reads a sub-range of a buffer and reports its position', () => {
    const r = new KafkaReader(fromHex('aa 00000005 bb'), 1, 5);
    expect(r.int32()).toBe(5);
    expect(r.position).toBe(5);
    expectProtocolError(() => r.int8());
  });
});
