import { z } from 'zod';
import { BenchmarkError } from './benchmark-error.js';

/** The smallest message: its first 8 bytes carry the send time (µs since the epoch, a big-endian double). */
export const MIN_MESSAGE_SIZE = 16;

/**
 * One workload, run the same way against every system (the OpenMessaging Benchmark's workload file,
 * trimmed to what a two-core machine can say something about). Rates are totals over all producers.
 */
export const WorkloadSpecSchema = z
  .object({
    /** Bytes per message, timestamp included. */
    messageSize: z.number().int().min(MIN_MESSAGE_SIZE).max(1_048_576),
    /** Partitions (Kafka), queues (RocketMQ), streams (NATS, Redis, RabbitMQ) per topic. */
    partitions: z.number().int().min(1).max(64),
    producers: z.number().int().min(1).max(32),
    consumers: z.number().int().min(1).max(32),
    /** Target of the throughput phase in msgs/s, or `max`: as fast as the client's window allows. */
    producerRate: z.union([z.literal('max'), z.number().int().min(1)]),
    /** Measured part of the throughput phase, after the warm-up. */
    durationSeconds: z.number().min(0.5).max(3600),
    /** Unmeasured start of each phase: connections, group joins, JIT, caches. */
    warmupSeconds: z.number().min(0).max(600),
    /** The fixed rate of the latency phase, msgs/s: the same for every system, so the latencies compare. */
    latencyRate: z.number().int().min(1).max(1_000_000),
    /** Measured part of the latency phase, after the warm-up. */
    latencyDurationSeconds: z.number().min(0.5).max(3600),
  })
  .strict();

/** A validated workload; see {@link WorkloadSpecSchema}. */
export type WorkloadSpec = z.infer<typeof WorkloadSpecSchema>;

/** A modest default for a shared two-core machine: one of each, 10 s measured, latency at 1,000 msgs/s. */
export const DEFAULT_WORKLOAD: Omit<WorkloadSpec, 'messageSize'> = {
  partitions: 1,
  producers: 1,
  consumers: 1,
  producerRate: 'max',
  durationSeconds: 10,
  warmupSeconds: 3,
  latencyRate: 1_000,
  latencyDurationSeconds: 8,
};

/**
 * Validates a workload; throws {@link BenchmarkError} `INVALID_SPEC` whose message names every bad field
 * and what it must be, e.g. `workload spec: messageSize: Too small: expected number to be >=16`.
 */
export function parseWorkloadSpec(input: unknown): WorkloadSpec {
  const result = WorkloadSpecSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(spec)';
    return `${field}: ${issue.message}`;
  });
  throw new BenchmarkError('INVALID_SPEC', `workload spec: ${problems.join('; ')}`);
}
