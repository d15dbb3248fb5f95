import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cOfRange } from './crc32c.js';
import { createMessage } from './message.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { RecordFieldCache, utf8Length, writeUtf8 } from './utf8-fields.js';

const strings = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

describe('utf8Length and writeUtf8', () => {
  it('agree with Buffer for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(strings, (value) => {
        expect(utf8Length(value)).toBe(Buffer.byteLength(value));
        const ours = Buffer.alloc(400, 0xaa);
        const theirs = Buffer.alloc(400, 0xaa);
        expect(writeUtf8(ours, 3, value)).toBe(theirs.write(value, 3, 'utf8'));
        expect(ours.equals(theirs)).toBe(true);
      }),
    );
  });

  it('handles the lone surrogate edge cases explicitly', () => {
    for (const value of ['\ud800', 'a\udc00b', '\ud83d\ude00', '\ud83d', `${'x'.repeat(65)}\u00e9`]) {
      expect(utf8Length(value)).toBe(Buffer.byteLength(value));
    }
  });
});

describe('crc32cOfRange', () => {
  it('matches the addon on any range and continues from an initial value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, seed) => {
        const split = bytes.length === 0 ? 0 : seed % (bytes.length + 1);
        expect(crc32cOfRange(bytes, 0, bytes.length)).toBe(crc32c(bytes));
        const head = crc32cOfRange(bytes, 0, split);
        expect(crc32cOfRange(bytes, split, bytes.length, head)).toBe(crc32c(bytes));
      }),
    );
  });
});

describe('RecordFieldCache', () => {
  it('returns the decoded string, reusing it only for identical bytes', () => {
    const cache = new RecordFieldCache();
    const a = Buffer.from('orders|payments');
    const first = cache.decode(0, a, 0, 6);
    expect(first).toBe('orders');
    expect(cache.decode(0, Buffer.from('xxorders'), 2, 8)).toBe('orders');
    // Same length, different bytes: must not come from the cache.
    expect(cache.decode(0, Buffer.from('orderz'), 0, 6)).toBe('orderz');
    expect(cache.decode(1, a, 7, 15)).toBe('payments');
    expect(cache.decode(0, a, 0, 6)).toBe('orders');
  });

  it('gives the same records as decoding without it', () => {
    const cache = new RecordFieldCache();
    fc.assert(
      fc.property(strings, strings, fc.option(strings, { nil: undefined }), (topic, host, tag) => {
        const message = createMessage({ topic: topic || 't', body: 'x', bornHost: host, tag: tag || undefined });
        const bytes = encodeRecord({ ...message, queueId: 1, queueOffset: 2, storeTimestamp: 3 });
        const plain = decodeRecord(bytes);
        const cached = decodeRecord(bytes, 0, { cache });
        expect(cached).toEqual(plain);
      }),
    );
  });
});
