import { createMessage, type Message } from '@eddy/message';
import { describe, expect, it } from 'vitest';
import { compileSqlCondition, type SqlTruth, sqlPropertyValue } from './sql-evaluator.js';
import { parseSqlFilter } from './sql-parser.js';

function message(properties: Record<string, string>, extra: { tag?: string; keys?: string[] } = {}): Message {
  return createMessage({ topic: 'T', body: '', properties, tag: extra.tag, keys: extra.keys, messageId: 'id' });
}

function evaluate(expression: string, properties: Record<string, string>, extra?: { tag?: string; keys?: string[] }) {
  return compileSqlCondition(parseSqlFilter(expression))(message(properties, extra));
}

const UNKNOWN = undefined;

// expression × user properties → TRUE / FALSE / UNKNOWN
const rows: [string, Record<string, string>, SqlTruth][] = [
  // numeric comparisons, property strings read as numbers
  ['a = 1', { a: '1' }, true],
  ['a = 1', { a: '1.0' }, true],
  ['a = 1', { a: '2' }, false],
  ['a <> 1', { a: '2' }, true],
  ['a <> 1', { a: '1' }, false],
  ['a > 1', { a: '2' }, true],
  ['a > 1', { a: '1' }, false],
  ['a >= 1', { a: '1' }, true],
  ['a < 1', { a: '0.5' }, true],
  ['a <= -1', { a: '-1' }, true],
  ['a < -1', { a: '-1' }, false],
  ['a > 1.5', { a: '1.75' }, true],
  ['a > .5', { a: '0.6' }, true],
  ['a > 1e3', { a: '1001' }, true],
  ['a = 1E3', { a: '1000' }, true],
  ['a > 5', { a: '10' }, true], // numerically, not as strings ('10' < '5')
  ['a > +5', { a: '6' }, true],
  ['a = 10L', { a: '10' }, true],
  ['1 < a', { a: '2' }, true],
  ['a > b', { a: '10', b: '9' }, true],
  ['a > b', { a: '10', b: 'x' }, false],
  ['a = b', { a: '1', b: '1.0' }, false], // two strings compare as strings
  ['a = b', { a: 'x', b: 'x' }, true],
  ['a = 3e2', { a: '300' }, true],
  ['a > 0', { a: ' 1' }, false], // no trimming: not a number
  ['a > 0', { a: '0x10' }, false], // no hex
  // 64-bit integers compare exactly
  ['a = 9007199254740993', { a: '9007199254740993' }, true],
  ['a = 9007199254740993', { a: '9007199254740992' }, false],
  ['a > 9007199254740992', { a: '9007199254740993' }, true],
  ['a = 9223372036854775807', { a: '9223372036854775807' }, true],
  ['a = -9223372036854775808', { a: '-9223372036854775808' }, true],
  ['a < 9223372036854775807', { a: '9223372036854775806' }, true],
  ['a > 9223372036854775806', { a: '9223372036854775807.5' }, true],
  // string comparisons
  ["a = 'x'", { a: 'x' }, true],
  ["a = 'x'", { a: 'X' }, false],
  ["a <> 'x'", { a: 'y' }, true],
  ["a = 'it''s'", { a: "it's" }, true],
  ["a = ''", { a: '' }, true],
  ["a = '1'", { a: '1' }, true],
  ["a = '1.0'", { a: '1' }, false],
  ['a = 1', { a: 'abc' }, false], // not numeric: unequal, not an error
  ['a <> 1', { a: 'abc' }, true],
  ['a > 1', { a: 'abc' }, false], // ordering of a non-number is FALSE, not UNKNOWN
  ['NOT (a > 1)', { a: 'abc' }, true],
  ["'x' = 'x'", {}, true],
  ["a = '你好'", { a: '你好' }, true],
  // booleans
  ['a = TRUE', { a: 'true' }, true],
  ['a = TRUE', { a: 'TRUE' }, true],
  ['a = FALSE', { a: 'false' }, true],
  ['a = FALSE', { a: 'yes' }, false],
  ['a = TRUE', { a: '1' }, false],
  ['TRUE', {}, true],
  ['FALSE', {}, false],
  ['NOT FALSE', {}, true],
  ['a', { a: 'true' }, true],
  ['a', { a: 'False' }, false],
  ['a', { a: 'x' }, false],
  ['a', {}, UNKNOWN],
  ['NOT a', { a: 'false' }, true],
  ['TRUE = FALSE', {}, false],
  // NULL and three-valued logic
  ['a = 1', {}, UNKNOWN],
  ['a <> 1', {}, UNKNOWN],
  ["a = 'x'", {}, UNKNOWN],
  ["'x' = a", {}, UNKNOWN],
  ['a > 1', {}, UNKNOWN],
  ['NOT (a > 1)', {}, UNKNOWN],
  ['NOT a > 1', {}, UNKNOWN],
  ['NOT NOT (a > 1)', {}, UNKNOWN],
  ['a = b', { a: '1' }, UNKNOWN],
  ['a IS NULL', {}, true],
  ['a IS NULL', { a: '' }, false],
  ['a IS NOT NULL', { a: '' }, true],
  ['a IS NOT NULL', {}, false],
  ['NOT a IS NULL', {}, false],
  ['NULL IS NULL', {}, true],
  ["'x' IS NULL", {}, false],
  ['1 IS NOT NULL', {}, true],
  ['constructor IS NULL', {}, true], // own properties only
  ['toString = 1', {}, UNKNOWN],
  ['a > 1 AND b > 1', { a: '2' }, UNKNOWN],
  ['a > 1 AND b > 1', { a: '0' }, false], // FALSE AND UNKNOWN
  ['a > 1 OR b > 1', { a: '2' }, true], // TRUE OR UNKNOWN
  ['a > 1 OR b > 1', { a: '0' }, UNKNOWN],
  ['a > 1 OR b IS NULL', { a: '0' }, true],
  ['NOT (a > 1 AND b > 1)', { a: '0' }, true],
  ['NOT (a > 1 OR b > 1)', { a: '0' }, UNKNOWN],
  // precedence: NOT > AND > OR
  ['a = 1 OR b = 1 AND c = 1', { a: '1', b: '0', c: '0' }, true],
  ['(a = 1 OR b = 1) AND c = 1', { a: '1', b: '0', c: '0' }, false],
  ['a = 1 AND b = 1 OR c = 1', { a: '0', b: '0', c: '1' }, true],
  ['a = 1 AND (b = 1 OR c = 1)', { a: '0', b: '0', c: '1' }, false],
  ['NOT a = 1 AND b = 1', { a: '0', b: '1' }, true],
  ['NOT a = 1 AND b = 1', { a: '1', b: '1' }, false],
  ['NOT (a = 1 AND b = 1)', { a: '1', b: '0' }, true],
  ['NOT a = 1 OR b = 1', { a: '1', b: '1' }, true],
  ['NOT a = 1 OR b = 1', { a: '1', b: '0' }, false],
  ['a = 1 OR NOT b = 1 AND c = 1', { a: '0', b: '0', c: '1' }, true],
  ['((a = 1))', { a: '1' }, true],
  ['a = 1 OR b = 1 OR c = 1', { a: '0', b: '0', c: '1' }, true],
  ['a = 1 AND b = 1 AND c = 1', { a: '1', b: '1', c: '0' }, false],
  // BETWEEN
  ['a BETWEEN 1 AND 3', { a: '1' }, true],
  ['a BETWEEN 1 AND 3', { a: '3' }, true],
  ['a BETWEEN 1 AND 3', { a: '2.5' }, true],
  ['a BETWEEN 1 AND 3', { a: '4' }, false],
  ['a BETWEEN 1 AND 3', { a: 'x' }, false],
  ['a BETWEEN 1 AND 3', {}, UNKNOWN],
  ['a BETWEEN -3 AND -1', { a: '-2' }, true],
  ['a BETWEEN 1 AND 1', { a: '1' }, true],
  ['a NOT BETWEEN 1 AND 3', { a: '4' }, true],
  ['a NOT BETWEEN 1 AND 3', { a: '0' }, true],
  ['a NOT BETWEEN 1 AND 3', { a: '2' }, false],
  ['a NOT BETWEEN 1 AND 3', { a: 'x' }, false],
  ['a NOT BETWEEN 1 AND 3', {}, UNKNOWN],
  ['a BETWEEN lo AND hi', { a: '5', lo: '1', hi: '10' }, true],
  ['a BETWEEN lo AND hi', { a: '5', lo: '1' }, UNKNOWN],
  ['a BETWEEN lo AND hi', { a: '0', lo: '1' }, false], // FALSE AND UNKNOWN
  ['a BETWEEN 1 AND 3 AND b = 1', { a: '2', b: '1' }, true],
  ['a BETWEEN 1 AND 3 OR b = 1', { a: '9', b: '1' }, true],
  ['NOT a BETWEEN 1 AND 3', { a: '9' }, true],
  ['5 BETWEEN a AND b', { a: '1', b: '9' }, true],
  // IN
  ["a IN ('x', 'y')", { a: 'y' }, true],
  ["a IN ('x', 'y')", { a: 'z' }, false],
  ["a IN ('x')", {}, UNKNOWN],
  ["a NOT IN ('x', 'y')", { a: 'z' }, true],
  ["a NOT IN ('x', 'y')", { a: 'x' }, false],
  ["a NOT IN ('x')", {}, UNKNOWN],
  ["NOT a IN ('x')", { a: 'z' }, true],
  ["a IN ('1')", { a: '1.0' }, false], // IN compares strings
  ["a IN ('a,b')", { a: 'a,b' }, true],
  // case-insensitive keywords, case-sensitive names
  ['a between 1 and 3', { a: '2' }, true],
  ["a not in ('x')", { a: 'y' }, true],
  ['a is not null', { a: '1' }, true],
  ['a Is NuLl', {}, true],
  ['not (a = 1) or b = true', { a: '1', b: 'true' }, true],
  ['A = 1', { a: '1' }, UNKNOWN],
  // names
  ['order.region = 1', { 'order.region': '1' }, true],
  ['_x = 1', { _x: '1' }, true],
  ['$x = 1', { $x: '1' }, true],
  ['x2 = 1', { x2: '1' }, true],
  // comments and whitespace
  ['a = 1 -- trailing comment', { a: '1' }, true],
  ['a = 1 /* a comment */ AND b = 2', { a: '1', b: '2' }, true],
  ['\ta\n=\r\n1\f', { a: '1' }, true],
];

