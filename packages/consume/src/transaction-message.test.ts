import { type Clock, createMessage, type StoredMessage, SystemProperty, SystemTopic } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import {
  checkImmunityMs,
  halfMessageInfo,
  parseOpRecord,
  TRANSACTION_NONCE_PROPERTY,
  toCheckMaxMessage,
  toCheckView,
  toDeliveredMessage,
  toHalfMessage,
  toOpRecord,
} from './transaction-message.js';

const clock: Clock = { now: () => 1_000, schedule: () => ({ cancel() {} }) };
const NONCE = '0123456789ABCDEF';
const target = { topic: 'orders', queueId: 5 };
const sent = createMessage(
  {
    topic: 'orders',
    body: 'pay',
    keys: ['k'],
    tag: 'paid',
    properties: { region: 'eu', [SystemProperty.CHECK_IMMUNITY_TIME_IN_SECONDS]: '20' },
    producerGroup: 'producers',
    messageGroup: 'g',
    transaction: 'prepared',
  },
  { clock },
);

describe('transaction message forms', () => {
  const half = toHalfMessage(sent, target, 'producers', NONCE);

  it('a half message carries its target, group and nonce, and reads back', () => {
    expect(half.topic).toBe(SystemTopic.TRANSACTION_HALF);
    expect(half.transaction).toBe('prepared');
    expect(halfMessageInfo(half)).toEqual({ target, producerGroup: 'producers', nonce: NONCE, immunityMs: 20_000 });
  });

  it.each([
    [SystemProperty.REAL_TOPIC, undefined],
    [SystemProperty.REAL_QUEUE_ID, '70000'],
    [SystemProperty.REAL_QUEUE_ID, '-1'],
    [SystemProperty.PRODUCER_GROUP, undefined],
    [TRANSACTION_NONCE_PROPERTY, 'short'],
  ])('a half message with %s = %j is not one of ours', (name, value) => {
    const properties: Record<string, string> = { ...half.properties };
    if (value === undefined) delete properties[name];
    else properties[name] = value;
    expect(halfMessageInfo({ ...half, properties })).toBeUndefined();
  });

  it('the delivered copy is the sent message without bookkeeping, marked committed', () => {
    const delivered = toDeliveredMessage(half, target);
    expect(delivered).toEqual({ ...sent, transaction: 'commit' });
  });

  it('the check view is the message as it will be delivered, still prepared, at the half offset', () => {
    const stored: StoredMessage = { ...half, queueId: 0, queueOffset: 42, storeTimestamp: 2_000 };
    const view = toCheckView(stored, target);
    expect(view).toEqual({ ...sent, queueId: 5, queueOffset: 42, storeTimestamp: 2_000 });
  });

  it('the TRANS_CHECK_MAX_TIME copy keeps where it was going and how often it was checked', () => {
    const kept = toCheckMaxMessage(half, 15);
    expect(kept.topic).toBe(SystemTopic.TRANSACTION_CHECK_MAX_TIME);
    expect(kept.properties).toMatchObject({
      [SystemProperty.REAL_TOPIC]: 'orders',
      [SystemProperty.REAL_QUEUE_ID]: '5',
      [SystemProperty.TRANSACTION_CHECK_TIMES]: '15',
    });
    expect(kept.properties[TRANSACTION_NONCE_PROPERTY]).toBeUndefined();
  });

  it('op records name the half offset in the body, with tag d, and parse back', () => {
    const op = toOpRecord(9_007_199_254_740_991, 'discard', clock);
    expect(op).toMatchObject({ topic: SystemTopic.TRANSACTION_OP_HALF, tag: 'd' });
    expect(parseOpRecord(op)).toEqual({ halfOffset: 9_007_199_254_740_991, outcome: 'discard' });
    expect(parseOpRecord({ ...op, body: new TextEncoder().encode('x1') })).toBeUndefined();
    // RocketMQ's own op records have no outcome property: they count as removals.
    expect(parseOpRecord({ ...op, properties: {} })).toEqual({
      halfOffset: 9_007_199_254_740_991,
      outcome: 'rollback',
    });
  });

  it.each([
    ['0', 0],
    ['30', 30_000],
    ['1.5', undefined],
    ['-1', undefined],
    ['', undefined],
  ])('reads CHECK_IMMUNITY_TIME_IN_SECONDS %j as %j ms', (text, expected) => {
    expect(checkImmunityMs({ ...sent, properties: { [SystemProperty.CHECK_IMMUNITY_TIME_IN_SECONDS]: text } })).toBe(
      expected,
    );
  });
});
