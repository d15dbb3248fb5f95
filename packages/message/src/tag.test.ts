import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tagCode } from './tag.js';

// FNV-1a 32 over bytes, written out independently of tag.ts.
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

describe('tagCode', () => {
  it('is 0 for no tag', () => {
    expect(tagCode(undefined)).toBe(0);
  });

  it('gives the published FNV-1a 32 values and stable codes for known tags', () => {
    expect(tagCode('')).toBe(0x811c9dc5);
    expect(tagCode('a')).toBe(0xe40c292c);
    expect(tagCode('foobar')).toBe(0xbf9cf968);
    expect(tagCode('TagA')).toBe(0xa8bdef76);
    expect(tagCode('order-created')).toBe(0xed0399ca);
  });

  it('is 1, not 0, for a tag whose FNV-1a hash is 0', () => {
    // Found by a meet-in-the-middle search over [a-z0-9]{7}.
    expect(fnv1a(Buffer.from('3u25abs'))).toBe(0);
    expect(tagCode('3u25abs')).toBe(1);
  });

  it('hashes the UTF-8 bytes: 2-, 3- and 4-byte characters and surrogate pairs', () => {
    for (const tag of ['é', 'ü-tag', '标签', '€', '😀', 'a😀b', '🏷️', '\u{10FFFF}', '\uFFFD']) {
      expect(tagCode(tag)).toBe(fnv1a(Buffer.from(tag, 'utf8')));
    }
    expect(tagCode('😀')).not.toBe(tagCode('\uD83D'));
  });

  it('hashes a lone surrogate as U+FFFD, the way Buffer (and so the stored tag) encodes it', () => {
    for (const tag of ['\uD800', '\uDC00', 'a\uDC00b', 'x\uD83D', '\uDE00\uD83D']) {
      expect(tagCode(tag)).toBe(fnv1a(Buffer.from(tag, 'utf8')));
    }
    expect(tagCode('\uD800')).toBe(tagCode('\uFFFD'));
  });

  it('equals FNV-1a over Buffer.from(tag) for any string of UTF-16 code units, and is never 0 (property)', () => {
    const codeUnits = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 })
      .map((units) => String.fromCharCode(...units));
    const fullUnicode = fc.string({ unit: 'binary', maxLength: 20 });
    fc.assert(
      fc.property(fc.oneof(codeUnits, fullUnicode), (tag) => {
        const code = tagCode(tag);
        expect(code).not.toBe(0);
        expect(code).toBe(fnv1a(Buffer.from(tag, 'utf8')) || 1);
      }),
      { numRuns: 2000 },
    );
  });
});
