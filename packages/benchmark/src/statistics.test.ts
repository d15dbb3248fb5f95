import { describe, expect, it } from 'vitest';
import type { SystemResult } from './benchmark-runner.js';
import { comparePeers } from './comparison.js';
import { percentile, ratio, summariseLatencies } from './statistics.js';

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('is nearest-rank: a value that was measured', () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 0.999)).toBe(100);
    expect(percentile(hundred, 1)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([7], 0.999)).toBe(7);
  });

  it('is NaN for no samples', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summariseLatencies', () => {
  it('sorts microseconds and reports milliseconds', () => {
    const micros = Array.from({ length: 1000 }, (_, index) => (1000 - index) * 1000);
    const summary = summariseLatencies(micros);
    expect(summary).toEqual({ samples: 1000, p50Ms: 500, p99Ms: 990, p999Ms: 999, maxMs: 1000 });
    expect(micros[0]).toBe(1_000_000);
  });
});

describe('ratio', () => {
  it('divides Eddy by the peer, and has no answer without both or over zero', () => {
    expect(ratio(300, 100)).toBe(3);
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(undefined, 100)).toBeUndefined();
    expect(ratio(100, 0)).toBeUndefined();
    expect(ratio(Number.NaN, 1)).toBeUndefined();
  });
});

function result(
  system: SystemResult['system'],
  eddy: boolean,
  messageSize: number,
  produced: number,
  consumed: number,
  p99: number,
  rate = 1000,
  clientRuntime: 'node' | 'native' = system === 'eddy-kafka' ? 'native' : 'node',
): SystemResult {
  const counts = { messages: 0, bytes: 0 };
  return {
    system,
    label: system,
    broker: '',
    client: '',
    eddy,
    clientRuntime,
    messageSize,
    throughput: {
      rate: 'max',
      seconds: 1,
      produced: counts,
      consumed: counts,
      producedPerSecond: produced,
      producedMBps: 0,
      consumedPerSecond: consumed,
      consumedMBps: 0,
      brokerCpuSeconds: 0,
      clientCpuSeconds: 0,
      errors: 0,
    },
    latency: {
      samples: 1,
      p50Ms: p99 / 2,
      p99Ms: p99,
      p999Ms: p99 * 2,
      maxMs: p99 * 3,
      rate,
      seconds: 1,
      sent: 1,
      received: 1,
      brokerCpuSeconds: 0,
      errors: 0,
    },
  };
}

describe('comparePeers', () => {
  it('puts the best Eddy driver for each metric over each peer, size by size, and Eddy with the same client', () => {
    const comparisons = comparePeers([
      result('eddy-kafka', true, 1024, 100_000, 60_000, 8),
      result('eddy-kafkajs', true, 1024, 20_000, 90_000, 4),
      result('nats', false, 1024, 50_000, 30_000, 2),
      result('eddy-kafka', true, 100, 10, 10, 1),
      result('redis', false, 100, 40, 5, 4),
    ]);
    expect(comparisons).toEqual([
      {
        peer: 'nats',
        peerLabel: 'nats',
        messageSize: 1024,
        best: { produce: 2, consume: 3, p99: 2 },
        sameClient: { produce: 0.4, consume: 3, p99: 2 },
      },
      // At 100 B Eddy has only its native client: nothing like for like.
      {
        peer: 'redis',
        peerLabel: 'redis',
        messageSize: 100,
        best: { produce: 0.25, consume: 2, p99: 0.25 },
        sameClient: {},
      },
    ]);
  });

  it('compares latencies only at the same rate, and has nothing to say without Eddy', () => {
    const [comparison] = comparePeers([
      result('eddy-rocketmq', true, 100, 1, 1, 0.5, 200),
      result('eddy-kafka', true, 100, 1, 1, 3, 1000),
      result('redis', false, 100, 1, 1, 1, 1000),
    ]);
    expect(comparison?.best.p99).toBe(3);
    expect(comparison?.sameClient.p99).toBeUndefined();
    expect(comparePeers([result('redis', false, 100, 1, 1, 1)])).toEqual([]);
  });
});
