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