describe('compileSqlCondition', () => {
  it.each(rows)('%s with %j is %s', (expression, properties, expected) => {
    expect(evaluate(expression, properties)).toBe(expected);
  });

  it('reads TAGS as the tag and KEYS as the keys joined by a space', () => {
    expect(evaluate("TAGS = 'TagA'", {}, { tag: 'TagA' })).toBe(true);
    expect(evaluate("TAGS IN ('TagA', 'TagB')", {}, { tag: 'TagB' })).toBe(true);
    expect(evaluate('TAGS IS NULL', {})).toBe(true);
    expect(evaluate("KEYS = 'k1 k2'", {}, { keys: ['k1', 'k2'] })).toBe(true);
    expect(evaluate('KEYS IS NULL', {}, { keys: [] })).toBe(true);
    expect(
      evaluate(
        "(TAGS IS NOT NULL AND TAGS IN ('TagA', 'TagB')) AND (a IS NOT NULL AND a BETWEEN 0 AND 3)",
        { a: '2' },
        { tag: 'TagA' },
      ),
    ).toBe(true);
  });

  it('exposes the lookup it uses', () => {
    const value = message({ a: '1' }, { tag: 't', keys: ['x', 'y'] });
    expect(sqlPropertyValue(value, 'a')).toBe('1');
    expect(sqlPropertyValue(value, 'TAGS')).toBe('t');
    expect(sqlPropertyValue(value, 'KEYS')).toBe('x y');
    expect(sqlPropertyValue(value, 'b')).toBeUndefined();
    expect(sqlPropertyValue(value, '__proto__')).toBeUndefined();
  });
});
