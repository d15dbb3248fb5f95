import { describe, expect, it } from 'vitest';
import {
  checkCountKey,
  decodeCheckCount,
  decodeWatermarks,
  encodeCheckCount,
  encodeWatermarks,
  formatDeliveryId,
  halfOffsetOfCheckKey,
  parseDeliveryId,
  type TransactionRelay,
} from './transaction-state.js';

describe('transaction state layout', () => {
  it.each<TransactionRelay>([
    { kind: 'deliver', halfOffset: 0 },
    { kind: 'op', halfOffset: 12, outcome: 'commit' },
    { kind: 'op', halfOffset: 12, outcome: 'rollback' },
    { kind: 'op', halfOffset: 12, outcome: 'discard' },
    { kind: 'check-max', halfOffset: 9_007_199_254_740_991, checkTimes: 15 },
  ])('names relays by delivery ids that parse back: %j', (relay) => {
    expect(parseDeliveryId(formatDeliveryId(relay))).toEqual(relay);
  });

  it.each(['timer:1', 'tx:', 'tx:1:commit', 'tx-op:1', 'tx-op:1:maybe', 'tx-max:1', 'tx:99999999999999999'])(
    'does not claim delivery id %j',
    (id) => {
      expect(parseDeliveryId(id)).toBeUndefined();
    },
  );

  it('orders check count keys by half offset and reads the offset back', () => {
    const keys = [10, 9, 100, 0].map(checkCountKey);
    expect([...keys].sort().map(halfOffsetOfCheckKey)).toEqual([0, 9, 10, 100]);
    expect(halfOffsetOfCheckKey('consume/transaction/progress')).toBeUndefined();
  });

  it('round-trips values and refuses unreadable ones', () => {
    expect(decodeWatermarks(encodeWatermarks({ halfOffset: 4, opOffset: 2 }))).toEqual({ halfOffset: 4, opOffset: 2 });
    expect(decodeCheckCount(encodeCheckCount({ times: 3, at: 1000 }))).toEqual({ times: 3, at: 1000 });
    expect(decodeWatermarks(new TextEncoder().encode('{"v":2}'))).toBeUndefined();
    expect(decodeCheckCount(new TextEncoder().encode('not json'))).toBeUndefined();
  });
});
