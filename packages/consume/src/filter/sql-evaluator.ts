import type { Message } from '@eddy/message';
import type { SqlComparisonOperator, SqlCondition, SqlOperand } from './sql-parser.js';

/**
 * The result of a condition under SQL's three-valued logic: `true`, `false`, or `undefined` for
 * UNKNOWN (a comparison that involves a missing property). A filter matches only on `true`.
 */
export type SqlTruth = boolean | undefined;

/** A compiled condition: evaluates against a message with no parsing and no allocation beyond `KEYS`. */
export type SqlConditionEvaluator = (message: Message) => SqlTruth;

type Value = string | number | bigint | boolean | undefined;
type Getter = (message: Message) => Value;

/**
 * The value a SQL92 filter sees for a name, or `undefined` (SQL NULL) when the message has none.
 *
 * - `TAGS`: the message's tag.
 * - `KEYS`: the message's keys joined by one space (RocketMQ's `KEYS` property format); NULL when there
 *   are none.
 * - Any other name: the user property of that name (case-sensitive).
 *
 * These are the only system fields a filter can see; both names are reserved, so a user property
 * cannot shadow them.
 */
export function sqlPropertyValue(message: Message, name: string): string | undefined {
  if (name === 'TAGS') return message.tag;
  if (name === 'KEYS') return message.keys.length === 0 ? undefined : message.keys.join(' ');
  // Own properties only: a name like `constructor` must not reach Object.prototype.
  return Object.hasOwn(message.properties, name) ? message.properties[name] : undefined;
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * A property string read as a number: decimal digits with an optional sign, fraction and exponent,
 * nothing else (no spaces, no hex). Integers too long for a double's exact range stay exact as bigint.
 */
function parseNumeric(text: string): number | bigint | undefined {
  if (!NUMERIC.test(text)) return undefined;
  // 15 digits always fit a double exactly; beyond that, keep a long exact for comparison with longs.
  if (text.length > 15 && INTEGER.test(text)) return BigInt(text);
  return Number(text);
}

function numeric(value: Value): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string') return parseNumeric(value);
  return undefined;
}

// JS compares number with bigint by mathematical value, so a long and a double compare exactly.
function compareNumbers(left: number | bigint, right: number | bigint): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function stringAsBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

// Equality across types: a string equals a number when it reads as that number, and equals a boolean
// when it spells it ('true' / 'false', any case); anything else of different types is unequal.
function equalValues(left: string | number | bigint | boolean, right: string | number | bigint | boolean): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left === right;
  if (typeof left === 'boolean' || typeof right === 'boolean') {
    if (typeof left === 'boolean' && typeof right === 'boolean') return left === right;
    const text = typeof left === 'string' ? left : typeof right === 'string' ? right : undefined;
    return text !== undefined && stringAsBoolean(text) === (typeof left === 'boolean' ? left : right);
  }
  const leftNumber = numeric(left);
  const rightNumber = numeric(right);
  return leftNumber !== undefined && rightNumber !== undefined && compareNumbers(leftNumber, rightNumber) === 0;
}

function compileOperand(operand: SqlOperand): Getter {
  switch (operand.kind) {
    case 'property': {
      const name = operand.name;
      if (name === 'TAGS') return (message) => message.tag;
      if (name === 'KEYS') return (message) => sqlPropertyValue(message, 'KEYS');
      return (message) => (Object.hasOwn(message.properties, name) ? message.properties[name] : undefined);
    }
    case 'null':
      return () => undefined;
    default: {
      const value = operand.value;
      return () => value;
    }
  }
}

const orderingTests: Record<Exclude<SqlComparisonOperator, '=' | '<>'>, (order: number) => boolean> = {
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
};

function compileComparison(
  operator: SqlComparisonOperator,
  left: SqlOperand,
  right: SqlOperand,
): SqlConditionEvaluator {
  const getLeft = compileOperand(left);
  const getRight = compileOperand(right);
  if (operator === '=' || operator === '<>') {
    const wanted = operator === '=';
    return (message) => {
      const leftValue = getLeft(message);
      if (leftValue === undefined) return undefined;
      const rightValue = getRight(message);
      if (rightValue === undefined) return undefined;
      return equalValues(leftValue, rightValue) === wanted;
    };
  }
  const test = orderingTests[operator];
  return (message) => {
    const leftValue = getLeft(message);
    if (leftValue === undefined) return undefined;
    const rightValue = getRight(message);
    if (rightValue === undefined) return undefined;
    // Ordering is numeric only: a value that does not read as a number makes the comparison false.
    const leftNumber = numeric(leftValue);
    const rightNumber = numeric(rightValue);
    if (leftNumber === undefined || rightNumber === undefined) return false;
    return test(compareNumbers(leftNumber, rightNumber));
  };
}

