import { describe, expect, it } from 'vitest';
import { murmurHash3, stringHashCode } from './stable-hash.js';

describe('stringHashCode', () => {
  it.each([
    ['', 0],
    ['a', 97],
    ['hello', 99162322],
    ['Aa', 2112],
    ['BB', 2112],
    ['polygenelubricants', -2147483648],
    ['é', 233],
    ['😀', 1772899],
  ])('matches Java for %j', (text, expected) => {
    expect(stringHashCode(text)).toBe(expected);
  });
});

describe('murmurHash3', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['hello', 0, 0x248bfa47],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['abc', 0, 0xb3dd93fa],
    ['ab', 0, 0x9bbfd75f],
    ['a', 0, 0x3c2569b2],
  ])('matches the reference for %j, seed %d', (text, seed, expected) => {
    expect(murmurHash3(text, seed)).toBe(expected);
  });

  it.each([
    ['Hello, world!', 0x24884cba],
    ['ππππππππ', 0xd58063c1],
    ['aaaa', 0x5a97808a],
    ['aaa', 0x283e0130],
  ])('matches the reference for %j with seed 0x9747b28c (UTF-8 bytes)', (text, expected) => {
    expect(murmurHash3(text, 0x9747b28c)).toBe(expected);
  });
});
