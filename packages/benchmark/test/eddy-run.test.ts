import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../src/benchmark-runner.js';
import { renderMarkdownSection } from '../src/markdown-report.js';

const SERVER_MAIN = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));
const SIZE = 100;

// One short real run against Eddy only: a child `eddy start` per system, kafkajs and the RocketMQ gRPC
// client, a few hundred messages at a low fixed rate. Peers are not installed in CI, so none runs here.
describe('a real run against Eddy', () => {
  it('measures kafkajs and RocketMQ gRPC throughput and latency with consistent counts', async () => {
    const report = await runBenchmark({
      systems: ['eddy-kafkajs', 'eddy-rocketmq'],
      sizes: [SIZE],
      workload: {
        partitions: 2,
        producers: 1,
        consumers: 1,
        producerRate: 200,
        warmupSeconds: 2,
        durationSeconds: 2,
        latencyRate: 100,
        latencyDurationSeconds: 2,
      },
      serverMain: SERVER_MAIN,
      diskProbeBytes: 8 * 1024 * 1024,
      command: 'test',
    });
    expect(report.results.map((result) => [result.system, result.messageSize, result.failure])).toEqual([
      ['eddy-kafkajs', SIZE, undefined],
      ['eddy-rocketmq', SIZE, undefined],
    ]);
    expect(report.diskWriteMBps).toBeGreaterThan(0);
    for (const result of report.results) {
      const { throughput, latency } = result;
      expect(throughput?.errors).toBe(0);
      expect(throughput?.produced.messages).toBeGreaterThan(0);
      expect(throughput?.consumed.messages).toBeGreaterThan(0);
      expect(throughput?.producedPerSecond).toBeGreaterThan(0);
      expect(throughput?.consumedPerSecond).toBeGreaterThan(0);
      // Every message is SIZE bytes on both sides, and the rates are the window's counts over its length.
      expect(throughput?.produced.bytes).toBe((throughput?.produced.messages ?? 0) * SIZE);
      expect(throughput?.consumed.bytes).toBe((throughput?.consumed.messages ?? 0) * SIZE);
      expect(throughput?.producedPerSecond).toBeCloseTo(
        (throughput?.produced.messages ?? 0) / (throughput?.seconds ?? 1),
        6,
      );
      expect(throughput?.brokerCpuSeconds).toBeGreaterThan(0);
      expect(latency?.errors).toBe(0);
      expect(latency?.rate).toBe(100);
      // Each message received in the window gives one latency sample, read from its payload.
      expect(latency?.samples).toBe(latency?.received);
      expect(latency?.samples).toBeGreaterThan(0);
      expect(latency?.p50Ms).toBeGreaterThan(0);
      expect(latency?.p50Ms).toBeLessThanOrEqual(latency?.p99Ms ?? 0);
      expect(latency?.p99Ms).toBeLessThanOrEqual(latency?.p999Ms ?? 0);
    }
    const section = renderMarkdownSection(report);
    expect(section).toContain('| Eddy · Kafka · kafkajs | 100 B | 200/s |');
    expect(section).toContain('| Eddy · RocketMQ gRPC · Node | 100 B | 100/s |');
  }, 180_000);
});
