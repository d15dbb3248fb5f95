import { sqlFilterError } from './sql-error.js';

/** The reserved words of RocketMQ's SQL92 filter grammar; matched case-insensitively. */
export const SQL_KEYWORDS = ['AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE'] as const;

/** One of {@link SQL_KEYWORDS}, upper case. */
export type SqlKeyword = (typeof SQL_KEYWORDS)[number];

/** What a {@link SqlToken} is. */
export type SqlTokenKind =
  | 'identifier'
  | 'keyword'
  | 'string'
  | 'integer'
  | 'decimal'
  | 'operator'
  | '('
  | ')'
  | ','
  | 'end';

/** One token of a SQL92 filter expression. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  /**
   * The token's meaning: an identifier's name, a keyword in upper case, a string's content with `''`
   * decoded, a number's digits (without an `L` suffix), an operator; empty for `end`.
   */
  readonly value: string;
  /** 0-based offset of the token's first character in the expression. */
  readonly position: number;
}

const keywords: ReadonlySet<string> = new Set(SQL_KEYWORDS);

// ASCII only, as in RocketMQ's grammar ([a-z_$][a-z0-9_$]*, ignoring case); '.' is Eddy's addition so
// that dotted property names (`order.region`) can be named.
function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || isDigit(code) || code === 46;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWhitespace(code: number): boolean {
  // The whitespace RocketMQ's grammar skips: space, tab, line feed, carriage return, form feed.
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 12;
}

function describeCharacter(expression: string, position: number): string {
  const codePoint = expression.codePointAt(position) ?? 0;
  const shown = String.fromCodePoint(codePoint);
  return codePoint < 32 || codePoint === 127
    ? `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`
    : `'${shown}'`;
}

/**
 * Splits a SQL92 filter expression into tokens, ending with one `end` token. Skips whitespace,
 * `-- line` and `/* block *\/` comments, as RocketMQ does.
 *
 * @throws `INVALID_FILTER` for an unterminated string or comment, a malformed number, or a character
 * that starts no token; the message names the column.
 */
export function tokenizeSql(expression: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const length = expression.length;
  let index = 0;
  while (index < length) {
    const code = expression.charCodeAt(index);
    const start = index;
    if (isWhitespace(code)) {
      index++;
      continue;
    }
    if (code === 45 && expression.charCodeAt(index + 1) === 45) {
      while (index < length && expression[index] !== '\n' && expression[index] !== '\r') index++;
      continue;
    }
    if (code === 47 && expression.charCodeAt(index + 1) === 42) {
      const close = expression.indexOf('*/', index + 2);
      if (close < 0) throw sqlFilterError(expression, start, 'unterminated comment: /* has no closing */');
      index = close + 2;
      continue;
    }
    if (code === 39) {
      let value = '';
      index++;
      for (;;) {
        const quote = expression.indexOf("'", index);
        if (quote < 0)
          throw sqlFilterError(expression, start, 'unterminated string: a quote opened here is never closed');
        value += expression.slice(index, quote);
        // A doubled quote is one quote inside the string (SQL's only escape).
        if (expression.charCodeAt(quote + 1) === 39) {
          value += "'";
          index = quote + 2;
          continue;
        }
        index = quote + 1;
        break;
      }
      tokens.push({ kind: 'string', value, position: start });
      continue;
    }
    if (isDigit(code) || (code === 46 && isDigit(expression.charCodeAt(index + 1)))) {
      index = scanNumber(expression, index, tokens);
      continue;
    }
    if (isIdentifierStart(code)) {
      while (index < length && isIdentifierPart(expression.charCodeAt(index))) index++;
      const word = expression.slice(start, index);
      const upper = word.toUpperCase();
      tokens.push(
        keywords.has(upper)
          ? { kind: 'keyword', value: upper, position: start }
          : { kind: 'identifier', value: word, position: start },
      );
      continue;
    }
    const next = expression.charCodeAt(index + 1);
    switch (code) {
      case 40:
        tokens.push({ kind: '(', value: '(', position: start });
        index++;
        continue;
      case 41:
        tokens.push({ kind: ')', value: ')', position: start });
        index++;
        continue;
      case 44:
        tokens.push({ kind: ',', value: ',', position: start });
        index++;
        continue;
      case 61:
      case 43:
      case 45:
        tokens.push({ kind: 'operator', value: expression[index] as string, position: start });
        index++;
        continue;
      case 60: {
        const operator = next === 62 ? '<>' : next === 61 ? '<=' : '<';
        tokens.push({ kind: 'operator', value: operator, position: start });
        index += operator.length;
        continue;
      }
      case 62: {
        const operator = next === 61 ? '>=' : '>';
        tokens.push({ kind: 'operator', value: operator, position: start });
        index += operator.length;
        continue;
      }
      case 33:
        if (next === 61)
          throw sqlFilterError(expression, start, "unknown operator '!='; SQL92 writes not-equal as '<>'");
        break;
      case 34:
        throw sqlFilterError(expression, start, "unexpected '\"'; string literals use single quotes ('text')");
    }
    throw sqlFilterError(expression, start, `unexpected character ${describeCharacter(expression, start)}`);
  }
  tokens.push({ kind: 'end', value: '', position: length });
  return tokens;
}

// Numbers follow RocketMQ's literals: 12, 12L (a long), 1.5, 1., .5, 1e3, 1.5E-3. No hex or octal.
function scanNumber(expression: string, start: number, tokens: SqlToken[]): number {
  let index = start;
  let decimal = false;
  while (isDigit(expression.charCodeAt(index))) index++;
  if (expression.charCodeAt(index) === 46) {
    decimal = true;
    index++;
    while (isDigit(expression.charCodeAt(index))) index++;
  }
  const exponent = expression.charCodeAt(index);
  if (exponent === 101 || exponent === 69) {
    let digits = index + 1;
    const sign = expression.charCodeAt(digits);
    if (sign === 43 || sign === 45) digits++;
    if (!isDigit(expression.charCodeAt(digits))) {
      throw sqlFilterError(
        expression,
        index,
        `malformed number '${expression.slice(start, digits)}': the exponent has no digits`,
      );
    }
    decimal = true;
    index = digits;
    while (isDigit(expression.charCodeAt(index))) index++;
  }
  const value = expression.slice(start, index);
  const suffix = expression.charCodeAt(index);
  if (!decimal && (suffix === 76 || suffix === 108)) index++;
  // "12abc" is one mistyped word, not a number followed by a name.
  if (index < expression.length && isIdentifierPart(expression.charCodeAt(index))) {
    throw sqlFilterError(
      expression,
      index,
      `malformed number: unexpected ${describeCharacter(expression, index)} after '${expression.slice(start, index)}'`,
    );
  }
  tokens.push({ kind: decimal ? 'decimal' : 'integer', value, position: start });
  return index;
}
