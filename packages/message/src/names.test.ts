import { describe, expect, it } from 'vitest';
import { EddyError } from './errors.js';
import {
  DLQ_TOPIC_PREFIX,
  deadLetterTopicOf,
  isSystemName,
  MAX_NAME_LENGTH,
  MAX_SYSTEM_NAME_LENGTH,
  RETRY_TOPIC_PREFIX,
  retryTopicOf,
  SystemTopic,
  validateGroupName,
  validateName,
  validateTopicName,
} from './names.js';

function code(error: EddyError | undefined): string | undefined {
  if (error !== undefined) expect(EddyError.is(error)).toBe(true);
  return error?.code;
}

describe('validateName', () => {
  it.each(['orders', 'a', 'A-b_c.d', '0', '...', '.a', 'a..', 'x'.repeat(249)])('accepts user name %s', (name) => {
    expect(validateTopicName(name)).toBeUndefined();
    expect(validateGroupName(name)).toBeUndefined();
  });

  it('accepts 249 characters and refuses 250, naming the limit', () => {
    expect(MAX_NAME_LENGTH).toBe(249);
    expect(validateTopicName('a'.repeat(249))).toBeUndefined();
    const error = validateTopicName('a'.repeat(250));
    expect(code(error)).toBe('INVALID_NAME');
    expect(error?.message).toBe('topic name is 250 characters; the limit is 249');
    expect(error?.details).toEqual({ limit: 'MAX_NAME_LENGTH', value: 250, max: 249 });
  });

  it.each([
    ['', 'empty'],
    ['.', "cannot be '.'"],
    ['..', "cannot be '..'"],
    ['a b', 'characters outside'],
    ['a/b', 'characters outside'],
    ['a:b', 'characters outside'],
    ['tópico', 'characters outside'],
    ['a|b', 'characters outside'],
    ['a%b', 'characters outside'],
    ['a\nb', 'characters outside'],
  ])('refuses %j with INVALID_NAME (%s)', (name, text) => {
    const error = validateTopicName(name);
    expect(code(error)).toBe('INVALID_NAME');
    expect(error?.message).toContain(text);
  });

  it('names the kind in the message', () => {
    expect(validateGroupName('')?.message).toBe('group name is empty');
    expect(validateTopicName('')?.message).toBe('topic name is empty');
    expect(validateName('group', 'a b')?.message).toContain("group name 'a b'");
  });

  it.each([
    'rmq_sys_x',
    'RMQ_SYS_X',
    '__consumer_offsets',
    '__transaction_state',
    'TBW102',
    'SCHEDULE_TOPIC_XXXX',
    'RMQ_SYS_TRANS_HALF_TOPIC',
  ])('refuses reserved name %s with RESERVED_NAME for users, accepts it for the system', (name) => {
    expect(isSystemName(name)).toBe(true);
    const error = validateTopicName(name);
    expect(code(error)).toBe('RESERVED_NAME');
    expect(error?.message).toContain('reserved');
    expect(code(validateGroupName(name))).toBe('RESERVED_NAME');
    expect(validateTopicName(name, { system: true })).toBeUndefined();
  });

  it('matches system topic names exactly and system prefixes case-insensitively', () => {
    expect(isSystemName('tbw102')).toBe(false);
    expect(validateTopicName('tbw102')).toBeUndefined();
    expect(isSystemName('TBW1020')).toBe(false);
    expect(isSystemName('Rmq_Sys_anything')).toBe(true);
    expect(isSystemName('my_rmq_sys_x')).toBe(false);
    expect(isSystemName('%retry%g')).toBe(true);
    expect(isSystemName('%LMQ%x')).toBe(true);
    expect(isSystemName('%SYS%x')).toBe(true);
  });

  it("refuses '%RETRY%x' and '%DLQ%x' to users but accepts them, and '|', for the system", () => {
    for (const name of ['%RETRY%x', '%DLQ%x']) {
      expect(isSystemName(name)).toBe(true);
      // '%' is outside the user alphabet, which is checked before the reserved prefixes.
      expect(code(validateTopicName(name))).toBe('INVALID_NAME');
      expect(validateTopicName(name, { system: true })).toBeUndefined();
    }
    expect(validateTopicName('a|b', { system: true })).toBeUndefined();
  });

  it('still refuses bad names for the system, with its own length limit', () => {
    expect(MAX_SYSTEM_NAME_LENGTH).toBe(512);
    expect(validateTopicName('x'.repeat(512), { system: true })).toBeUndefined();
    const error = validateTopicName('x'.repeat(513), { system: true });
    expect(code(error)).toBe('INVALID_NAME');
    expect(error?.details).toEqual({ limit: 'MAX_SYSTEM_NAME_LENGTH', value: 513, max: 512 });
    expect(code(validateTopicName('', { system: true }))).toBe('INVALID_NAME');
    expect(code(validateTopicName('..', { system: true }))).toBe('INVALID_NAME');
    expect(code(validateTopicName('a b', { system: true }))).toBe('INVALID_NAME');
  });

  it('refuses a non-string without throwing', () => {
    expect(code(validateTopicName(undefined as unknown as string))).toBe('INVALID_NAME');
  });
});

describe('retry and dead-letter topics', () => {
  it('prefix the group name', () => {
    expect(RETRY_TOPIC_PREFIX).toBe('%RETRY%');
    expect(DLQ_TOPIC_PREFIX).toBe('%DLQ%');
    expect(retryTopicOf('billing')).toBe('%RETRY%billing');
    expect(deadLetterTopicOf('billing')).toBe('%DLQ%billing');
  });

  it('are system names that fit the system length limit for any valid group', () => {
    const group = 'g'.repeat(MAX_NAME_LENGTH);
    expect(validateGroupName(group)).toBeUndefined();
    for (const topic of [retryTopicOf(group), deadLetterTopicOf(group)]) {
      expect(isSystemName(topic)).toBe(true);
      expect(validateTopicName(topic, { system: true })).toBeUndefined();
      expect(code(validateTopicName(topic))).not.toBeUndefined();
    }
  });

  it('every SystemTopic is reserved', () => {
    for (const topic of Object.values(SystemTopic)) expect(code(validateTopicName(topic))).toBe('RESERVED_NAME');
  });
});
