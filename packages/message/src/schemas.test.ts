import { describe, expect, it } from 'vitest';
import { EddyError } from './errors.js';
import { DEFAULT_MESSAGE_LIMITS } from './limits.js';
import {
  GroupNameSchema,
  MessageJsonSchema,
  MessageLimitsSchema,
  parseWithSchema,
  QueueAddressSchema,
  QueueCountSchema,
  TopicConfigSchema,
  TopicNameSchema,
} from './schemas.js';

function parseError(run: () => unknown): EddyError {
  try {
    run();
  } catch (error) {
    if (EddyError.is(error)) return error;
    throw error;
  }
  throw new Error('expected parseWithSchema to throw');
}

describe('parseWithSchema', () => {
  it('returns the parsed value with defaults applied', () => {
    expect(parseWithSchema(MessageLimitsSchema, { maxKeys: 8 }, 'limits')).toEqual({
      ...DEFAULT_MESSAGE_LIMITS,
      maxKeys: 8,
    });
  });

  it('throws INVALID_CONFIG naming what was parsed and the bad field by its path', () => {
    const error = parseError(() => parseWithSchema(MessageLimitsSchema, { maxBodySize: -1 }, 'broker config'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/^invalid broker config: maxBodySize: /);
    expect(error.retriable).toBe(false);
    expect(Array.isArray(error.details?.issues)).toBe(true);
  });

  it('names every bad field, nested paths joined with dots', () => {
    const error = parseError(() =>
      parseWithSchema(MessageJsonSchema, { topic: '', body: 1, properties: { a: 2 } }, 'message'),
    );
    expect(error.message).toContain('topic: ');
    expect(error.message).toContain('body: ');
    expect(error.message).toContain('properties.a: ');
    expect(error.message.split('; ')).toHaveLength(3);
  });

  it('names the root when the input itself is wrong', () => {
    const error = parseError(() => parseWithSchema(MessageLimitsSchema, 'nope', 'limits'));
    expect(error.message).toMatch(/^invalid limits: \(root\): /);
  });
});

describe('MessageLimitsSchema', () => {
  it('defaults every field to DEFAULT_MESSAGE_LIMITS', () => {
    expect(MessageLimitsSchema.parse({})).toEqual(DEFAULT_MESSAGE_LIMITS);
  });

  it.each([
    [{ maxBodySize: 0 }],
    [{ maxBodySize: 1.5 }],
    [{ maxBodySize: 1024 * 1024 * 1024 + 1 }],
    [{ maxKeys: -1 }],
    [{ maxKeys: 65536 }],
    [{ maxFieldLength: 0 }],
    [{ maxMessageGroupLength: 65536 }],
    [{ maxPropertiesSize: '16' }],
    [{ maxBodysize: 10 }],
  ])('refuses %j', (input) => {
    expect(MessageLimitsSchema.safeParse(input).success).toBe(false);
  });

  it('accepts the edges', () => {
    expect(
      MessageLimitsSchema.safeParse({ maxKeys: 0, maxBodySize: 1024 * 1024 * 1024, maxFieldLength: 65535 }).success,
    ).toBe(true);
  });
});

describe('TopicConfigSchema', () => {
  it('requires the name and defaults the rest', () => {
    expect(TopicConfigSchema.parse({ name: 'orders' })).toEqual({
      name: 'orders',
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      messageType: 'NORMAL',
    });
    expect(TopicConfigSchema.safeParse({}).success).toBe(false);
  });

  it('keeps given values', () => {
    const config = {
      name: 'o',
      readQueueNums: 1,
      writeQueueNums: 65536,
      perm: 4,
      messageType: 'FIFO',
      retentionMs: 1000,
    };
    expect(TopicConfigSchema.parse(config)).toEqual(config);
  });

  it('refuses a reserved or invalid name with the name rule as the message', () => {
    const reserved = parseError(() => parseWithSchema(TopicConfigSchema, { name: 'TBW102' }, 'create-topic request'));
    expect(reserved.code).toBe('INVALID_CONFIG');
    expect(reserved.message).toBe("invalid create-topic request: name: topic name 'TBW102' is reserved for the broker");
    expect(TopicConfigSchema.safeParse({ name: '%RETRY%g' }).success).toBe(false);
    expect(TopicConfigSchema.safeParse({ name: 'a'.repeat(250) }).success).toBe(false);
  });

  it('refuses unknown keys (strict) and out-of-range values', () => {
    const unknown = parseError(() => parseWithSchema(TopicConfigSchema, { name: 'o', partitions: 3 }, 'request'));
    expect(unknown.message).toContain('partitions');
    for (const bad of [
      { readQueueNums: 0 },
      { writeQueueNums: 65537 },
      { perm: 16 },
      { perm: -1 },
      { messageType: 'BATCH' },
      { retentionMs: 0 },
      { retentionMs: 1.5 },
    ]) {
      expect(TopicConfigSchema.safeParse({ name: 'o', ...bad }).success).toBe(false);
    }
  });
});

describe('name and queue schemas', () => {
  it('apply the user name rules', () => {
    expect(TopicNameSchema.safeParse('orders').success).toBe(true);
    expect(TopicNameSchema.safeParse('rmq_sys_x').success).toBe(false);
    expect(GroupNameSchema.safeParse('billing').success).toBe(true);
    expect(GroupNameSchema.safeParse('a b').success).toBe(false);
    expect(GroupNameSchema.safeParse(7).success).toBe(false);
  });

  it('bound queue counts and addresses', () => {
    expect(QueueCountSchema.safeParse(1).success).toBe(true);
    expect(QueueCountSchema.safeParse(65536).success).toBe(true);
    expect(QueueCountSchema.safeParse(0).success).toBe(false);
    expect(QueueCountSchema.safeParse(65537).success).toBe(false);
    expect(QueueAddressSchema.safeParse({ topic: 't', queueId: 65535 }).success).toBe(true);
    expect(QueueAddressSchema.safeParse({ topic: 't', queueId: -1 }).success).toBe(false);
    expect(QueueAddressSchema.safeParse({ topic: '', queueId: 0 }).success).toBe(false);
    expect(QueueAddressSchema.safeParse({ topic: 't', queueId: 0, extra: 1 }).success).toBe(false);
  });
});

describe('MessageJsonSchema', () => {
  it('defaults encoding, keys and properties and leaves optional fields out', () => {
    expect(MessageJsonSchema.parse({ topic: 't', body: 'hi' })).toEqual({
      topic: 't',
      body: 'hi',
      bodyEncoding: 'utf8',
      keys: [],
      properties: {},
    });
  });

  it('keeps every given field', () => {
    const message = {
      topic: 't',
      body: 'aGk=',
      bodyEncoding: 'base64',
      keys: ['k'],
      tag: 'a',
      properties: { p: 'v' },
      messageId: 'id',
      messageGroup: 'g',
      deliveryTimestamp: 0,
    };
    expect(MessageJsonSchema.parse(message)).toEqual(message);
  });

  it.each([
    [{ topic: 't' }],
    [{ topic: '', body: '' }],
    [{ topic: 't', body: '', bodyEncoding: 'hex' }],
    [{ topic: 't', body: '', keys: [''] }],
    [{ topic: 't', body: '', tag: '' }],
    [{ topic: 't', body: '', properties: { p: 1 } }],
    [{ topic: 't', body: '', messageId: 'x'.repeat(1025) }],
    [{ topic: 't', body: '', deliveryTimestamp: -1 }],
    [{ topic: 't', body: '', queueId: 0 }],
  ])('refuses %j', (input) => {
    expect(MessageJsonSchema.safeParse(input).success).toBe(false);
  });
});
