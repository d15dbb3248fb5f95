import { describe, expect, it } from 'vitest';
import {
  CreateTopicRequestSchema,
  MessagesByKeyQuerySchema,
  ResetOffsetsRequestSchema,
  UpdateTopicRequestSchema,
} from './admin-schemas.js';
import { HttpError } from './http-reply.js';
import { validate } from './request-body.js';

// The HttpError `validate` throws for `value`.
function problem(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('admin request schemas', () => {
  it('accepts a create-topic request with only a name', () => {
    expect(validate(CreateTopicRequestSchema, { name: 'orders' }, 'create-topic request')).toEqual({ name: 'orders' });
  });

  it.each([
    [{ name: 'orders', queueCount: 0 }, 'queueCount'],
    [{ name: 'orders', perm: 16 }, 'perm'],
    [{ name: 'orders', messageType: 'BULK' }, 'messageType'],
    [{ name: 'bad name' }, 'name'],
    [{ name: '%DLQ%g' }, 'name'],
    [{ queueCount: 4 }, 'name'],
    [{ name: 'orders', queueCnt: 4 }, 'queueCnt'],
  ])('refuses create-topic %j with 400 naming %s', (body, field) => {
    const error = problem(() => validate(CreateTopicRequestSchema, body, 'create-topic request'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^invalid create-topic request: /);
    expect(error.message).toContain(field);
  });

  it('refuses a rename through PATCH', () => {
    expect(problem(() => validate(UpdateTopicRequestSchema, { name: 'x' }, 'update-topic request')).message).toContain(
      'name',
    );
  });

  it.each([
    ['earliest', 'earliest'],
    ['latest', 'latest'],
    [{ timestamp: 5 }, { timestamp: 5 }],
    [{ offset: 3 }, { offset: 3 }],
  ])('accepts reset target %j', (to, parsed) => {
    expect(validate(ResetOffsetsRequestSchema, { topic: 't', to }, 'offset reset request').to).toEqual(parsed);
  });

  it.each([
    [{ topic: 't', to: 'oldest' }, 'to'],
    [{ topic: 't', to: { offset: -1 } }, 'to.offset'],
    [{ topic: 't', to: { timestamp: 1, offset: 2 } }, 'to'],
    [{ to: 'latest' }, 'topic'],
    [{ topic: 't', to: 'latest', queueId: -1 }, 'queueId'],
  ])('refuses reset %j naming %s', (body, field) => {
    expect(problem(() => validate(ResetOffsetsRequestSchema, body, 'offset reset request')).message).toMatch(
      new RegExp(`\\b${field}: `),
    );
  });

  it('coerces and bounds the key query limit, with a default', () => {
    expect(validate(MessagesByKeyQuerySchema, { topic: 't', key: 'k' }, 'query').limit).toBe(32);
    expect(validate(MessagesByKeyQuerySchema, { topic: 't', key: 'k', limit: '5' }, 'query').limit).toBe(5);
    expect(
      problem(() => validate(MessagesByKeyQuerySchema, { topic: 't', key: 'k', limit: 'x' }, 'q')).message,
    ).toContain('limit');
    expect(problem(() => validate(MessagesByKeyQuerySchema, { topic: 't' }, 'q')).message).toContain('key');
  });
});
