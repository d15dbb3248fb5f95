import { createMessage, EddyError } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { compileSqlCondition } from './sql-evaluator.js';
import { formatSqlCondition, MAX_SQL_NESTING, parseSqlFilter, type SqlCondition } from './sql-parser.js';

function parseError(expression: string): EddyError {
  try {
    parseSqlFilter(expression);
  } catch (error) {
    if (EddyError.is(error, 'INVALID_FILTER')) return error;
    throw error;
  }
  throw new Error(`expected "${expression}" to be rejected`);
}

describe('parseSqlFilter: the tree', () => {
  it('groups AND tighter than OR, flat', () => {
    expect(parseSqlFilter('a = 1 OR b = 2 AND c = 3 AND d = 4')).toEqual({
      kind: 'or',
      operands: [
        {
          kind: 'comparison',
          operator: '=',
          left: { kind: 'property', name: 'a' },
          right: { kind: 'number', value: 1 },
        },
        {
          kind: 'and',
          operands: [
            {
              kind: 'comparison',
              operator: '=',
              left: { kind: 'property', name: 'b' },
              right: { kind: 'number', value: 2 },
            },
            {
              kind: 'comparison',
              operator: '=',
              left: { kind: 'property', name: 'c' },
              right: { kind: 'number', value: 3 },
            },
            {
              kind: 'comparison',
              operator: '=',
              left: { kind: 'property', name: 'd' },
              right: { kind: 'number', value: 4 },
            },
          ],
        },
      ],
    });
  });

  it('applies NOT to the whole comparison, and binds it tighter than AND', () => {
    expect(formatSqlCondition(parseSqlFilter('NOT a > 1 AND b = 2'))).toBe('NOT (a > 1) AND b = 2');
    expect(formatSqlCondition(parseSqlFilter('not not a'))).toBe('NOT (NOT (a))');
  });

  it.each([
    ["a NOT IN ('x', 'it''s')", { kind: 'in', negated: true, property: 'a', values: ['x', "it's"] }],
    [
      'a NOT BETWEEN -1 AND 2.5',
      {
        kind: 'between',
        negated: true,
        value: { kind: 'property', name: 'a' },
        low: { kind: 'number', value: -1 },
        high: { kind: 'number', value: 2.5 },
      },
    ],
    ['a IS NOT NULL', { kind: 'is-null', negated: true, operand: { kind: 'property', name: 'a' } }],
    ['flag', { kind: 'boolean-value', operand: { kind: 'property', name: 'flag' } }],
    ['TRUE', { kind: 'boolean-value', operand: { kind: 'boolean', value: true } }],
    [
      'a = 9223372036854775807',
      {
        kind: 'comparison',
        operator: '=',
        left: { kind: 'property', name: 'a' },
        right: { kind: 'number', value: 9223372036854775807n },
      },
    ],
    [
      'a = -9223372036854775808L',
      {
        kind: 'comparison',
        operator: '=',
        left: { kind: 'property', name: 'a' },
        right: { kind: 'number', value: -9223372036854775808n },
      },
    ],
    [
      'a = 12l',
      {
        kind: 'comparison',
        operator: '=',
        left: { kind: 'property', name: 'a' },
        right: { kind: 'number', value: 12 },
      },
    ],
    [
      'a = 1.',
      { kind: 'comparison', operator: '=', left: { kind: 'property', name: 'a' }, right: { kind: 'number', value: 1 } },
    ],
    [
      'a = 5E-1',
      {
        kind: 'comparison',
        operator: '=',
        left: { kind: 'property', name: 'a' },
        right: { kind: 'number', value: 0.5 },
      },
    ],
  ] as [string, SqlCondition][])('%s', (expression, expected) => {
    expect(parseSqlFilter(expression)).toEqual(expected);
  });

  it('accepts nesting up to the limit', () => {
    const nested = `${'('.repeat(MAX_SQL_NESTING)}a = 1${')'.repeat(MAX_SQL_NESTING)}`;
    expect(parseSqlFilter(nested).kind).toBe('comparison');
  });

  it('keeps a long AND chain flat', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `p${i} = ${i}`).join(' AND ');
    const condition = parseSqlFilter(chain);
    expect(condition.kind === 'and' && condition.operands.length).toBe(5000);
    const properties = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, String(i)]));
    expect(compileSqlCondition(condition)(createMessage({ topic: 'T', body: '', properties }))).toBe(true);
  });
});

