/**
 * The value below which `fraction` of the samples fall, nearest-rank (no interpolation, so the answer is
 * a latency that was measured). `sorted` ascending; NaN when it is empty.
 */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50, p99, p99.9 and max of a latency sample, in milliseconds. */
export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** Summarises end-to-end latencies given in microseconds (sorted here; the input is not changed). */
export function summariseLatencies(micros: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(micros).sort();
  const values = Array.from(sorted, (value) => value / 1000);
  return {
    samples: values.length,
    p50Ms: percentile(values, 0.5),
    p99Ms: percentile(values, 0.99),
    p999Ms: percentile(values, 0.999),
    maxMs: values.length === 0 ? Number.NaN : (values[values.length - 1] as number),
  };
}

/** `eddy / peer`, or undefined when either is missing or the peer measured zero (no ratio to speak of). */
export function ratio(eddy: number | undefined, peer: number | undefined): number | undefined {
  if (eddy === undefined || peer === undefined || !Number.isFinite(eddy) || !Number.isFinite(peer)) return undefined;
  if (peer === 0) return undefined;
  return eddy / peer;
}
