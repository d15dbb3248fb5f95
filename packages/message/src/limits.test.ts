import { describe, expect, it } from 'vitest';
import { EddyError } from './errors.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits, validateMessage } from './limits.js';
import type { Message } from './message.js';

const VALID: Message = {
  topic: 'orders',
  body: new Uint8Array(10),
  keys: ['order-1'],
  tag: 'created',
  properties: { region: 'eu' },
  messageId: 'id-1',
  bornTimestamp: 1,
  bornHost: '',
  producerGroup: undefined,
  messageGroup: 'customer-7',
  deliveryTimestamp: undefined,
  transaction: 'none',
  reconsumeTimes: 0,
};

function violation(changes: Partial<Message>, limits?: MessageLimits): EddyError {
  const error = validateMessage({ ...VALID, ...changes }, limits);
  if (error === undefined) throw new Error('expected a violation');
  expect(EddyError.is(error)).toBe(true);
  return error;
}

describe('validateMessage', () => {
  it('accepts a valid message, a minimal one and one at every default limit', () => {
    expect(validateMessage(VALID)).toBeUndefined();
    expect(
      validateMessage({
        ...VALID,
        keys: [],
        tag: undefined,
        properties: {},
        messageGroup: undefined,
        body: new Uint8Array(0),
      }),
    ).toBeUndefined();
    expect(
      validateMessage({
        ...VALID,
        body: new Uint8Array(4 * 1024 * 1024),
        keys: Array.from({ length: 64 }, () => 'k'.repeat(1024)),
        tag: 't'.repeat(1024),
        messageId: 'i'.repeat(1024),
        messageGroup: 'g'.repeat(64),
        properties: { p: 'v'.repeat(16 * 1024 - 1) },
      }),
    ).toBeUndefined();
  });

  it('has RocketMQ default limits', () => {
    expect(DEFAULT_MESSAGE_LIMITS).toEqual({
      maxBodySize: 4194304,
      maxPropertiesSize: 16384,
      maxKeys: 64,
      maxFieldLength: 1024,
      maxMessageGroupLength: 64,
    });
    expect(Object.isFrozen(DEFAULT_MESSAGE_LIMITS)).toBe(true);
  });

  it('refuses a body over maxBodySize with MESSAGE_TOO_LARGE naming the limit and both numbers', () => {
    const error = violation({ body: new Uint8Array(4 * 1024 * 1024 + 1) });
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toBe('message body is 4194305 bytes; the limit is 4194304 (maxBodySize)');
    expect(error.details).toEqual({ limit: 'maxBodySize', value: 4194305, max: 4194304 });
  });

  it('refuses properties over maxPropertiesSize, counting names and values in UTF-8 bytes', () => {
    // 'p' + 5461 three-byte characters is exactly 16384 bytes; one more character is over.
    expect(validateMessage({ ...VALID, properties: { p: '€'.repeat(5461) } })).toBeUndefined();
    const error = violation({ properties: { p: '€'.repeat(5462) } });
    expect(error.code).toBe('PROPERTIES_TOO_LARGE');
    expect(error.message).toBe('message properties are 16387 bytes; the limit is 16384 (maxPropertiesSize)');
    expect(error.details).toEqual({ limit: 'maxPropertiesSize', value: 16387, max: 16384 });
    // Names count too, summed over all properties.
    expect(violation({ properties: { ['n'.repeat(8192)]: '', ['m'.repeat(8192)]: 'v' } }).code).toBe(
      'PROPERTIES_TOO_LARGE',
    );
  });

  it('refuses more than maxKeys keys with TOO_MANY_KEYS', () => {
    const error = violation({ keys: Array.from({ length: 65 }, (_, i) => `k${i}`) });
    expect(error.code).toBe('TOO_MANY_KEYS');
    expect(error.message).toBe('message has 65 keys; the limit is 64 (maxKeys)');
  });

  it.each(['KEYS', 'UNIQ_KEY', 'TAGS', 'DELAY', '__STARTDELIVERTIME', 'TRACE_ON', 'PROPERTY_TIMER_DELAY_MS'])(
    'refuses reserved property %s with RESERVED_PROPERTY',
    (name) => {
      const error = violation({ properties: { ok: 'x', [name]: 'v' } });
      expect(error.code).toBe('RESERVED_PROPERTY');
      expect(error.message).toContain(`'${name}'`);
    },
  );

  it('accepts property names that only look like reserved ones', () => {
    expect(validateMessage({ ...VALID, properties: { keys: 'x', KEYS_: 'y', uniq_key: 'z' } })).toBeUndefined();
  });

  it.each([
    ['an empty key', { keys: ['a', ''] }, 'message key is empty'],
    ['a blank tag', { tag: '' }, 'message tag is blank'],
    ['a whitespace tag', { tag: ' \t' }, 'message tag is blank'],
    ['a tag with ||', { tag: 'a||b' }, 'filter operator'],
    ['the tag *', { tag: '*' }, 'filter operator'],
    ['an empty message id', { messageId: '' }, 'message id is empty'],
    ['an empty message group', { messageGroup: '' }, 'message group is empty'],
    ['an empty property name', { properties: { '': 'v' } }, 'property name is empty'],
    ['negative reconsumeTimes', { reconsumeTimes: -1 }, 'reconsumeTimes'],
    ['fractional reconsumeTimes', { reconsumeTimes: 0.5 }, 'reconsumeTimes'],
  ] as [string, Partial<Message>, string][])('refuses %s with INVALID_MESSAGE', (_, changes, text) => {
    const error = violation(changes);
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toContain(text);
  });

  it('accepts tags that merely contain * or a single |', () => {
    expect(validateMessage({ ...VALID, tag: 'a*' })).toBeUndefined();
    expect(validateMessage({ ...VALID, tag: 'a|b' })).toBeUndefined();
  });

  it('refuses a message group over maxMessageGroupLength, counted in UTF-8 bytes', () => {
    expect(validateMessage({ ...VALID, messageGroup: 'g'.repeat(64) })).toBeUndefined();
    const error = violation({ messageGroup: 'é'.repeat(33) });
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toBe('message group is 66 bytes; the limit is 64 (maxMessageGroupLength)');
    expect(error.details).toEqual({ limit: 'maxMessageGroupLength', value: 66, max: 64 });
  });

  it.each([
    ['key', { keys: ['k'.repeat(1025)] }],
    ['tag', { tag: 't'.repeat(1025) }],
    ['id', { messageId: 'i'.repeat(1025) }],
  ] as [string, Partial<Message>][])('refuses a message %s over maxFieldLength', (what, changes) => {
    const error = violation(changes);
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toBe(`message ${what} is 1025 bytes; the limit is 1024 (maxFieldLength)`);
  });

  it('refuses a bad topic with the name error, and allows system topics', () => {
    expect(violation({ topic: 'a b' }).code).toBe('INVALID_NAME');
    expect(violation({ topic: '' }).code).toBe('INVALID_NAME');
    expect(validateMessage({ ...VALID, topic: '%RETRY%group' })).toBeUndefined();
    expect(validateMessage({ ...VALID, topic: 'TBW102' })).toBeUndefined();
  });

  it('honours custom limits', () => {
    const limits: MessageLimits = {
      maxBodySize: 10,
      maxPropertiesSize: 4,
      maxKeys: 1,
      maxFieldLength: 3,
      maxMessageGroupLength: 2,
    };
    const small = {
      ...VALID,
      body: new Uint8Array(10),
      keys: ['k'],
      tag: 't',
      messageId: 'id',
      messageGroup: 'g',
      properties: { ab: 'cd' },
    };
    expect(validateMessage(small, limits)).toBeUndefined();
    expect(validateMessage({ ...small, body: new Uint8Array(11) }, limits)?.message).toBe(
      'message body is 11 bytes; the limit is 10 (maxBodySize)',
    );
    expect(validateMessage({ ...small, keys: ['a', 'b'] }, limits)?.code).toBe('TOO_MANY_KEYS');
    expect(validateMessage({ ...small, keys: ['abcd'] }, limits)?.code).toBe('INVALID_MESSAGE');
    expect(validateMessage({ ...small, tag: 'abcd' }, limits)?.code).toBe('INVALID_MESSAGE');
    expect(validateMessage({ ...small, messageId: 'abcd' }, limits)?.code).toBe('INVALID_MESSAGE');
    expect(validateMessage({ ...small, messageGroup: 'abc' }, limits)?.code).toBe('INVALID_MESSAGE');
    expect(validateMessage({ ...small, properties: { ab: 'cde' } }, limits)?.code).toBe('PROPERTIES_TOO_LARGE');
    // The same message is fine under the defaults.
    expect(validateMessage({ ...small, body: new Uint8Array(11), keys: ['a', 'b'] })).toBeUndefined();
  });
});
