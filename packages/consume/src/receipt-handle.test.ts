import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.js';

describe('receipt handles', () => {
  it('decode what they encode', () => {
    fc.assert(
      fc.property(
        fc.record({
          group: fc.string({ minLength: 1 }),
          topic: fc.string({ minLength: 1 }),
          queueId: fc.nat(),
          offset: fc.maxSafeNat(),
          token: fc.string({ minLength: 1 }),
          invisibleUntil: fc.maxSafeNat(),
        }),
        (fields) => {
          const handle = encodeReceiptHandle(fields);
          expect(handle).toMatch(/^e1\.[A-Za-z0-9_-]+$/);
          expect(decodeReceiptHandle(handle)).toEqual(fields);
        },
      ),
    );
  });

  it('refuse anything else', () => {
    const valid = encodeReceiptHandle({ group: 'g', topic: 't', queueId: 0, offset: 1, token: 'x', invisibleUntil: 2 });
    for (const handle of [
      '',
      'e1.',
      'e1.!!!',
      valid.slice(0, -3),
      `e2.${valid.slice(3)}`,
      `e1.${Buffer.from('[1,2,3]').toString('base64url')}`,
      `e1.${Buffer.from('["g","t",-1,0,"x",0]').toString('base64url')}`,
      `e1.${Buffer.from('["g","t",0,0.5,"x",0]').toString('base64url')}`,
      `e1.${'A'.repeat(5000)}`,
    ]) {
      expect(decodeReceiptHandle(handle), handle).toBeUndefined();
    }
  });
});