// expression → a fragment the message must contain, and the 1-based column it must name
const invalid: [string, string, number][] = [
  ['', 'the expression is empty', 1],
  ['   ', 'the expression is empty', 4],
  ['-- only a comment\n', 'the expression is empty', 19],
  ["a = 'abc", 'unterminated string', 5],
  ["a = 'it''s", 'unterminated string', 5],
  ['a = 1 /* no end', 'unterminated comment', 7],
  ['a = #', "unexpected character '#'", 5],
  ['a = 1 ; b = 2', "unexpected character ';'", 7],
  ['a != 1', "'!='", 3],
  ['a = "x"', 'single quotes', 5],
  ['a = 1\u0000', 'U+0000', 6],
  ['a =', "expected a value after '=', found the end of the expression", 4],
  ['= 1', 'expected a condition, found', 1],
  ['a > ', "expected a value after '>'", 5],
  ['a = 1 AND', 'expected a condition, found the end of the expression', 10],
  ['a = 1 OR OR b = 1', 'expected a condition, found OR', 10],
  ['AND a = 1', 'expected a condition, found AND', 1],
  ['NOT', 'expected a condition, found the end', 4],
  ['(a = 1', "the '(' at column 1 is never closed", 7],
  ['((a = 1)', "the '(' at column 1 is never closed", 9],
  ['a = 1)', "this ')' has no matching '('", 6],
  ['()', "expected a condition, found ')'", 2],
  ['(a = 1 b = 2)', "expected ')' to close the '(' at column 1, found the name 'b'", 8],
  ['a BETWEEN 1', 'expected AND between the bounds of BETWEEN, found the end', 12],
  ['a BETWEEN 1 OR 3', 'expected AND between the bounds of BETWEEN, found OR', 13],
  ['a NOT BETWEEN 1, 3', 'expected AND between the bounds of NOT BETWEEN', 16],
  ['a BETWEEN AND 3', 'expected the low bound after BETWEEN, found AND', 11],
  ['a BETWEEN 1 AND', 'expected the high bound', 16],
  ['a BETWEEN 3 AND 1', 'the low bound of BETWEEN (3) is greater than the high bound (1)', 11],
  ["a BETWEEN 'a' AND 'z'", "the string 'a' cannot be compared with BETWEEN", 11],
  ['a IN ()', 'the list of IN is empty', 7],
  ['a NOT IN ()', 'the list of NOT IN is empty', 11],
  ['a IN', "expected '(' after IN, found the end", 5],
  ["a IN 'x'", "expected '(' after IN, found the string 'x'", 6],
  ["a IN ('x'", "expected ',' or ')' in the list of IN opened at column 6, found the end", 10],
  ["a IN ('x',)", "expected a string literal in the list of IN, found ')'", 11],
  ["a IN ('x' 'y')", "expected ',' or ')'", 11],
  ['a IN (1, 2)', "RocketMQ's IN takes quoted strings: '1'", 7],
  ["'x' IN ('x')", "the left of IN must be a property name, found the string 'x'", 1],
  ["1 NOT IN ('x')", 'the left of NOT IN must be a property name', 1],
  ['a NOT', 'expected BETWEEN or IN after NOT, found the end', 6],
  ['a NOT = 1', "expected BETWEEN or IN after NOT, found '='", 7],
  ['a IS', 'expected NULL or NOT NULL after IS, found the end', 5],
  ['a IS 1', 'expected NULL or NOT NULL after IS, found the number 1', 6],
  ['a IS NOT 1', 'expected NULL after IS, found the number 1', 10],
  ['a = NULL', 'NULL cannot be compared with =; use IS NULL', 5],
  ['NULL <> a', 'NULL cannot be compared with <>', 1],
  ["a > 'x'", "the string 'x' cannot be compared with >", 5],
  ['TRUE < 1', 'TRUE cannot be compared with <', 1],
  ['a >= NULL', 'NULL cannot be compared with >=', 6],
  ['a = 1 b = 2', "expected AND, OR or the end of the expression, found the name 'b'", 7],
  ['a = 1 = 2', "expected AND, OR or the end of the expression, found '='", 7],
  ["a = 'x' garbage", "found the name 'garbage'", 9],
  ['a = 1 2', 'found the number 2', 7],
  ['a b', "found the name 'b'", 3],
  ['1', 'expected a comparison, BETWEEN, IN or IS after the number 1', 2],
  ["'x'", "after the string 'x'", 4],
  ['NULL', 'after NULL', 5],
  ['a = 1 AND 2', 'after the number 2', 12],
  ['a = (1)', "found '(' (parentheses group conditions, not values)", 5],
  ['a = - b', "expected a number after '-', found the name 'b'", 7],
  ['a = -', "expected a number after '-', found the end", 6],
  ['a = 12abc', "malformed number: unexpected 'a' after '12'", 7],
  ['a = 1.2.3', "unexpected '.' after '1.2'", 8],
  ['a = 1e', 'the exponent has no digits', 6],
  ['a = 1e+', 'the exponent has no digits', 6],
  ['a = 9223372036854775808', 'outside the 64-bit range', 5],
  ['a = -9223372036854775809', 'outside the 64-bit range', 6],
  ['a = 1e999', 'too large for a double', 5],
  ['a = 1.5L', "unexpected 'L' after '1.5'", 8],
  ['a = .', "unexpected character '.'", 5],
  ['.a = 1', "unexpected character '.'", 1],
];

describe('parseSqlFilter: bad expressions', () => {
  it.each(invalid)('%j is refused: %s', (expression, fragment, column) => {
    const error = parseError(expression);
    expect(error.code).toBe('INVALID_FILTER');
    expect(error.message).toContain(fragment);
    expect(error.message).toContain(`at column ${column}:`);
    expect(error.message).toContain('invalid SQL92 filter');
    expect(error.details).toMatchObject({ expression, position: column - 1 });
  });

  it('refuses nesting beyond the limit instead of overflowing the stack', () => {
    const deep = `${'('.repeat(100_000)}a = 1${')'.repeat(100_000)}`;
    expect(parseError(deep).message).toContain(`nested more than ${MAX_SQL_NESTING} deep`);
    expect(parseError(`${'NOT '.repeat(100_000)}a`).message).toContain('nested more than');
  });

  it('cuts a long expression in the message', () => {
    const error = parseError(`${'a = 1 AND '.repeat(100)}`);
    expect(error.message.length).toBeLessThan(250);
    expect(error.details?.expression).toHaveLength(1000);
  });
});
