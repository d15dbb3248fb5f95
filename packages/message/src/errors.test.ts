import { describe, expect, it } from 'vitest';
import { EDDY_ERROR_CODES, EddyError } from './errors.js';

describe('EddyError', () => {
  it('carries its code, message and name, and is an Error', () => {
    const error = new EddyError('UNKNOWN_TOPIC', 'no topic orders');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('EddyError');
    expect(error.code).toBe('UNKNOWN_TOPIC');
    expect(error.message).toBe('no topic orders');
    expect(String(error)).toBe('EddyError: no topic orders');
    expect(error.stack).toContain('no topic orders');
  });

  it('defaults to not retriable, no details and no cause', () => {
    const error = new EddyError('INTERNAL', 'x');
    expect(error.retriable).toBe(false);
    expect(error.details).toBeUndefined();
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
  });

  it('keeps retriable, details and cause', () => {
    const cause = new Error('disk');
    const error = new EddyError('IO_ERROR', 'write failed', { retriable: true, details: { path: '/x' }, cause });
    expect(error.retriable).toBe(true);
    expect(error.details).toEqual({ path: '/x' });
    expect(error.cause).toBe(cause);
  });

  it('keeps a falsy cause other than undefined', () => {
    expect(new EddyError('INTERNAL', 'x', { cause: 0 }).cause).toBe(0);
    expect(new EddyError('INTERNAL', 'x', { cause: null }).cause).toBeNull();
  });

  it('has unique codes', () => {
    expect(new Set(EDDY_ERROR_CODES).size).toBe(EDDY_ERROR_CODES.length);
    expect(EDDY_ERROR_CODES).toContain('CORRUPT_DATA');
  });
});

describe('EddyError.is', () => {
  const error = new EddyError('TIMEOUT', 'slow', { retriable: true });

  it('recognises an EddyError with and without a code', () => {
    expect(EddyError.is(error)).toBe(true);
    expect(EddyError.is(error, 'TIMEOUT')).toBe(true);
    expect(EddyError.is(error, 'INTERNAL')).toBe(false);
  });

  it('refuses other values', () => {
    for (const value of [undefined, null, 0, 'TIMEOUT', new Error('slow'), {}, Symbol.for('eddy.error')]) {
      expect(EddyError.is(value)).toBe(false);
    }
  });

  it('refuses a plain object copy with the same fields', () => {
    const copy = { ...error, name: error.name, message: error.message, code: error.code };
    expect(copy.code).toBe('TIMEOUT');
    expect(EddyError.is(copy)).toBe(false);
    expect(EddyError.is(copy, 'TIMEOUT')).toBe(false);
    expect(EddyError.is(Object.assign(new Error('slow'), { code: 'TIMEOUT', name: 'EddyError' }))).toBe(false);
    expect(EddyError.is(JSON.parse(JSON.stringify(error)))).toBe(false);
  });

  it('recognises a branded error from another copy of the package (the brand is a registered symbol)', () => {
    const foreign = Object.defineProperty(new Error('elsewhere'), Symbol.for('eddy.error'), { value: true });
    Object.assign(foreign, { code: 'TIMEOUT' });
    expect(EddyError.is(foreign, 'TIMEOUT')).toBe(true);
    expect(foreign instanceof EddyError).toBe(false);
  });

  it('recognises a subclass', () => {
    class StoreError extends EddyError {}
    expect(EddyError.is(new StoreError('IO_ERROR', 'x'), 'IO_ERROR')).toBe(true);
  });
});
