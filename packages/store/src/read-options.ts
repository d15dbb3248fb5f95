import { EddyError, tagCode } from '@eddy/message';
import type { ReadOptions, ReadResult } from './message-store.js';

/** {@link ReadOptions} with every default applied. */
export interface ResolvedReadOptions {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly maxScan: number;
  /** `undefined` when every message matches. */
  readonly filter: TagFilter | undefined;
}

/** Default `maxMessages` of a read: RocketMQ's pull batch size. */
export const DEFAULT_READ_MAX_MESSAGES = 32;
/** Default `maxBytes` of a read. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;
/** Default `maxScan` of a filtered read. */
export const DEFAULT_READ_MAX_SCAN = 10_000;

/**
 * A tag filter with its tag codes, so that an index can skip entries by code and confirm a match on
 * the tag itself.
 */
export interface TagFilter {
  /** The tag codes (see `tagCode`) of the wanted tags. */
  readonly codes: ReadonlySet<number>;
  /** True when the tag is one of the wanted ones. */
  matches(tag: string | undefined): boolean;
}

/** A filter for these tags, or `undefined` when they mean "all" (no tags, or `*`). */
export function createTagFilter(tags: readonly string[] | undefined): TagFilter | undefined {
  if (tags === undefined || tags.length === 0 || tags.includes('*')) return undefined;
  const wanted = new Set(tags);
  return {
    codes: new Set(tags.map(tagCode)),
    matches: (tag) => tag !== undefined && wanted.has(tag),
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new EddyError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Applies defaults to read options and checks them.
 *
 * @throws `INVALID_ARGUMENT` for a non-positive or fractional limit.
 */
export function resolveReadOptions(options: ReadOptions = {}): ResolvedReadOptions {
  return {
    maxMessages: positiveInteger('maxMessages', options.maxMessages, DEFAULT_READ_MAX_MESSAGES),
    maxBytes: positiveInteger('maxBytes', options.maxBytes, DEFAULT_READ_MAX_BYTES),
    maxScan: positiveInteger('maxScan', options.maxScan, DEFAULT_READ_MAX_SCAN),
    filter: createTagFilter(options.tags),
  };
}

/**
 * The error for a read that did not succeed, for callers that treat it as one (an API that must name
 * the problem): `OFFSET_OUT_OF_RANGE` or `UNKNOWN_QUEUE`; `undefined` for an `ok` result.
 */
export function readResultError(
  result: ReadResult,
  topic: string,
  queueId: number,
  offset: number,
): EddyError | undefined {
  switch (result.status) {
    case 'ok':
      return undefined;
    case 'offset-out-of-range':
      return new EddyError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} of ${topic}/${queueId} is outside ${result.minOffset}…${result.maxOffset}`,
        { details: { topic, queueId, offset, minOffset: result.minOffset, maxOffset: result.maxOffset } },
      );
    case 'unknown-queue':
      return new EddyError('UNKNOWN_QUEUE', `no queue ${topic}/${queueId}`, { details: { topic, queueId } });
  }
}
