import { describe, expect, it } from 'vitest';
import { BenchmarkError } from './benchmark-error.js';
import { DEFAULT_WORKLOAD, parseWorkloadSpec } from './workload-spec.js';

const valid = { ...DEFAULT_WORKLOAD, messageSize: 1024 };

function failure(input: unknown): BenchmarkError {
  try {
    parseWorkloadSpec(input);
  } catch (error) {
    return error as BenchmarkError;
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseWorkloadSpec', () => {
  it('accepts the default workload at any size from 16 bytes', () => {
    expect(parseWorkloadSpec(valid)).toEqual(valid);
    expect(parseWorkloadSpec({ ...valid, messageSize: 16, producerRate: 5_000 }).producerRate).toBe(5_000);
  });

  it('names the field that is wrong, with the code INVALID_SPEC', () => {
    const error = failure({ ...valid, messageSize: 8 });
    expect(error).toBeInstanceOf(BenchmarkError);
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.message).toMatch(/^workload spec: messageSize: /);
    expect(error.message).toContain('16');
  });

  it('names every wrong field, a rate that is neither a number nor max, and an unknown field', () => {
    const message = failure({ ...valid, producerRate: 'fast', consumers: 0, partitons: 4 }).message;
    expect(message).toContain('producerRate');
    expect(message).toContain('consumers');
    expect(message).toContain('partitons');
  });

  it('names a missing field', () => {
    const { latencyRate: _dropped, ...rest } = valid;
    expect(failure(rest).message).toContain('latencyRate');
  });
});
