import { createRequire } from 'node:module';

interface Sse4Crc32 {
  calculate(input: Uint8Array | string, initial?: number): number;
}

// sse4_crc32 is a CommonJS addon; load it the Node way from this ES module.
const native = createRequire(import.meta.url)('sse4_crc32') as Sse4Crc32;

/**
 * CRC32C (Castagnoli) of `bytes`, continuing from `initial` (the CRC of what came before) when given.
 * Hardware-accelerated (SSE 4.2) through `sse4_crc32`, which measured about 1.8× faster than
 * `@node-rs/crc32` here (see docs/benchmarks.md).
 */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  return native.calculate(bytes, initial) >>> 0;
}

// Castagnoli polynomial, reflected; for the few bytes where calling into the addon costs more than the work.
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC32C of `bytes[start, end)` in JavaScript, continuing from `initial` like {@link crc32c}. Faster than
 * the addon for a handful of bytes (no call into native code, no view to make); slower beyond ~16 bytes.
 */
export function crc32cOfRange(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let crc = ~initial;
  for (let i = start; i < end; i++) crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// CRC combination works in GF(2) polynomials modulo the (reflected) Castagnoli polynomial: appending
// n zero bytes to a message multiplies its CRC register by x^(8n), so crc(A‖B) = crc(A)·x^(8|B|) ⊕ crc(B).
const POLY = 0x82f63b78;

/** a·b modulo the polynomial, both reflected (bit 31 is x^0). */
function multiplyModPoly(a: number, b: number): number {
  let product = 0;
  let m = 0x80000000;
  let factor = b;
  for (;;) {
    if ((a & m) !== 0) {
      product ^= factor;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    factor = factor & 1 ? (factor >>> 1) ^ POLY : factor >>> 1;
  }
  return product >>> 0;
}

// X_POWERS[k] = x^(2^k) mod P: squaring the previous one; 3 + 53 of them cover any safe-integer length.
const X_POWERS = (() => {
  const powers = new Array<number>(56);
  let p = 0x40000000; // x^1
  for (let k = 0; k < powers.length; k++) {
    powers[k] = p;
    p = multiplyModPoly(p, p);
  }
  return powers;
})();

/** x^(8·bytes) mod P, from the binary digits of the length. */
function xPowerOfBytes(bytes: number): number {
  let power = 0x80000000; // x^0
  let k = 3; // 8 = 2^3
  let n = bytes;
  while (n > 0) {
    if (n % 2 === 1) power = multiplyModPoly(X_POWERS[k] as number, power);
    n = Math.floor(n / 2);
    k++;
  }
  return power;
}

/**
 * The CRC32C of `A‖B` from `crc32c(A)`, `crc32c(B)` and B's length, in O(log length) without touching
 * the bytes: a front that has already checked a checksum over most of a payload can hand the store the
 * whole payload's CRC instead of making it read the bytes a second time.
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`lengthB must be a length, got ${lengthB}`);
  if (lengthB === 0) return crcA >>> 0;
  return (multiplyModPoly(xPowerOfBytes(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}
