import { EddyError, type EddyErrorCode, type Message, type StoredMessage } from '@eddy/message';
import type { MessageStore, ReadOptions, ReadResult } from '@eddy/store';
import { expect } from 'vitest';

/** The stored message's position and time, as the suite expects them. */
export interface ExpectedPosition {
  readonly queueId: number;
  readonly queueOffset: number;
  /** Omit to check only that it is a number. */
  readonly storeTimestamp?: number;
}

/** Every field of a message but its body, which is compared byte by byte instead. */
function fieldsOf(message: Message): Record<string, unknown> {
  return {
    topic: message.topic,
    keys: [...message.keys],
    tag: message.tag,
    properties: propertyEntries(message.properties),
    messageId: message.messageId,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    producerGroup: message.producerGroup,
    messageGroup: message.messageGroup,
    deliveryTimestamp: message.deliveryTimestamp,
    transaction: message.transaction,
    reconsumeTimes: message.reconsumeTimes,
  };
}

// Own entries, sorted, so that a property named `__proto__` is compared as data and a decoder that
// turned it into a prototype (and lost it) is caught.
function propertyEntries(properties: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Asserts that two byte sequences are equal without printing megabytes on failure. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'body'): void {
  expect(actual, `${what} should be a Uint8Array`).toBeInstanceOf(Uint8Array);
  expect(actual.byteLength, `${what} length`).toBe(expected.byteLength);
  const same = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
  );
  expect(same, `${what} bytes should round-trip exactly`).toBe(true);
}

/** A message as plain data, so that two stores' contents compare with one `toEqual`. */
export function plainMessage(message: StoredMessage): Record<string, unknown> {
  return {
    topic: message.topic,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    storeTimestamp: message.storeTimestamp,
    body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength).toString('hex'),
    keys: [...message.keys],
    tag: message.tag,
    properties: propertyEntries(message.properties),
    messageId: message.messageId,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    producerGroup: message.producerGroup,
    messageGroup: message.messageGroup,
    deliveryTimestamp: message.deliveryTimestamp,
    transaction: message.transaction,
    reconsumeTimes: message.reconsumeTimes,
  };
}

/** Asserts that `actual` is `expected` as stored at `position`: every field, byte-exact body. */
export function expectStoredMessage(
  actual: StoredMessage | undefined,
  expected: Message,
  position: ExpectedPosition,
): void {
  expect(actual, `message ${expected.messageId} should be there`).toBeDefined();
  const stored = actual as StoredMessage;
  expect(fieldsOf(stored)).toEqual(fieldsOf(expected));
  expectBytes(stored.body, expected.body);
  expect(stored.queueId).toBe(position.queueId);
  expect(stored.queueOffset).toBe(position.queueOffset);
  if (position.storeTimestamp === undefined) expect(Number.isSafeInteger(stored.storeTimestamp)).toBe(true);
  else expect(stored.storeTimestamp).toBe(position.storeTimestamp);
}

/**
 * Asserts that the call returns a promise that rejects with an {@link EddyError} of `code`. A
 * synchronous throw fails: callers chain `.catch()` on the promise and would miss it.
 */
export async function expectEddyError(call: () => Promise<unknown>, code: EddyErrorCode): Promise<EddyError> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    expect.fail(`expected a promise rejecting with ${code}, but the call threw synchronously: ${String(error)}`);
  }
  const outcome = await Promise.resolve(promise).then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) expect.fail(`expected a rejection with ${code}, but it resolved with ${show(outcome.value)}`);
  const error = outcome.error;
  if (!EddyError.is(error)) expect.fail(`expected an EddyError with code ${code}, got ${String(error)}`);
  expect(error.code, error.message).toBe(code);
  return error;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Narrows a read result to `ok`, failing the test with the actual status otherwise. */
export function expectOk(result: ReadResult): Extract<ReadResult, { status: 'ok' }> {
  if (result.status !== 'ok') expect.fail(`expected an ok read, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * Asserts what every tag-filtered read must satisfy, whatever an engine's scan granularity: it moves
 * on, stays within the queue and `maxScan`, and returns exactly the matches among the entries it passed.
 */
export function expectFilteredRead(
  result: ReadResult,
  stored: readonly Message[],
  offset: number,
  wanted: ReadonlySet<string>,
  maxScan?: number,
): Extract<ReadResult, { status: 'ok' }> {
  const ok = expectOk(result);
  if (offset < ok.maxOffset) expect(ok.nextOffset, 'a filtered read must move on').toBeGreaterThan(offset);
  expect(ok.nextOffset).toBeLessThanOrEqual(ok.maxOffset);
  if (maxScan !== undefined) expect(ok.nextOffset - offset, 'entries looked at').toBeLessThanOrEqual(maxScan);
  const passed = stored
    .map((message, queueOffset) => ({ message, queueOffset }))
    .slice(offset, ok.nextOffset)
    .filter(({ message }) => message.tag !== undefined && wanted.has(message.tag));
  const returned = ok.messages.map((message) => message.queueOffset);
  // A read cut short by maxMessages or maxBytes returns a prefix of the matches it passed and must
  // then resume right after its last message.
  expect(returned).toEqual(passed.slice(0, returned.length).map(({ queueOffset }) => queueOffset));
  if (returned.length < passed.length) {
    expect(
      returned.length,
      `the read passed matches at ${passed.map(({ queueOffset }) => queueOffset)} and returned none`,
    ).toBeGreaterThan(0);
    expect(ok.nextOffset, 'a read cut short resumes after its last message').toBe((returned.at(-1) as number) + 1);
  }
  return ok;
}

/** Reads from `offset` to the end of the queue, following `nextOffset`; fails if a read makes no progress. */
export async function readToEnd(
  store: MessageStore,
  topic: string,
  queueId: number,
  offset: number,
  options: ReadOptions = {},
): Promise<StoredMessage[]> {
  const messages: StoredMessage[] = [];
  let position = offset;
  for (;;) {
    const result = expectOk(await store.read(topic, queueId, position, options));
    messages.push(...result.messages);
    if (position >= result.maxOffset) return messages;
    expect(result.nextOffset, `a read at ${position} below the end must move on`).toBeGreaterThan(position);
    position = result.nextOffset;
  }
}

/** A small deterministic random source (mulberry32), so that "random" sizes are the same on every run. */
export function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

/** Bytes `0, 1, 2, …` (mod 256) offset by `seed`, so that bodies differ and a shifted copy shows. */
export function patternBytes(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}
