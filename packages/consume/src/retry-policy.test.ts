import { createMessage, EddyError, SystemProperty } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { deadLetterHistory, MAX_FAILURE_REASON_LENGTH, toDeadLetter, toResent } from './dead-letter.js';
import { RetryPolicy } from './retry-policy.js';

describe('RetryPolicy', () => {
  it('climbs from level 3 by one per retry and stays at 18', () => {
    const policy = new RetryPolicy();
    expect(Array.from({ length: 20 }, (_, reconsumeTimes) => policy.delayLevelFor(reconsumeTimes))).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 18, 18, 18, 18,
    ]);
  });

  it('gives up once reconsumeTimes reaches the group’s limit', () => {
    const policy = new RetryPolicy({ groups: { impatient: { maxReconsumeTimes: 0 } } });
    expect(policy.maxReconsumeTimes('any')).toBe(16);
    expect(policy.exhausted('any', 15)).toBe(false);
    expect(policy.exhausted('any', 16)).toBe(true);
    expect(policy.exhausted('impatient', 0)).toBe(true);
    policy.setMaxReconsumeTimes('any', 3);
    expect(policy.exhausted('any', 3)).toBe(true);
    expect(policy.exhausted('other', 3)).toBe(false);
    policy.setMaxReconsumeTimes('any', undefined);
    expect(policy.maxReconsumeTimes('any')).toBe(16);
  });

  it('refuses bad settings', () => {
    expect(() => new RetryPolicy({ maxReconsumeTimes: -1 })).toThrow(/maxReconsumeTimes/);
    expect(() => new RetryPolicy({ firstRetryLevel: 5, lastRetryLevel: 4 })).toThrow(/lastRetryLevel/);
    expect(() => new RetryPolicy({ groups: { g: { maxReconsumeTimes: 1.5 } } })).toThrow(EddyError);
    expect(() => new RetryPolicy().setMaxReconsumeTimes('g', Number.NaN)).toThrow(/0…10000/);
  });
});

describe('dead letters', () => {
  const original = createMessage({ topic: 'orders', body: 'x', tag: 'T', properties: { region: 'eu' } });

  it('records the origin, the failures and the reason', () => {
    const retried = {
      ...original,
      topic: '%RETRY%g',
      reconsumeTimes: 16,
      properties: {
        ...original.properties,
        [SystemProperty.RETRY_TOPIC]: 'orders',
        [SystemProperty.ORIGIN_MESSAGE_ID]: 'first-id',
      },
    };
    const dead = toDeadLetter('g', retried, { reason: 'boom', maxReconsumeTimes: 16 });
    expect(dead.topic).toBe('%DLQ%g');
    expect(dead.messageId).toBe(original.messageId);
    expect(dead.reconsumeTimes).toBe(17);
    expect(deadLetterHistory(dead)).toEqual({
      originTopic: 'orders',
      originMessageId: 'first-id',
      reconsumeTimes: 17,
      maxReconsumeTimes: 16,
      reason: 'boom',
    });
    expect(deadLetterHistory(original)).toBeUndefined();
  });

  it('cuts a long reason and leaves no limit when dead-lettered directly', () => {
    const dead = toDeadLetter('g', original, { reason: 'x'.repeat(5000) });
    expect(dead.properties[SystemProperty.DLQ_FAILURE_REASON]).toHaveLength(MAX_FAILURE_REASON_LENGTH);
    expect(deadLetterHistory(dead)).toMatchObject({
      originTopic: 'orders',
      originMessageId: original.messageId,
      maxReconsumeTimes: undefined,
    });
  });

  it('re-sends to the origin topic looking as first sent', () => {
    const resent = toResent(toDeadLetter('g', { ...original, reconsumeTimes: 4 }, { reason: 'boom' }));
    expect(resent).toMatchObject({ topic: 'orders', reconsumeTimes: 0, messageId: original.messageId, tag: 'T' });
    expect(resent?.properties).toEqual({ region: 'eu' });
    expect(toResent(original)).toBeUndefined();
  });
});
