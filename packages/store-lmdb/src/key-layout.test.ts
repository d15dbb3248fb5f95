import { describe, expect, it } from 'vitest';
import {
  decodeQueueState,
  encodeQueueState,
  keyIndexPrefix,
  messageKey,
  parseMessageKey,
  prefixEnd,
  queueKey,
  token,
  withSequence,
} from './key-layout.js';

describe('key layout', () => {
  it('orders message keys by topic id, then queue id, then offset, past 32-bit offsets', () => {
    const keys = [
      messageKey(2, 0, 0),
      messageKey(1, 1, 0),
      messageKey(1, 0, 2 ** 32),
      messageKey(1, 0, 255),
      messageKey(1, 0, 256),
      messageKey(1, 0, 0),
      messageKey(1, 65535, 1),
      messageKey(1, 0, Number.MAX_SAFE_INTEGER),
    ];
    const sorted = [...keys].sort(Buffer.compare).map(parseMessageKey);
    expect(sorted).toEqual([
      { topicId: 1, queueId: 0, offset: 0 },
      { topicId: 1, queueId: 0, offset: 255 },
      { topicId: 1, queueId: 0, offset: 256 },
      { topicId: 1, queueId: 0, offset: 2 ** 32 },
      { topicId: 1, queueId: 0, offset: Number.MAX_SAFE_INTEGER },
      { topicId: 1, queueId: 1, offset: 0 },
      { topicId: 1, queueId: 65535, offset: 1 },
      { topicId: 2, queueId: 0, offset: 0 },
    ]);
  });

  it('puts a queue key before every message key of that queue and after those of the queue before', () => {
    expect(Buffer.compare(queueKey(3, 7), messageKey(3, 7, 0))).toBeLessThan(0);
    expect(Buffer.compare(messageKey(3, 6, Number.MAX_SAFE_INTEGER), queueKey(3, 7))).toBeLessThan(0);
  });

  it('makes tokens that are never a prefix of another string’s token', () => {
    const values = ['a', 'ab', 'abc', '', 'b', 'é', 'a\u0000'];
    for (const left of values) {
      for (const right of values) {
        if (left === right) continue;
        const a = withSequence(token(left), 0);
        const b = token(right);
        expect(a.subarray(0, b.byteLength).equals(b), `${left} / ${right}`).toBe(false);
      }
    }
  });

  it('hashes long strings into short tokens, distinct for distinct strings', () => {
    const long = 'x'.repeat(5000);
    expect(token(long).byteLength).toBe(34);
    expect(token(long).equals(token(`${long}y`))).toBe(false);
    expect(token(long).equals(token(long))).toBe(true);
    expect(token('x'.repeat(1024)).byteLength).toBe(1026);
  });

  it('orders index entries of one key by sequence, so a reverse walk is newest first', () => {
    const prefix = keyIndexPrefix(9, 'order-1');
    const entries = [5, 2 ** 40, 0, 300].map((sequence) => withSequence(prefix, sequence)).sort(Buffer.compare);
    expect(entries.map((entry) => entry.readUInt32BE(entry.byteLength - 4))).toEqual([0, 5, 300, 0]);
    for (const entry of entries) expect(Buffer.compare(entry, prefixEnd(prefix) as Buffer)).toBeLessThan(0);
  });

  it('finds the end of a prefix range, and none for all-0xFF', () => {
    expect(prefixEnd(Buffer.from([1, 2, 3]))).toEqual(Buffer.from([1, 2, 4]));
    expect(prefixEnd(Buffer.from([1, 0xff, 0xff]))).toEqual(Buffer.from([2]));
    expect(prefixEnd(Buffer.from([0xff]))).toBeUndefined();
  });

  it('round-trips queue state and rejects a damaged one', () => {
    const state = { minOffset: 3, maxOffset: 2 ** 40, lastStoreTimestamp: 1_700_000_000_000 };
    expect(decodeQueueState(encodeQueueState(state))).toEqual(state);
    expect(decodeQueueState(new Uint8Array(23))).toBeUndefined();
  });
});
