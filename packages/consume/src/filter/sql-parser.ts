import { sqlFilterError } from './sql-error.js';
import { type SqlToken, tokenizeSql } from './sql-lexer.js';

/**
 * A value in a SQL92 filter: a message property, or a literal. Numbers are `number` unless they are
 * integers outside the safe range, which stay exact as `bigint` (RocketMQ's literals are Java longs).
 */
export type SqlOperand =
  | { readonly kind: 'property'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number | bigint }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/** A comparison operator; `<>` is not-equal. */
export type SqlComparisonOperator = '=' | '<>' | '>' | '>=' | '<' | '<=';

/**
 * A condition: the AST of a SQL92 filter. `and` / `or` are n-ary (at least two operands) so that a long
 * chain is flat, not a deep tree.
 */
export type SqlCondition =
  | { readonly kind: 'or'; readonly operands: readonly SqlCondition[] }
  | { readonly kind: 'and'; readonly operands: readonly SqlCondition[] }
  | { readonly kind: 'not'; readonly operand: SqlCondition }
  | {
      readonly kind: 'comparison';
      readonly operator: SqlComparisonOperator;
      readonly left: SqlOperand;
      readonly right: SqlOperand;
    }
  | {
      readonly kind: 'between';
      readonly negated: boolean;
      readonly value: SqlOperand;
      readonly low: SqlOperand;
      readonly high: SqlOperand;
    }
  | { readonly kind: 'in'; readonly negated: boolean; readonly property: string; readonly values: readonly string[] }
  | { readonly kind: 'is-null'; readonly negated: boolean; readonly operand: SqlOperand }
  /** A property or `TRUE` / `FALSE` standing alone as a condition. */
  | { readonly kind: 'boolean-value'; readonly operand: SqlOperand };

/** Deepest nesting of parentheses and `NOT` accepted; deeper input is refused rather than overflowing the stack. */
export const MAX_SQL_NESTING = 100;

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const ORDERING_OPERATORS: ReadonlySet<string> = new Set(['>', '>=', '<', '<=']);
const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['=', '<>', '>', '>=', '<', '<=']);

/**
 * Parses a SQL92 filter expression (RocketMQ's `filter` module grammar) into a {@link SqlCondition}.
 *
 * Grammar, loosest binding first:
 * ```
 * expression := or END
 * or         := and (OR and)*
 * and        := not (AND not)*
 * not        := NOT not | predicate
 * predicate  := '(' or ')'
 *             | operand ( ('=' | '<>' | '>' | '>=' | '<' | '<=') operand
 *                       | [NOT] BETWEEN operand AND operand
 *                       | [NOT] IN '(' string (',' string)* ')'
 *                       | IS [NOT] NULL
 *                       | nothing: a property or TRUE/FALSE used as a condition )
 * operand    := identifier | string | ['+' | '-'] number | TRUE | FALSE | NULL
 * ```
 * Keywords are case-insensitive; property names are case-sensitive. Checks made here, as RocketMQ
 * makes them when it builds the expression: `>`-style operators and `BETWEEN` take only properties and
 * numbers; `=` / `<>` refuse `NULL` (use `IS NULL`); the left of `IN` is a property and its list holds
 * string literals; `BETWEEN` of two numbers needs low ≤ high; integers fit in 64 bits.
 *
 * Differences from RocketMQ, on purpose: `NOT` binds looser than comparisons, as in SQL (`NOT a > 1` is
 * `NOT (a > 1)`; RocketMQ rejects it), a sign applies only to a number literal, predicates do not chain
 * (`a = 1 = TRUE` is an error), and `.` may appear in a name after its first character.
 *
 * @throws `INVALID_FILTER` naming the column and what was expected, for any expression outside the grammar.
 */
