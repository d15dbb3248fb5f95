import { EDDY_ERROR_CODES } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, statusOfErrorCode } from './error-status.js';

describe('ERROR_STATUS', () => {
  it('gives every EddyError code a 4xx or 5xx status', () => {
    for (const code of EDDY_ERROR_CODES) {
      expect(ERROR_STATUS[code], code).toBeGreaterThanOrEqual(400);
      expect(ERROR_STATUS[code], code).toBeLessThan(600);
    }
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...EDDY_ERROR_CODES].sort());
  });

  it.each([
    ['UNKNOWN_TOPIC', 404],
    ['NOT_FOUND', 404],
    ['TOPIC_EXISTS', 409],
    ['INVALID_NAME', 400],
    ['INVALID_ARGUMENT', 400],
    ['RESERVED_NAME', 400],
    ['RESERVED_PROPERTY', 400],
    ['PERMISSION_DENIED', 403],
    ['STORE_CLOSED', 503],
    ['INTERNAL', 500],
  ] as const)('maps %s to %i', (code, status) => {
    expect(statusOfErrorCode(code)).toBe(status);
  });

  it('maps every INVALID_* and RESERVED_* code to 400', () => {
    for (const code of EDDY_ERROR_CODES.filter((name) => /^(INVALID|RESERVED)_/.test(name))) {
      expect(statusOfErrorCode(code), code).toBe(400);
    }
  });
});
