/**
 * CRC32C throughput: `crc32c` from @eddy/message (sse4_crc32, SSE 4.2 hardware) against a plain
 * table-driven JavaScript CRC32C, on record-sized and segment-sized inputs.
 *
 * Run: `npx tsc -b packages/message && npx tsx bench/crc32c.bench.ts` (about 20 s). Prints a markdown
 * table for docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { crc32c } from '@eddy/message';

/** The whole run stays within this, warm-up included. */
const BUDGET_MS = 18_000;
const SIZES = [
  { label: '100 B', bytes: 100 },
  { label: '1 KiB', bytes: 1024 },
  { label: '64 KiB', bytes: 64 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
];

// The reflected Castagnoli polynomial, one byte per step: the textbook software CRC32C.
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c >>> 0;
}

function crc32cTable(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial;
  for (let i = 0; i < bytes.length; i++) crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const implementations = [
  { name: 'sse4_crc32 (hardware)', crc: crc32c },
  { name: 'JavaScript table', crc: crc32cTable },
];

// Both must be right before either is timed.
const check = Buffer.from('123456789');
for (const { name, crc } of implementations) {
  const value = crc(check);
  if (value !== 0xe3069283) throw new Error(`${name}: CRC32C('123456789') is 0x${value.toString(16)}, not 0xe3069283`);
}
for (const { bytes } of SIZES) {
  const sample = randomBytes(bytes);
  const half = bytes >> 1;
  const expected = crc32cTable(sample);
  if (crc32c(sample) !== expected || crc32c(sample.subarray(half), crc32c(sample.subarray(0, half))) !== expected) {
    throw new Error(`the implementations disagree on ${bytes} random bytes`);
  }
}

interface Result {
  readonly size: string;
  readonly implementation: string;
  readonly callsPerSecond: number;
  readonly gigabytesPerSecond: number;
}

// Folded into the output so that no call can be optimised away.
let sink = 0;

function measure(crc: (bytes: Uint8Array) => number, input: Uint8Array, durationMs: number): number {
  const warmUpEnd = performance.now() + durationMs * 0.1;
  while (performance.now() < warmUpEnd) sink ^= crc(input);
  // Batches of about 1 MiB of input keep the clock reads out of the measurement.
  const batch = Math.max(1, Math.floor((1024 * 1024) / input.length));
  let calls = 0;
  const start = performance.now();
  const end = start + durationMs * 0.9;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) sink ^= crc(input);
    calls += batch;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

const perCaseMs = BUDGET_MS / (SIZES.length * implementations.length);
const results: Result[] = [];
for (const { label, bytes } of SIZES) {
  const input = randomBytes(bytes);
  for (const { name, crc } of implementations) {
    const callsPerSecond = measure(crc, input, perCaseMs);
    results.push({
      size: label,
      implementation: name,
      callsPerSecond,
      gigabytesPerSecond: (callsPerSecond * bytes) / 1e9,
    });
  }
}

const cpus = os.cpus();
const format = (value: number, digits: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const lines = [
  `CRC32C, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`,
  '',
  '| input | implementation | GB/s | calls/s | hardware speed-up |',
  '|---:|---|---:|---:|---:|',
];
for (let i = 0; i < results.length; i += implementations.length) {
  const hardware = results[i] as Result;
  for (const result of results.slice(i, i + implementations.length)) {
    const speedUp = hardware.callsPerSecond / result.callsPerSecond;
    lines.push(
      `| ${result.size} | ${result.implementation} | ${format(result.gigabytesPerSecond, 3)} | ${format(result.callsPerSecond, 0)} | ${result === hardware ? '' : `${format(speedUp, 1)}×`} |`,
    );
  }
}
console.log(lines.join('\n'));
console.log(`\n(check value 0xe3069283 agreed; sink ${sink >>> 0})`);