export function parseSqlFilter(expression: string): SqlCondition {
  return new Parser(expression, tokenizeSql(expression)).parse();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: readonly SqlToken[],
  ) {}

  parse(): SqlCondition {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'the expression is empty; expected a condition');
    const condition = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') {
      throw this.error(
        token,
        token.kind === ')'
          ? "unbalanced parentheses: this ')' has no matching '('"
          : `expected AND, OR or the end of the expression, found ${describe(token)}`,
      );
    }
    return condition;
  }

  private parseOr(): SqlCondition {
    const operands = [this.parseAnd()];
    while (this.acceptKeyword('OR')) operands.push(this.parseAnd());
    return operands.length === 1 ? (operands[0] as SqlCondition) : { kind: 'or', operands };
  }

  private parseAnd(): SqlCondition {
    const operands = [this.parseNot()];
    while (this.acceptKeyword('AND')) operands.push(this.parseNot());
    return operands.length === 1 ? (operands[0] as SqlCondition) : { kind: 'and', operands };
  }

  private parseNot(): SqlCondition {
    const token = this.peek();
    if (token.kind === 'keyword' && token.value === 'NOT') {
      this.index++;
      this.enter(token);
      const operand = this.parseNot();
      this.depth--;
      return { kind: 'not', operand };
    }
    return this.parsePredicate();
  }

  private parsePredicate(): SqlCondition {
    const open = this.peek();
    if (open.kind === '(') {
      this.index++;
      this.enter(open);
      const inner = this.parseOr();
      this.depth--;
      const close = this.peek();
      if (close.kind !== ')') {
        throw this.error(
          close,
          close.kind === 'end'
            ? `unbalanced parentheses: the '(' at column ${open.position + 1} is never closed`
            : `expected ')' to close the '(' at column ${open.position + 1}, found ${describe(close)}`,
        );
      }
      this.index++;
      return inner;
    }
    const left = this.parseOperand('a condition');
    const token = this.peek();
    if (token.kind === 'operator' && COMPARISON_OPERATORS.has(token.value)) {
      this.index++;
      const operator = token.value as SqlComparisonOperator;
      this.checkComparable(operator, left, open);
      const rightToken = this.peek();
      const right = this.parseOperand(`a value after '${operator}'`);
      this.checkComparable(operator, right, rightToken);
      return { kind: 'comparison', operator, left, right };
    }
    if (token.kind === 'keyword') {
      const negated = token.value === 'NOT';
      const word = negated ? this.tokens[this.index + 1] : token;
      if (word?.kind === 'keyword' && word.value === 'BETWEEN') {
        this.index += negated ? 2 : 1;
        return this.parseBetween(left, open, negated);
      }
      if (word?.kind === 'keyword' && word.value === 'IN') {
        this.index += negated ? 2 : 1;
        return this.parseIn(left, open, negated);
      }
      if (negated)
        throw this.error(word ?? token, `expected BETWEEN or IN after NOT, found ${describe(word ?? token)}`);
      if (token.value === 'IS') {
        this.index++;
        const isNegated = this.acceptKeyword('NOT');
        const nullToken = this.peek();
        if (!(nullToken.kind === 'keyword' && nullToken.value === 'NULL')) {
          throw this.error(
            nullToken,
            `expected ${isNegated ? 'NULL' : 'NULL or NOT NULL'} after IS, found ${describe(nullToken)}`,
          );
        }
        this.index++;
        return { kind: 'is-null', negated: isNegated, operand: left };
      }
    }
    if (left.kind === 'property' || left.kind === 'boolean') return { kind: 'boolean-value', operand: left };
    throw this.error(
      token,
      `expected a comparison, BETWEEN, IN or IS after ${describeOperand(left)}, found ${describe(token)}`,
    );
  }

  private parseBetween(value: SqlOperand, valueToken: SqlToken, negated: boolean): SqlCondition {
    const keyword = negated ? 'NOT BETWEEN' : 'BETWEEN';
    this.checkComparable(keyword, value, valueToken);
    const lowToken = this.peek();
    const low = this.parseOperand(`the low bound after ${keyword}`);
    this.checkComparable(keyword, low, lowToken);
    const and = this.peek();
    if (!(and.kind === 'keyword' && and.value === 'AND')) {
      throw this.error(and, `expected AND between the bounds of ${keyword}, found ${describe(and)}`);
    }
    this.index++;
    const highToken = this.peek();
    const high = this.parseOperand(`the high bound after ${keyword} … AND`);
    this.checkComparable(keyword, high, highToken);
    if (low.kind === 'number' && high.kind === 'number' && low.value > high.value) {
      throw this.error(
        lowToken,
        `the low bound of ${keyword} (${low.value}) is greater than the high bound (${high.value})`,
      );
    }
    return { kind: 'between', negated, value, low, high };
  }

  private parseIn(left: SqlOperand, leftToken: SqlToken, negated: boolean): SqlCondition {
    const keyword = negated ? 'NOT IN' : 'IN';
    if (left.kind !== 'property') {
      throw this.error(leftToken, `the left of ${keyword} must be a property name, found ${describeOperand(left)}`);
    }
    const open = this.peek();
    if (open.kind !== '(') throw this.error(open, `expected '(' after ${keyword}, found ${describe(open)}`);
    this.index++;
    const values: string[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'string') {
        throw this.error(
          token,
          token.kind === ')' && values.length === 0
            ? `the list of ${keyword} is empty; it needs at least one string`
            : `expected a string literal in the list of ${keyword}, found ${describe(token)}` +
                (token.kind === 'integer' || token.kind === 'decimal'
                  ? ` (RocketMQ's IN takes quoted strings: '${token.value}')`
                  : ''),
        );
      }
      this.index++;
      values.push(token.value);
      const separator = this.peek();
      if (separator.kind === ',') {
        this.index++;
        continue;
      }
      if (separator.kind === ')') {
        this.index++;
        return { kind: 'in', negated, property: left.name, values };
      }
      throw this.error(
        separator,
        `expected ',' or ')' in the list of ${keyword} opened at column ${open.position + 1}, found ${describe(separator)}`,
      );
    }
  }

  private parseOperand(what: string): SqlOperand {
    const token = this.peek();
    switch (token.kind) {
      case 'identifier':
        this.index++;
        return { kind: 'property', name: token.value };
      case 'string':
        this.index++;
        return { kind: 'string', value: token.value };
      case 'integer':
      case 'decimal':
        this.index++;
        return { kind: 'number', value: this.numberValue(token, false) };
      case 'operator':
        if (token.value === '-' || token.value === '+') {
          this.index++;
          const number = this.peek();
          if (number.kind !== 'integer' && number.kind !== 'decimal') {
            throw this.error(number, `expected a number after '${token.value}', found ${describe(number)}`);
          }
          this.index++;
          return { kind: 'number', value: this.numberValue(number, token.value === '-') };
        }
        break;
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          this.index++;
          return { kind: 'boolean', value: token.value === 'TRUE' };
        }
        if (token.value === 'NULL') {
          this.index++;
          return { kind: 'null' };
        }
        break;
      case '(':
        throw this.error(token, `expected ${what}, found '(' (parentheses group conditions, not values)`);
    }
    throw this.error(token, `expected ${what}, found ${describe(token)}`);
  }

  private numberValue(token: SqlToken, negative: boolean): number | bigint {
    if (token.kind === 'decimal') {
      const value = Number(token.value);
      if (!Number.isFinite(value)) throw this.error(token, `the number ${token.value} is too large for a double`);
      return negative ? -value : value;
    }
    let value = BigInt(token.value);
    if (negative) value = -value;
    if (value < LONG_MIN || value > LONG_MAX) {
      throw this.error(token, `the integer ${negative ? '-' : ''}${token.value} is outside the 64-bit range`);
    }
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value;
  }

  // RocketMQ refuses these at parse time: ordering needs numbers, and `= NULL` is never true.
  private checkComparable(operator: string, operand: SqlOperand, token: SqlToken): void {
    if (operand.kind === 'null') {
      throw this.error(token, `NULL cannot be compared with ${operator}; use IS NULL or IS NOT NULL`);
    }
    if (
      (ORDERING_OPERATORS.has(operator) || operator.endsWith('BETWEEN')) &&
      operand.kind !== 'property' &&
      operand.kind !== 'number'
    ) {
      throw this.error(
        token,
        `${describeOperand(operand)} cannot be compared with ${operator}; it needs a number or a property`,
      );
    }
  }

  private enter(token: SqlToken): void {
    if (++this.depth > MAX_SQL_NESTING) {
      throw this.error(token, `parentheses and NOT are nested more than ${MAX_SQL_NESTING} deep`);
    }
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token.kind === 'keyword' && token.value === keyword) {
      this.index++;
      return true;
    }
    return false;
  }

  private peek(): SqlToken {
    // The lexer always ends the list with an `end` token, and the parser never moves past it.
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as SqlToken;
  }

  private error(token: SqlToken, problem: string) {
    return sqlFilterError(this.expression, token.position, problem);
  }
}

