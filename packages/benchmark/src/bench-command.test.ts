import { describe, expect, it } from 'vitest';
import { measuringArguments, parseBenchArguments, parseLatencyRates, workloadFromFlags } from './bench-command.js';
import { BenchmarkError } from './benchmark-error.js';
import { DEFAULT_WORKLOAD } from './workload-spec.js';

describe('bench arguments', () => {
  it('reads systems, sizes and the rate', () => {
    const flags = parseBenchArguments(['--systems', 'eddy-kafka,nats', '--sizes', '1024,100', '--rate', '5000']);
    expect(flags.systems).toEqual(['eddy-kafka', 'nats']);
    expect(flags.sizes).toEqual([1024, 100]);
    expect(workloadFromFlags(flags).producerRate).toBe(5000);
  });

  it('names the flag that is wrong', () => {
    expect(() => parseBenchArguments(['--systems', 'eddy-kafka,kafka'])).toThrow(/^invalid --systems: /);
    expect(() => parseBenchArguments(['--sizes', '8'])).toThrow(/^invalid --sizes: /);
    expect(() => parseBenchArguments(['--bogus'])).toThrow(BenchmarkError);
  });

  it('--quick shortens the phases and a flag still wins over it', () => {
    const quick = workloadFromFlags(parseBenchArguments(['--quick']));
    expect(quick).toMatchObject({ warmupSeconds: 1, durationSeconds: 3, latencyDurationSeconds: 3 });
    expect(workloadFromFlags(parseBenchArguments(['--quick', '--duration', '5'])).durationSeconds).toBe(5);
    expect(workloadFromFlags(parseBenchArguments([]))).toEqual(DEFAULT_WORKLOAD);
  });

  it('takes a latency rate with per-system exceptions', () => {
    expect(parseLatencyRates('2000,nats=500')).toEqual({ rate: 2000, rates: { 'eddy-rocketmq': 200, nats: 500 } });
    expect(parseLatencyRates(undefined)).toEqual({ rates: { 'eddy-rocketmq': 200 } });
    expect(() => parseLatencyRates('2000,kafka=5')).toThrow("unknown system 'kafka'");
    expect(() => parseLatencyRates('0')).toThrow('not a rate');
  });

  it('shows the command without the flags that only say where results go', () => {
    const argv = ['--quick', '--json', 'r.json', '--svg=c.svg', '--no-docs', '--sizes', '100', '--docs', 'd.md'];
    expect(measuringArguments(argv)).toEqual(['--quick', '--sizes', '100']);
  });
});
