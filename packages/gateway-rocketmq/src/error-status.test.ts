import { EDDY_ERROR_CODES, EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { isServerFault, ROCKETMQ_CODE_OF_ERROR, statusOfError } from './error-status.js';
import { combineStatuses, OK_STATUS, statusOf } from './status.js';

describe('error table', () => {
  it('has a RocketMQ code for every Eddy code', () => {
    expect(Object.keys(ROCKETMQ_CODE_OF_ERROR).sort()).toEqual([...EDDY_ERROR_CODES].sort());
  });

  it.each([
    ['UNKNOWN_TOPIC', 'TOPIC_NOT_FOUND'],
    ['MESSAGE_TOO_LARGE', 'MESSAGE_BODY_TOO_LARGE'],
    ['RESERVED_PROPERTY', 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
    ['PROPERTIES_TOO_LARGE', 'MESSAGE_PROPERTIES_TOO_LARGE'],
    ['INVALID_FILTER', 'ILLEGAL_FILTER_EXPRESSION'],
    ['ILLEGAL_DELIVERY_TIME', 'ILLEGAL_DELIVERY_TIME'],
    ['PERMISSION_DENIED', 'FORBIDDEN'],
    ['INVALID_NAME', 'ILLEGAL_TOPIC'],
    ['INVALID_ARGUMENT', 'BAD_REQUEST'],
    ['IO_ERROR', 'INTERNAL_ERROR'],
  ] as const)('maps %s to %s, keeping the message', (code, expected) => {
    expect(statusOfError(new EddyError(code, 'what happened'))).toEqual({ code: expected, message: 'what happened' });
  });

  it('answers anything else with INTERNAL_ERROR without leaking its text', () => {
    const status = statusOfError(new TypeError('secret internals'));
    expect(status.code).toBe('INTERNAL_ERROR');
    expect(status.message).not.toContain('secret');
  });

  it('counts unexpected errors and server-side codes as faults, client mistakes not', () => {
    expect(isServerFault(new Error('bug'))).toBe(true);
    expect(isServerFault(new EddyError('IO_ERROR', 'disk'))).toBe(true);
    expect(isServerFault(new EddyError('UNKNOWN_TOPIC', 'no such topic'))).toBe(false);
  });
});

describe('combineStatuses', () => {
  it('is OK for none or all OK, the shared failure when all fail alike, else MULTIPLE_RESULTS', () => {
    const stale = statusOf('INVALID_RECEIPT_HANDLE', 'stale');
    expect(combineStatuses([])).toBe(OK_STATUS);
    expect(combineStatuses([OK_STATUS, OK_STATUS])).toBe(OK_STATUS);
    expect(combineStatuses([stale, stale])).toBe(stale);
    expect(combineStatuses([OK_STATUS, stale]).code).toBe('MULTIPLE_RESULTS');
  });
});
