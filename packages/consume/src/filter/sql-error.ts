import { EddyError } from '@eddy/message';

// Long expressions are cut in messages so that one bad subscription cannot flood a log line.
const MAX_QUOTED_LENGTH = 80;

/**
 * The `INVALID_FILTER` error for a bad SQL92 expression: the message quotes the expression, names the
 * 1-based column and what was expected; `details.position` is the 0-based offset.
 */
export function sqlFilterError(expression: string, position: number, problem: string): EddyError {
  const quoted = expression.length > MAX_QUOTED_LENGTH ? `${expression.slice(0, MAX_QUOTED_LENGTH)}…` : expression;
  return new EddyError('INVALID_FILTER', `invalid SQL92 filter "${quoted}" at column ${position + 1}: ${problem}`, {
    details: { expression, position },
  });
}
