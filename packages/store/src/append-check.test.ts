import { EddyError, type Message } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import {
  checkAppend,
  checkOffset,
  checkQueueId,
  checkStorable,
  MAX_QUEUE_ID,
  storeClosedError,
} from './append-check.js';

function message(topic: string, bodySize = 1): Message {
  return {
    topic,
    body: new Uint8Array(bodySize),
    keys: [],
    tag: undefined,
    properties: {},
    messageId: 'id',
    bornTimestamp: 0,
    bornHost: '',
    producerGroup: undefined,
    messageGroup: undefined,
    deliveryTimestamp: undefined,
    transaction: 'none',
    reconsumeTimes: 0,
  };
}

function thrown(run: () => void): EddyError {
  try {
    run();
  } catch (error) {
    if (EddyError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an EddyError');
}

describe('checkAppend', () => {
  it('accepts a valid batch, including a body exactly at the limit', () => {
    expect(() => checkAppend('t', 0, [message('t'), message('t', 4 * 1024 * 1024)])).not.toThrow();
    expect(() => checkAppend('t', MAX_QUEUE_ID, [message('t', 10)], 10)).not.toThrow();
  });

  it('refuses an empty batch with EMPTY_BATCH', () => {
    const error = thrown(() => checkAppend('t', 2, []));
    expect(error.code).toBe('EMPTY_BATCH');
    expect(error.message).toBe('append to t/2 has no messages');
  });

  it('refuses an oversized body with MESSAGE_TOO_LARGE and the index of the message', () => {
    const error = thrown(() => checkAppend('t', 0, [message('t', 10), message('t', 11), message('t', 99)], 10));
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toBe('message body is 11 bytes; the limit is 10 (maxBodySize)');
    expect(error.details).toEqual({ limit: 'maxBodySize', value: 11, max: 10, index: 1 });
  });

  it('uses the default 4 MiB limit', () => {
    const error = thrown(() => checkAppend('t', 0, [message('t', 4 * 1024 * 1024 + 1)]));
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.details?.max).toBe(4 * 1024 * 1024);
  });

  it('refuses a message of another topic with INVALID_ARGUMENT naming both topics', () => {
    const error = thrown(() => checkAppend('t', 0, [message('t'), message('u')]));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe("message 1 of the batch is for topic 'u', not 't'");
  });

  it('refuses an empty topic', () => {
    expect(thrown(() => checkAppend('', 0, [message('')])).code).toBe('INVALID_ARGUMENT');
  });

  it.each([-1, 1.5, MAX_QUEUE_ID + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses queue id %d with INVALID_ARGUMENT, before looking at the batch',
    (queueId) => {
      const error = thrown(() => checkAppend('t', queueId, []));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(`got ${queueId}`);
      expect(thrown(() => checkQueueId(queueId)).code).toBe('INVALID_ARGUMENT');
    },
  );

  it('accepts queue ids 0 and MAX_QUEUE_ID', () => {
    expect(MAX_QUEUE_ID).toBe(65535);
    expect(() => checkQueueId(0)).not.toThrow();
    expect(() => checkQueueId(MAX_QUEUE_ID)).not.toThrow();
  });
});

describe('checkOffset', () => {
  it('accepts non-negative safe integers', () => {
    for (const offset of [0, 1, Number.MAX_SAFE_INTEGER]) expect(() => checkOffset(offset)).not.toThrow();
  });

  it.each([-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %d with INVALID_ARGUMENT',
    (offset) => {
      const error = thrown(() => checkOffset(offset));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(`got ${offset}`);
    },
  );
});

describe('storeClosedError', () => {
  it('names the engine', () => {
    const error = storeClosedError('memory');
    expect(EddyError.is(error, 'STORE_CLOSED')).toBe(true);
    expect(error.message).toBe('the memory store is closed');
  });
});

describe('checkStorable', () => {
  it('accepts what the stored-record format can hold', () => {
    expect(() => checkStorable({ ...message('t'), tag: 'x'.repeat(65535), reconsumeTimes: 0xffffffff })).not.toThrow();
  });

  it.each([
    ['tag', { tag: 'x'.repeat(65536) }],
    ['key', { keys: ['é'.repeat(40000)] }],
    ['messageId', { messageId: 'x'.repeat(70000) }],
    ['bornTimestamp', { bornTimestamp: -1 }],
    ['deliveryTimestamp', { deliveryTimestamp: 1.5 }],
    ['reconsumeTimes', { reconsumeTimes: 2 ** 32 }],
  ])('rejects a %s the format cannot hold, naming the field', (field, change) => {
    const error = thrown(() => checkAppend('t', 0, [message('t'), { ...message('t'), ...change }]));
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toContain(field);
    expect(error.details).toMatchObject({ field, index: 1 });
  });
});
