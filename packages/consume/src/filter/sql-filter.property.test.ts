import { createMessage, EddyError, type Message } from '@eddy/message';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSqlCondition } from './sql-evaluator.js';
import { formatSqlCondition, parseSqlFilter, type SqlCondition, type SqlOperand } from './sql-parser.js';

const NAMES = ['a', 'b', 'c', 'TAGS', 'KEYS', 'x.y', '$d', '_e'] as const;
const VALUES = ['1', '2', '-3', '1.5', '1.0', 'abc', 'true', 'FALSE', '', "it's", '9223372036854775807', '1e3', 'x'];

const messageArbitrary: fc.Arbitrary<Message> = fc
  .record({
    properties: fc.dictionary(
      fc.constantFrom(...NAMES.filter((name) => name !== 'TAGS' && name !== 'KEYS')),
      fc.constantFrom(...VALUES),
    ),
    tag: fc.option(fc.constantFrom('x', '1', 'TagA'), { nil: undefined }),
    keys: fc.array(fc.constantFrom('k1', 'k2'), { maxLength: 2 }),
  })
  .map((init) => createMessage({ topic: 'T', body: '', messageId: 'id', ...init }));

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

const numberArbitrary: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc
    .bigInt({ min: LONG_MIN, max: LONG_MAX })
    .map((value) => (Number.isSafeInteger(Number(value)) ? Number(value) : value)),
);

const property = fc.constantFrom(...NAMES).map((name): SqlOperand => ({ kind: 'property', name }));
const number = numberArbitrary.map((value): SqlOperand => ({ kind: 'number', value }));
const string = fc
  .oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }))
  .map((value): SqlOperand => ({ kind: 'string', value }));
const boolean = fc.boolean().map((value): SqlOperand => ({ kind: 'boolean', value }));
const numeric = fc.oneof(property, number);
const equatable = fc.oneof(property, number, string, boolean);

const leaf: fc.Arbitrary<SqlCondition> = fc.oneof(
  fc.record({
    kind: fc.constant('comparison' as const),
    operator: fc.constantFrom('=' as const, '<>' as const),
    left: equatable,
    right: equatable,
  }),
  fc.record({
    kind: fc.constant('comparison' as const),
    operator: fc.constantFrom('>' as const, '>=' as const, '<' as const, '<=' as const),
    left: numeric,
    right: numeric,
  }),
  fc
    .record({
      kind: fc.constant('between' as const),
      negated: fc.boolean(),
      value: numeric,
      low: numeric,
      high: numeric,
    })
    .map((between) => {
      // RocketMQ refuses constant bounds in the wrong order, so generate them in order.
      const { low, high } = between;
      return low.kind === 'number' && high.kind === 'number' && low.value > high.value
        ? { ...between, low: high, high: low }
        : between;
    }),
  fc.record({
    kind: fc.constant('in' as const),
    negated: fc.boolean(),
    property: fc.constantFrom(...NAMES),
    values: fc.array(fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('is-null' as const),
    negated: fc.boolean(),
    operand: fc.oneof(equatable, fc.constant<SqlOperand>({ kind: 'null' })),
  }),
  fc.record({ kind: fc.constant('boolean-value' as const), operand: fc.oneof(property, boolean) }),
);

const { condition } = fc.letrec<{ condition: SqlCondition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constant('not' as const), operand: tie('condition') }),
    fc.record({
      kind: fc.constantFrom('and' as const, 'or' as const),
      operands: fc.array(tie('condition'), { minLength: 2, maxLength: 3 }),
    }),
  ),
}));

describe('SQL92 filter properties', () => {
  it('a generated condition, printed, parses back to the same condition', () => {
    fc.assert(
      fc.property(condition, fc.array(messageArbitrary, { minLength: 1, maxLength: 8 }), (original, messages) => {
        const text = formatSqlCondition(original);
        const reparsed = parseSqlFilter(text);
        expect(formatSqlCondition(reparsed)).toBe(text);
        const expected = compileSqlCondition(original);
        const actual = compileSqlCondition(reparsed);
        for (const message of messages) expect(actual(message)).toBe(expected(message));
      }),
      { numRuns: 500 },
    );
  });

  const tokens = [
    'a',
    'b',
    'TAGS',
    '1',
    '-',
    '+',
    '2.5',
    '1e3',
    "'x'",
    "'it''s'",
    "'",
    '(',
    ')',
    ',',
    '=',
    '<>',
    '<',
    '<=',
    '>',
    '>=',
    'AND',
    'or',
    'NOT',
    'between',
    'IN',
    'IS',
    'NULL',
    'TRUE',
    'false',
    '--',
    '/*',
    '*/',
    '!',
    '"',
    '.',
    '9223372036854775808',
    'L',
    'e',
  ];
  const sqlish = fc
    .array(fc.constantFrom(...tokens), { maxLength: 12 })
    .chain((parts) => fc.constantFrom(parts.join(' '), parts.join('')));
  const anyString = fc.oneof(sqlish, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));

  it('any string either parses to a condition that evaluates without throwing, or fails with INVALID_FILTER', () => {
    fc.assert(
      fc.property(anyString, messageArbitrary, (expression, message) => {
        let parsed: SqlCondition;
        try {
          parsed = parseSqlFilter(expression);
        } catch (error) {
          expect(EddyError.is(error, 'INVALID_FILTER')).toBe(true);
          expect((error as EddyError).message).toMatch(/^invalid SQL92 filter ".*" at column \d+: /s);
          return;
        }
        expect([true, false, undefined]).toContain(compileSqlCondition(parsed)(message));
      }),
      { numRuns: 2000 },
    );
  });

  it('evaluation never throws, whatever the property values', () => {
    fc.assert(
      fc.property(
        condition,
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'x.y', '$d', '_e'), fc.string({ unit: 'binary', maxLength: 30 })),
        (original, properties) => {
          const message = createMessage({ topic: 'T', body: '', messageId: 'id', properties });
          expect([true, false, undefined]).toContain(compileSqlCondition(original)(message));
        },
      ),
      { numRuns: 300 },
    );
  });
});