function and(operands: readonly SqlConditionEvaluator[]): SqlConditionEvaluator {
  return (message) => {
    let unknown = false;
    for (const operand of operands) {
      const result = operand(message);
      if (result === false) return false;
      if (result === undefined) unknown = true;
    }
    return unknown ? undefined : true;
  };
}

function or(operands: readonly SqlConditionEvaluator[]): SqlConditionEvaluator {
  return (message) => {
    let unknown = false;
    for (const operand of operands) {
      const result = operand(message);
      if (result === true) return true;
      if (result === undefined) unknown = true;
    }
    return unknown ? undefined : false;
  };
}

/**
 * Compiles a parsed condition into an evaluator, once; evaluating does not look at the AST again.
 *
 * Semantics (RocketMQ's, which are JMS selectors'):
 * - Names are read with {@link sqlPropertyValue}; a missing one is NULL.
 * - Three-valued logic: a comparison, `BETWEEN` or `IN` with a NULL side is UNKNOWN; `NOT UNKNOWN` is
 *   UNKNOWN; `FALSE AND UNKNOWN` is FALSE; `TRUE OR UNKNOWN` is TRUE; otherwise UNKNOWN spreads. So
 *   `NOT (a > 1)` does not match a message without `a`.
 * - `>`, `>=`, `<`, `<=`, `BETWEEN`: numeric. A property string that reads as a number (`12`, `-1.5`,
 *   `3e2`) compares by value, exactly for 64-bit integers; if either side is not numeric the comparison
 *   is FALSE (not UNKNOWN). `BETWEEN lo AND hi` is `>= lo AND <= hi`; `NOT BETWEEN` is `< lo OR > hi`.
 * - `=`, `<>`: two strings compare exactly; a string and a number compare numerically when the string
 *   reads as a number, else they are unequal; a string equals `TRUE` / `FALSE` only when it spells it
 *   (any case). `<>` is `NOT =`.
 * - `IN`: the property's string is one of the listed strings.
 * - `IS NULL`: the property is missing; never UNKNOWN.
 * - A lone property as a condition: TRUE / FALSE when it spells `true` / `false` (any case), FALSE for
 *   other strings, UNKNOWN when missing.
 *
 * Where RocketMQ throws while evaluating (`a > 1` with `a = 'x'`, a decimal string against an integer
 * literal) and so skips the message, Eddy gives FALSE or compares by value: the same message is skipped
 * in the first case and correctly matched in the second. Where RocketMQ's `=` treats a missing left
 * side and a missing right side differently, Eddy gives UNKNOWN for both.
 */
export function compileSqlCondition(condition: SqlCondition): SqlConditionEvaluator {
  switch (condition.kind) {
    case 'or':
      return or(condition.operands.map(compileSqlCondition));
    case 'and':
      return and(condition.operands.map(compileSqlCondition));
    case 'not': {
      const operand = compileSqlCondition(condition.operand);
      return (message) => {
        const result = operand(message);
        return result === undefined ? undefined : !result;
      };
    }
    case 'comparison':
      return compileComparison(condition.operator, condition.left, condition.right);
    case 'between': {
      const { value, low, high } = condition;
      return condition.negated
        ? or([compileComparison('<', value, low), compileComparison('>', value, high)])
        : and([compileComparison('>=', value, low), compileComparison('<=', value, high)]);
    }
    case 'in': {
      const values = new Set(condition.values);
      const name = condition.property;
      const negated = condition.negated;
      return (message) => {
        const value = sqlPropertyValue(message, name);
        return value === undefined ? undefined : values.has(value) !== negated;
      };
    }
    case 'is-null': {
      const get = compileOperand(condition.operand);
      const negated = condition.negated;
      return (message) => (get(message) === undefined) !== negated;
    }
    case 'boolean-value': {
      const get = compileOperand(condition.operand);
      return (message) => {
        const value = get(message);
        if (value === undefined || typeof value === 'boolean') return value;
        return typeof value === 'string' && stringAsBoolean(value) === true;
      };
    }
  }
}
