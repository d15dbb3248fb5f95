import { EddyError } from '@eddy/message';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTagExpression, type TagExpression } from './tag-expression.js';

describe('parseTagExpression', () => {
  it.each<[string, TagExpression]>([
    ['*', { kind: 'all' }],
    ['', { kind: 'all' }],
    ['   ', { kind: 'all' }],
    [' * ', { kind: 'all' }],
    ['TagA || *', { kind: 'all' }],
    ['* || TagA', { kind: 'all' }],
    ['TagA', { kind: 'tags', tags: ['TagA'] }],
    ['TagA||TagB', { kind: 'tags', tags: ['TagA', 'TagB'] }],
    ['  TagA || TagB  ||TagC ', { kind: 'tags', tags: ['TagA', 'TagB', 'TagC'] }],
    ['TagA || || TagB ||', { kind: 'tags', tags: ['TagA', 'TagB'] }],
    ['|| TagA', { kind: 'tags', tags: ['TagA'] }],
    ['TagA || TagA || TagB', { kind: 'tags', tags: ['TagA', 'TagB'] }],
    ['Tag A || Tag|B', { kind: 'tags', tags: ['Tag A', 'Tag|B'] }],
    ['Tag*', { kind: 'tags', tags: ['Tag*'] }],
    ['tagA || TagA', { kind: 'tags', tags: ['tagA', 'TagA'] }],
  ])('%j', (expression, expected) => {
    expect(parseTagExpression(expression)).toEqual(expected);
  });

  it.each(['||', ' || || ', '||||'])('%j names no tag: INVALID_FILTER', (expression) => {
    let thrown: unknown;
    try {
      parseTagExpression(expression);
    } catch (error) {
      thrown = error;
    }
    expect(EddyError.is(thrown, 'INVALID_FILTER')).toBe(true);
    expect((thrown as EddyError).message).toContain('names no tag');
  });

  it('lists exactly the trimmed, non-empty parts', () => {
    const tag = fc
      .string({ minLength: 1, maxLength: 6 })
      .filter((value) => !value.includes('|') && value.trim() !== '' && value.trim() !== '*');
    fc.assert(
      fc.property(fc.array(tag, { minLength: 1, maxLength: 5 }), (tags) => {
        const parsed = parseTagExpression(tags.join(' || '));
        expect(parsed).toEqual({ kind: 'tags', tags: [...new Set(tags.map((value) => value.trim()))] });
      }),
    );
  });

  it('throws nothing but INVALID_FILTER', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (expression) => {
        try {
          parseTagExpression(expression);
        } catch (error) {
          expect(EddyError.is(error, 'INVALID_FILTER')).toBe(true);
        }
      }),
    );
  });
});
