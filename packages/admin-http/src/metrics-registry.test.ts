import { EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry, OVERFLOW_LABEL } from './metrics-registry.js';

// The lines of `text` that start with `prefix`, without comments.
function samples(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('MetricsRegistry', () => {
  it('renders RPC latency per RPC in seconds and request counts per RPC and code', () => {
    // Binary fractions, so that the sums are exact.
    const metrics = new MetricsRegistry({ rpcBucketsSeconds: [0.25, 0.5, 1] });
    metrics.observeRpc('SendMessage', 250, 'OK');
    metrics.observeRpc('SendMessage', 500, 'OK');
    metrics.observeRpc('SendMessage', 1000, 'TOPIC_NOT_FOUND');
    metrics.observeRpc('AckMessage', 2000, 'OK');
    const text = metrics.render();

    expect(samples(text, 'eddy_rpc_duration_seconds')).toEqual([
      'eddy_rpc_duration_seconds_bucket{rpc="AckMessage",le="0.25"} 0',
      'eddy_rpc_duration_seconds_bucket{rpc="AckMessage",le="0.5"} 0',
      'eddy_rpc_duration_seconds_bucket{rpc="AckMessage",le="1"} 0',
      'eddy_rpc_duration_seconds_bucket{rpc="AckMessage",le="+Inf"} 1',
      'eddy_rpc_duration_seconds_sum{rpc="AckMessage"} 2',
      'eddy_rpc_duration_seconds_count{rpc="AckMessage"} 1',
      'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="0.25"} 1',
      'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="0.5"} 2',
      'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="1"} 3',
      'eddy_rpc_duration_seconds_bucket{rpc="SendMessage",le="+Inf"} 3',
      'eddy_rpc_duration_seconds_sum{rpc="SendMessage"} 1.75',
      'eddy_rpc_duration_seconds_count{rpc="SendMessage"} 3',
    ]);
    expect(samples(text, 'eddy_rpc_requests_total')).toEqual([
      'eddy_rpc_requests_total{rpc="AckMessage",code="OK"} 1',
      'eddy_rpc_requests_total{rpc="SendMessage",code="OK"} 2',
      'eddy_rpc_requests_total{rpc="SendMessage",code="TOPIC_NOT_FOUND"} 1',
    ]);
    expect(text).toContain('# TYPE eddy_rpc_duration_seconds histogram\n');
    expect(text).toContain('# TYPE eddy_rpc_requests_total counter\n');
  });

  it('renders flush latency as an unlabelled histogram, present before the first flush', () => {
    const metrics = new MetricsRegistry({ flushBucketsSeconds: [0.001, 0.1] });
    expect(samples(metrics.render(), 'eddy_flush_duration_seconds')).toEqual([
      'eddy_flush_duration_seconds_bucket{le="0.001"} 0',
      'eddy_flush_duration_seconds_bucket{le="0.1"} 0',
      'eddy_flush_duration_seconds_bucket{le="+Inf"} 0',
      'eddy_flush_duration_seconds_sum 0',
      'eddy_flush_duration_seconds_count 0',
    ]);
    metrics.observeFlush(50);
    expect(samples(metrics.render(), 'eddy_flush_duration_seconds_b')).toEqual([
      'eddy_flush_duration_seconds_bucket{le="0.001"} 0',
      'eddy_flush_duration_seconds_bucket{le="0.1"} 1',
      'eddy_flush_duration_seconds_bucket{le="+Inf"} 1',
    ]);
  });

  it('counts a negative duration as 0 and a non-finite one as a request without latency', () => {
    const metrics = new MetricsRegistry({ rpcBucketsSeconds: [1] });
    metrics.observeRpc('Pull', -5, 'OK');
    metrics.observeRpc('Pull', Number.NaN, 'OK');
    metrics.observeRpc('Pull', Number.POSITIVE_INFINITY, 'OK');
    const text = metrics.render();
    expect(samples(text, 'eddy_rpc_duration_seconds_count')).toEqual(['eddy_rpc_duration_seconds_count{rpc="Pull"} 1']);
    expect(samples(text, 'eddy_rpc_duration_seconds_sum')).toEqual(['eddy_rpc_duration_seconds_sum{rpc="Pull"} 0']);
    expect(samples(text, 'eddy_rpc_requests_total')).toEqual(['eddy_rpc_requests_total{rpc="Pull",code="OK"} 3']);
  });

  it(`folds RPC names and codes beyond maxRpcSeries into ${OVERFLOW_LABEL}, bounding the series a client can create`, () => {
    const metrics = new MetricsRegistry({ rpcBucketsSeconds: [1], maxRpcSeries: 3 });
    for (const rpc of ['a', 'b', 'c', 'd', 'e']) metrics.observeRpc(rpc, 1, 'OK');
    metrics.observeRpc('a', 1, 'OK');
    const text = metrics.render();
    expect(samples(text, 'eddy_rpc_duration_seconds_count')).toEqual([
      'eddy_rpc_duration_seconds_count{rpc="(other)"} 3',
      'eddy_rpc_duration_seconds_count{rpc="a"} 2',
      'eddy_rpc_duration_seconds_count{rpc="b"} 1',
    ]);
    expect(samples(text, 'eddy_rpc_requests_total')).toEqual([
      'eddy_rpc_requests_total{rpc="(other)",code="(other)"} 3',
      'eddy_rpc_requests_total{rpc="a",code="OK"} 2',
      'eddy_rpc_requests_total{rpc="b",code="OK"} 1',
    ]);
  });

  it('keeps label values with separators apart and escapes them', () => {
    const metrics = new MetricsRegistry();
    metrics.observeRpc('a","b', 1, 'c');
    metrics.observeRpc('a', 1, 'b","c');
    expect(samples(metrics.render(), 'eddy_rpc_requests_total')).toEqual([
      'eddy_rpc_requests_total{rpc="a",code="b\\",\\"c"} 1',
      'eddy_rpc_requests_total{rpc="a\\",\\"b",code="c"} 1',
    ]);
  });

  it('renders extra families first and refuses one that repeats a registry family', () => {
    const metrics = new MetricsRegistry();
    const text = metrics.render([{ name: 'eddy_up', help: 'Up.', type: 'gauge', samples: [{ value: 1 }] }]);
    expect(
      text.startsWith('# HELP eddy_up Up.\n# TYPE eddy_up gauge\neddy_up 1\n# HELP eddy_rpc_duration_seconds'),
    ).toBe(true);
    expect(() => metrics.render([{ name: 'eddy_rpc_requests_total', help: '', type: 'counter', samples: [] }])).toThrow(
      /given twice/,
    );
  });

  it('validates its options, naming the field', () => {
    expect(() => new MetricsRegistry({ rpcBucketsSeconds: [1, 0.5] })).toThrow(/rpcBucketsSeconds: bucket bounds/);
    expect(() => new MetricsRegistry({ maxRpcSeries: 0 })).toThrow(/maxRpcSeries/);
    let thrown: unknown;
    try {
      new MetricsRegistry({ flushBucketsSeconds: [] });
    } catch (error) {
      thrown = error;
    }
    expect(EddyError.is(thrown, 'INVALID_CONFIG')).toBe(true);
  });

  it('keeps registries apart', () => {
    const one = new MetricsRegistry();
    const two = new MetricsRegistry();
    one.observeRpc('Send', 1, 'OK');
    expect(samples(two.render(), 'eddy_rpc_requests_total')).toEqual([]);
  });
});
