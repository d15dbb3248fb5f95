import { parseWithSchema } from '@eddy/message';
import { z } from 'zod';
import { Histogram } from './histogram.js';
import { type MetricFamily, type MetricSample, renderPrometheusText } from './prometheus-text.js';

/**
 * Default bounds of `eddy_rpc_duration_seconds`: Prometheus's defaults widened down to 0.5 ms (most
 * broker RPCs are sub-millisecond) and up to 60 s (a long-polling receive waits up to 30 s by design).
 */
export const DEFAULT_RPC_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Default bounds of `eddy_flush_duration_seconds`: from 100 µs (page cache) to 5 s (a stalled disk). */
export const DEFAULT_FLUSH_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The label value that RPC names and codes beyond `maxRpcSeries` are counted under. */
export const OVERFLOW_LABEL = '(other)';

const Bounds = z
  .array(z.number().positive().finite())
  .min(1)
  .max(64)
  .refine((bounds) => bounds.every((bound, index) => index === 0 || bound > (bounds[index - 1] as number)), {
    message: 'bucket bounds must be strictly ascending',
  });

/** Options of {@link MetricsRegistry}; every field has a default. */
export const MetricsRegistryOptionsSchema = z
  .object({
    /** Upper bounds of the RPC latency buckets, seconds. */
    rpcBucketsSeconds: Bounds.default([...DEFAULT_RPC_BUCKETS_SECONDS]),
    /** Upper bounds of the flush latency buckets, seconds. */
    flushBucketsSeconds: Bounds.default([...DEFAULT_FLUSH_BUCKETS_SECONDS]),
    /**
     * Most distinct RPC names, and most distinct (RPC, code) pairs, kept apart; later ones are counted
     * under {@link OVERFLOW_LABEL}. RPC names can come from clients (an unknown gRPC method), and every
     * label value is a time series a scraper keeps forever.
     */
    maxRpcSeries: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

/** What {@link MetricsRegistry} accepts (see {@link MetricsRegistryOptionsSchema}). */
export type MetricsRegistryOptions = z.input<typeof MetricsRegistryOptionsSchema>;

/**
 * The metrics Eddy's own code measures in process: RPC latency and outcome (the gateways call
 * {@link MetricsRegistry.observeRpc}) and store flush latency (the server app calls
 * {@link MetricsRegistry.observeFlush}). Counters the broker keeps itself are read from the broker at
 * scrape time and passed to {@link MetricsRegistry.render} as `extra` families.
 *
 * Observing never throws and costs a map look-up and a short bucket scan. One registry per broker
 * process; nothing is global, so tests make as many as they like.
 */
export class MetricsRegistry {
  readonly #rpcBuckets: readonly number[];
  readonly #maxRpcSeries: number;
  readonly #rpcDurations = new Map<string, Histogram>();
  // Keyed by JSON.stringify([rpc, code]) so that no separator character can make two pairs collide.
  readonly #rpcRequests = new Map<string, { rpc: string; code: string; count: number }>();
  readonly #flushDurations: Histogram;

  /** @throws `INVALID_CONFIG` naming the bad option. */
  constructor(options: MetricsRegistryOptions = {}) {
    const config = parseWithSchema(MetricsRegistryOptionsSchema, options, 'metrics registry options');
    this.#rpcBuckets = config.rpcBucketsSeconds;
    this.#maxRpcSeries = config.maxRpcSeries;
    this.#flushDurations = new Histogram(config.flushBucketsSeconds);
  }

  /**
   * Records one finished RPC: its latency in `eddy_rpc_duration_seconds{rpc}` and one more
   * `eddy_rpc_requests_total{rpc,code}`.
   *
   * @param rpc the RPC's name, e.g. `SendMessage`.
   * @param durationMs how long it took, ms. Negative values (a clock stepped back) count as 0; a
   * non-finite one counts the request but not its latency.
   * @param code the outcome, e.g. `OK` or a protocol status name.
   */
  observeRpc(rpc: string, durationMs: number, code: string): void {
    let histogram = this.#rpcDurations.get(rpc);
    if (histogram === undefined) {
      const name = this.#rpcDurations.size < this.#maxRpcSeries - 1 ? rpc : OVERFLOW_LABEL;
      histogram = this.#rpcDurations.get(name);
      if (histogram === undefined) {
        histogram = new Histogram(this.#rpcBuckets);
        this.#rpcDurations.set(name, histogram);
      }
    }
    observeMs(histogram, durationMs);

    let key = JSON.stringify([rpc, code]);
    let counter = this.#rpcRequests.get(key);
    if (counter === undefined && this.#rpcRequests.size >= this.#maxRpcSeries - 1) {
      key = JSON.stringify([OVERFLOW_LABEL, OVERFLOW_LABEL]);
      counter = this.#rpcRequests.get(key);
      if (counter === undefined) {
        counter = { rpc: OVERFLOW_LABEL, code: OVERFLOW_LABEL, count: 0 };
        this.#rpcRequests.set(key, counter);
      }
    } else if (counter === undefined) {
      counter = { rpc, code, count: 0 };
      this.#rpcRequests.set(key, counter);
    }
    counter.count++;
  }

  /** Records one store flush's latency in `eddy_flush_duration_seconds`, ms (same rules as {@link MetricsRegistry.observeRpc}). */
  observeFlush(durationMs: number): void {
    observeMs(this.#flushDurations, durationMs);
  }

  /** The registry's own families, sorted by label values so that output is stable. */
  families(): MetricFamily[] {
    const rpcSeries = [...this.#rpcDurations]
      .sort(([left], [right]) => compare(left, right))
      .map(([rpc, histogram]) => ({ labels: { rpc }, ...histogram.snapshot() }));
    const requestSamples: MetricSample[] = [...this.#rpcRequests.values()]
      .sort((left, right) => compare(left.rpc, right.rpc) || compare(left.code, right.code))
      .map(({ rpc, code, count }) => ({ labels: { rpc, code }, value: count }));
    return [
      {
        name: 'eddy_rpc_duration_seconds',
        help: 'Latency of protocol RPCs served by the broker, by RPC.',
        type: 'histogram',
        series: rpcSeries,
      },
      {
        name: 'eddy_rpc_requests_total',
        help: 'Protocol RPCs served by the broker, by RPC and outcome code.',
        type: 'counter',
        samples: requestSamples,
      },
      {
        name: 'eddy_flush_duration_seconds',
        help: 'Latency of store flushes.',
        type: 'histogram',
        series: [this.#flushDurations.snapshot()],
      },
    ];
  }

  /**
   * The Prometheus text exposition (format 0.0.4) of `extra` (e.g. the broker's counters, read at
   * scrape time) followed by the registry's own families.
   *
   * @throws `INVALID_ARGUMENT` when `extra` holds an invalid name or repeats a family name.
   */
  render(extra: readonly MetricFamily[] = []): string {
    return renderPrometheusText([...extra, ...this.families()]);
  }
}

function observeMs(histogram: Histogram, durationMs: number): void {
  if (!Number.isFinite(durationMs)) return;
  histogram.observe(Math.max(0, durationMs) / 1000);
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
