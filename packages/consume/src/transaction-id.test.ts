import { describe, expect, it } from 'vitest';
import { formatTransactionId, parseTransactionId, TransactionNonceSource } from './transaction-id.js';

describe('transaction ids', () => {
  it('carry the half offset and the nonce, and parse back', () => {
    const nonce = new TransactionNonceSource().next();
    expect(nonce).toMatch(/^[0-9A-F]{16}$/);
    for (const halfOffset of [0, 1, 255, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      const id = formatTransactionId({ halfOffset, nonce });
      expect(id).toHaveLength(32);
      expect(parseTransactionId(id)).toEqual({ halfOffset, nonce });
    }
  });

  it('draws a different nonce each time, across refills of the pool', () => {
    const source = new TransactionNonceSource();
    const nonces = Array.from({ length: 2000 }, () => source.next());
    expect(new Set(nonces).size).toBe(2000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9A-F]{16}$/);
  });

  it.each([
    '',
    'abc',
    '0'.repeat(31),
    '0'.repeat(33),
    'g'.repeat(32),
    `${'0'.repeat(16)}abcdefabcdefabcd`,
    `${'F'.repeat(16)}${'0'.repeat(16)}`,
  ])('rejects %j', (id) => {
    expect(parseTransactionId(id)).toBeUndefined();
  });
});