function describe(token: SqlToken): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the expression';
    case 'identifier':
      return `the name '${token.value}'`;
    case 'keyword':
      return token.value;
    case 'string':
      return `the string '${token.value.replaceAll("'", "''")}'`;
    case 'integer':
    case 'decimal':
      return `the number ${token.value}`;
    default:
      return `'${token.value}'`;
  }
}

function describeOperand(operand: SqlOperand): string {
  switch (operand.kind) {
    case 'property':
      return `the property '${operand.name}'`;
    case 'string':
      return `the string ${formatString(operand.value)}`;
    case 'number':
      return `the number ${operand.value}`;
    case 'boolean':
      return operand.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
  }
}

function formatString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function formatOperand(operand: SqlOperand): string {
  switch (operand.kind) {
    case 'property':
      return operand.name;
    case 'string':
      return formatString(operand.value);
    case 'number':
      // A double that holds a large integer is written with an exponent, so that it reads back as a
      // double and not as a (possibly out-of-range) integer literal.
      return typeof operand.value === 'number' &&
        Number.isInteger(operand.value) &&
        !Number.isSafeInteger(operand.value)
        ? operand.value.toExponential()
        : String(operand.value);
    case 'boolean':
      return operand.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
  }
}

function formatNested(condition: SqlCondition): string {
  const text = formatSqlCondition(condition);
  return condition.kind === 'and' || condition.kind === 'or' ? `(${text})` : text;
}

/**
 * Writes a condition back as a SQL92 expression that {@link parseSqlFilter} reads as the same
 * condition: keywords upper case, `AND` / `OR` groups and `NOT` operands parenthesised. Used for logs
 * and admin views (a normalised form of a subscription).
 */
export function formatSqlCondition(condition: SqlCondition): string {
  switch (condition.kind) {
    case 'or':
      return condition.operands.map(formatNested).join(' OR ');
    case 'and':
      return condition.operands.map(formatNested).join(' AND ');
    case 'not':
      return `NOT (${formatSqlCondition(condition.operand)})`;
    case 'comparison':
      return `${formatOperand(condition.left)} ${condition.operator} ${formatOperand(condition.right)}`;
    case 'between':
      return `${formatOperand(condition.value)} ${condition.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${formatOperand(condition.low)} AND ${formatOperand(condition.high)}`;
    case 'in':
      return `${condition.property} ${condition.negated ? 'NOT IN' : 'IN'} (${condition.values.map(formatString).join(', ')})`;
    case 'is-null':
      return `${formatOperand(condition.operand)} ${condition.negated ? 'IS NOT NULL' : 'IS NULL'}`;
    case 'boolean-value':
      return formatOperand(condition.operand);
  }
}
