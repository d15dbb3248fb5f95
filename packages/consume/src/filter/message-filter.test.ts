import { createMessage, EddyError, type Message, tagCode } from '@eddy/message';
import { createTagFilter } from '@eddy/store';
import { describe, expect, it } from 'vitest';
import { createMessageFilter, FilterExpressionSchema } from './message-filter.js';

function message(tag?: string, properties: Record<string, string> = {}): Message {
  return createMessage({ topic: 'T', body: '', tag, properties, messageId: 'id' });
}

describe('createMessageFilter: TAG', () => {
  it('matches every message for *', () => {
    const filter = createMessageFilter({ type: 'TAG', expression: '*' });
    expect(filter).toMatchObject({ type: 'TAG', expression: '*', tags: undefined });
    expect(filter.matches(message())).toBe(true);
    expect(filter.matches(message('x'))).toBe(true);
  });

  it('matches the listed tags exactly, and offers them for the store pre-filter', () => {
    const filter = createMessageFilter({ type: 'TAG', expression: 'TagA || TagB' });
    expect(filter.tags).toEqual(['TagA', 'TagB']);
    expect(filter.matches(message('TagA'))).toBe(true);
    expect(filter.matches(message('TagB'))).toBe(true);
    expect(filter.matches(message('tagA'))).toBe(false);
    expect(filter.matches(message())).toBe(false);
    const storeFilter = createTagFilter(filter.tags);
    expect(storeFilter?.codes).toEqual(new Set([tagCode('TagA'), tagCode('TagB')]));
  });

  it('refuses an expression with no tag', () => {
    expect(() => createMessageFilter({ type: 'TAG', expression: '||' })).toThrow(/names no tag/);
  });
});

describe('createMessageFilter: SQL92', () => {
  it('matches only when the condition is TRUE', () => {
    const filter = createMessageFilter({ type: 'SQL92', expression: 'a > 1' });
    expect(filter).toMatchObject({ type: 'SQL92', expression: 'a > 1', tags: undefined });
    expect(filter.matches(message(undefined, { a: '2' }))).toBe(true);
    expect(filter.matches(message(undefined, { a: '1' }))).toBe(false);
    expect(filter.matches(message())).toBe(false);
    expect(createMessageFilter({ type: 'SQL92', expression: 'NOT (a > 1)' }).matches(message())).toBe(false);
  });

  it.each<[string, string[] | undefined]>([
    ["TAGS IN ('a', 'b')", ['a', 'b']],
    ["TAGS = 'a'", ['a']],
    ["'a' = TAGS", ['a']],
    ["TAGS IN ('a', 'b') AND x = 1", ['a', 'b']],
    ["(TAGS IS NOT NULL AND TAGS IN ('TagA', 'TagB')) AND (a IS NOT NULL AND a BETWEEN 0 AND 3)", ['TagA', 'TagB']],
    ["TAGS IN ('a', 'b') AND TAGS IN ('b', 'c')", ['b']],
    ["TAGS = 'a' OR TAGS IN ('b')", ['a', 'b']],
    ["TAGS = 'a' OR x = 1", undefined],
    ["TAGS NOT IN ('a')", undefined],
    ["NOT TAGS IN ('a')", undefined],
    ['TAGS = 1', undefined],
    ["TAGS <> 'a'", undefined],
    ["TAGS = 'a' AND TAGS = 'b'", undefined], // matches nothing; an empty list would mean "all" to the store
    ['x = 1', undefined],
  ])('%s pre-filters by %j', (expression, tags) => {
    expect(createMessageFilter({ type: 'SQL92', expression }).tags).toEqual(tags);
  });

  it('pre-filter tags never exclude a matching message', () => {
    const filter = createMessageFilter({ type: 'SQL92', expression: "(TAGS = 'a' OR TAGS = 'b') AND n >= 2" });
    const tags = new Set(filter.tags);
    for (const tag of ['a', 'b', 'c', undefined]) {
      for (const n of ['1', '2', '3']) {
        const candidate = message(tag, { n });
        if (filter.matches(candidate)) expect(tags.has(candidate.tag as string)).toBe(true);
      }
    }
  });

  it('refuses a bad expression with INVALID_FILTER', () => {
    let thrown: unknown;
    try {
      createMessageFilter({ type: 'SQL92', expression: 'a BETWEEN 1' });
    } catch (error) {
      thrown = error;
    }
    expect(EddyError.is(thrown, 'INVALID_FILTER')).toBe(true);
  });

  it('refuses an unknown type', () => {
    expect(() => createMessageFilter({ type: 'XPATH' as 'TAG', expression: '*' })).toThrow(
      /unknown filter type 'XPATH'/,
    );
  });
});

describe('FilterExpressionSchema', () => {
  it('defaults to TAG *', () => {
    expect(FilterExpressionSchema.parse({})).toEqual({ type: 'TAG', expression: '*' });
    expect(FilterExpressionSchema.parse({ expression: 'A || B' })).toEqual({ type: 'TAG', expression: 'A || B' });
  });

  it('accepts a valid SQL92 expression', () => {
    expect(FilterExpressionSchema.parse({ type: 'SQL92', expression: 'a = 1' })).toEqual({
      type: 'SQL92',
      expression: 'a = 1',
    });
  });

  it("reports a bad expression with the parser's message on the expression path", () => {
    const result = FilterExpressionSchema.safeParse({ type: 'SQL92', expression: 'a IN ()' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['expression'],
      message: expect.stringContaining('the list of IN is empty'),
    });
  });

  it('refuses unknown types and fields', () => {
    expect(FilterExpressionSchema.safeParse({ type: 'SQL', expression: 'a = 1' }).success).toBe(false);
    expect(FilterExpressionSchema.safeParse({ expression: '*', extra: 1 }).success).toBe(false);
  });
});
