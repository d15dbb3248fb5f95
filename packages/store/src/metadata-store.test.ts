import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, decodeJsonValue, encodeJsonValue } from './metadata-store.js';

describe('compareKeys', () => {
  it('orders by UTF-8 bytes, which differs from JS string order for BMP characters above the surrogates', () => {
    const halfwidth = '\uFF61'; // UTF-8 EF BD A1
    const emoji = '\u{1F600}'; // UTF-8 F0 9F 98 80; UTF-16 D83D DE00
    expect(halfwidth > emoji).toBe(true);
    expect(compareKeys(halfwidth, emoji)).toBeLessThan(0);
    expect(compareKeys(emoji, halfwidth)).toBeGreaterThan(0);
    expect([emoji, 'b', halfwidth, 'a'].sort(compareKeys)).toEqual(['a', 'b', halfwidth, emoji]);
  });

  it('is 0 for equal keys and puts a prefix first', () => {
    expect(compareKeys('topic/a', 'topic/a')).toBe(0);
    expect(compareKeys('topic', 'topic/a')).toBeLessThan(0);
    expect(compareKeys('Z', 'a')).toBeLessThan(0);
  });

  it('orders as Unicode code points do, and is antisymmetric (property)', () => {
    // UTF-8 byte order is code point order, so code points are an independent oracle.
    const byCodePoints = (left: string, right: string): number => {
      const a = [...left].map((c) => c.codePointAt(0) as number);
      const b = [...right].map((c) => c.codePointAt(0) as number);
      for (let i = 0; i < Math.min(a.length, b.length); i++)
        if (a[i] !== b[i]) return Math.sign((a[i] as number) - (b[i] as number));
      return Math.sign(a.length - b.length);
    };
    const key = fc.string({
      unit: fc.constantFrom('a', 'z', '\u00e9', '\uFF61', '\uD7FF', '\uE000', '\u{1F600}', '\u{10000}'),
      maxLength: 6,
    });
    fc.assert(
      fc.property(key, key, (left, right) => {
        const expected = byCodePoints(left, right);
        expect(Math.sign(compareKeys(left, right)) || 0).toBe(expected);
        expect(Math.sign(compareKeys(right, left)) || 0).toBe(-expected || 0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('encodeJsonValue / decodeJsonValue', () => {
  it('round-trips JSON values, unicode included, as UTF-8 JSON text', () => {
    const value = { topic: 'orders', offsets: [0, 1, 2 ** 40], nested: { ok: true, none: null }, text: 'ключ 😀' };
    const bytes = encodeJsonValue(value);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(value));
    expect(decodeJsonValue(bytes)).toEqual(value);
  });

  it('round-trips any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(decodeJsonValue(encodeJsonValue(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('throws on bytes that are not JSON', () => {
    expect(() => decodeJsonValue(new TextEncoder().encode('{nope'))).toThrow(SyntaxError);
  });
});
