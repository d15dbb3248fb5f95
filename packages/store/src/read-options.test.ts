import { EddyError, tagCode } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import type { ReadResult } from './message-store.js';
import {
  createTagFilter,
  DEFAULT_READ_MAX_BYTES,
  DEFAULT_READ_MAX_MESSAGES,
  DEFAULT_READ_MAX_SCAN,
  readResultError,
  resolveReadOptions,
} from './read-options.js';

describe('resolveReadOptions', () => {
  it('applies the defaults', () => {
    expect(DEFAULT_READ_MAX_MESSAGES).toBe(32);
    expect(DEFAULT_READ_MAX_BYTES).toBe(4 * 1024 * 1024);
    expect(DEFAULT_READ_MAX_SCAN).toBe(10_000);
    const expected = { maxMessages: 32, maxBytes: 4 * 1024 * 1024, maxScan: 10_000, filter: undefined };
    expect(resolveReadOptions()).toEqual(expected);
    expect(resolveReadOptions({})).toEqual(expected);
    expect(resolveReadOptions({ maxMessages: undefined, tags: ['*'] })).toEqual(expected);
  });

  it('keeps given values and builds the tag filter', () => {
    const resolved = resolveReadOptions({ maxMessages: 1, maxBytes: 2, maxScan: 3, tags: ['a'] });
    expect(resolved).toMatchObject({ maxMessages: 1, maxBytes: 2, maxScan: 3 });
    expect(resolved.filter?.matches('a')).toBe(true);
  });

  it.each([
    ['maxMessages', 0],
    ['maxMessages', -1],
    ['maxBytes', 1.5],
    ['maxBytes', Number.NaN],
    ['maxScan', Number.POSITIVE_INFINITY],
    ['maxScan', 0],
  ])('refuses %s = %d with INVALID_ARGUMENT naming the option', (name, value) => {
    let error: unknown;
    try {
      resolveReadOptions({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(EddyError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as EddyError).message).toBe(`${name} must be a positive integer, got ${value}`);
  });
});

describe('createTagFilter', () => {
  it.each([[undefined], [[]], [['*']], [['a', '*']]])('means "all" for %j', (tags) => {
    expect(createTagFilter(tags)).toBeUndefined();
  });

  it('carries the tag codes of the wanted tags', () => {
    const filter = createTagFilter(['a', 'b', 'a']);
    expect(filter?.codes).toEqual(new Set([tagCode('a'), tagCode('b')]));
    expect(filter?.codes.has(0)).toBe(false);
  });

  it('matches exactly: no prefixes, no case folding, no untagged messages', () => {
    const filter = createTagFilter(['TagA', 'b']);
    expect(filter?.matches('TagA')).toBe(true);
    expect(filter?.matches('b')).toBe(true);
    for (const tag of ['taga', 'Tag', 'TagAB', ' TagA', 'c', '', undefined]) expect(filter?.matches(tag)).toBe(false);
  });

  it('confirms on the tag, not the code, when two tags share a code', () => {
    // 'costarring' and 'liquid' are a known FNV-1a 32 collision.
    expect(tagCode('costarring')).toBe(tagCode('liquid'));
    const filter = createTagFilter(['costarring']);
    expect(filter?.codes.has(tagCode('liquid'))).toBe(true);
    expect(filter?.matches('liquid')).toBe(false);
  });
});

describe('readResultError', () => {
  it('is undefined for an ok result', () => {
    const ok: ReadResult = { status: 'ok', messages: [], nextOffset: 0, minOffset: 0, maxOffset: 0 };
    expect(readResultError(ok, 't', 0, 0)).toBeUndefined();
  });

  it('maps offset-out-of-range to OFFSET_OUT_OF_RANGE with the range', () => {
    const error = readResultError({ status: 'offset-out-of-range', minOffset: 5, maxOffset: 9 }, 'orders', 2, 12);
    expect(EddyError.is(error, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    expect(error?.message).toBe('offset 12 of orders/2 is outside 5…9');
    expect(error?.details).toEqual({ topic: 'orders', queueId: 2, offset: 12, minOffset: 5, maxOffset: 9 });
    expect(error?.retriable).toBe(false);
  });

  it('maps unknown-queue to UNKNOWN_QUEUE', () => {
    const error = readResultError({ status: 'unknown-queue' }, 'orders', 3, 0);
    expect(EddyError.is(error, 'UNKNOWN_QUEUE')).toBe(true);
    expect(error?.message).toBe('no queue orders/3');
    expect(error?.details).toEqual({ topic: 'orders', queueId: 3 });
  });
});
