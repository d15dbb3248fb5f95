import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cCombine } from './crc32c.js';

// Bit-at-a-time CRC32C (reflected polynomial 0x82F63B78), slow but obviously right.
function reference(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('crc32c', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('gives the published RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('is 0 for empty input and returns the initial value unchanged for empty input', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(Buffer.alloc(0), 0xe3069283)).toBe(0xe3069283);
  });

  it('works on a plain Uint8Array, including a view at an offset into a larger buffer', () => {
    const backing = new TextEncoder().encode('xx123456789yy');
    expect(crc32c(new Uint8Array(backing.buffer, 2, 9))).toBe(0xe3069283);
    expect(crc32c(backing.subarray(2, 11))).toBe(0xe3069283);
  });

  it('returns an unsigned 32-bit integer, never a negative int32, when the top bit is set', () => {
    const value = crc32c(Buffer.from('123456789'), 0);
    expect(value).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(value)).toBe(true);
  });

  it('continues from a previous CRC: crc32c(b, crc32c(a)) === crc32c(a + b) (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        expect(crc32c(b, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])));
      }),
    );
  });

  it('agrees with a bit-at-a-time reference on random input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 0xffffffff }), (bytes, initial) => {
        expect(crc32c(bytes, initial)).toBe(reference(bytes, initial));
      }),
    );
  });
});

describe('crc32cCombine', () => {
  it('gives the CRC of the concatenation for any split of random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        expect(crc32cCombine(crc32c(a), crc32c(b), b.length)).toBe(crc32c(Buffer.concat([a, b])));
      }),
    );
  });

  it('matches a direct CRC over a megabyte, and is associative for lengths beyond 2^32 bytes', () => {
    const head = Buffer.from('123456789');
    const tail = Buffer.alloc(1 << 20, 0xa5);
    expect(crc32cCombine(crc32c(head), crc32c(tail), tail.length)).toBe(crc32c(Buffer.concat([head, tail])));
    // (A‖B)‖C = A‖(B‖C), with B and C longer than any buffer: only the lengths enter the algebra.
    const [a, b, c] = [0x12345678, 0x9abcdef0, 0x0fedcba9];
    const lb = 3 * 2 ** 32 + 7;
    const lc = 2 ** 33 + 1;
    expect(crc32cCombine(crc32cCombine(a, b, lb), c, lc)).toBe(crc32cCombine(a, crc32cCombine(b, c, lc), lb + lc));
  });

  it('returns the first CRC for an empty second part and refuses a negative length', () => {
    expect(crc32cCombine(0xe3069283, 0, 0)).toBe(0xe3069283);
    expect(() => crc32cCombine(1, 2, -1)).toThrow(RangeError);
  });
});
