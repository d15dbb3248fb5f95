import type { Message } from '@eddy/message';
import { EddyError } from '@eddy/message';
import { z } from 'zod';
import { compileSqlCondition } from './sql-evaluator.js';
import { parseSqlFilter, type SqlCondition } from './sql-parser.js';
import { parseTagExpression } from './tag-expression.js';

/** The filter languages of a subscription, as RocketMQ names them (`ExpressionType`). */
export const FILTER_TYPES = ['TAG', 'SQL92'] as const;

/** `'TAG'` (`TagA || TagB`) or `'SQL92'` (property conditions). */
export type FilterType = (typeof FILTER_TYPES)[number];

/** A subscription's filter as a client sends it. */
export interface FilterExpression {
  readonly type: FilterType;
  readonly expression: string;
}

/** A compiled filter: parsed once, cheap to apply to each message. */
export interface MessageFilter {
  /** The filter language. */
  readonly type: FilterType;
  /** The expression as given. */
  readonly expression: string;
  /**
   * Tags the store can pre-filter by tag code (pass to a read's `tags`): every matching message has
   * one of these tags. `undefined` when no such set is known (all tags, or a condition that does not
   * pin the tag); never empty. A pre-filtered message must still pass {@link MessageFilter.matches},
   * since tag codes can collide.
   */
  readonly tags: readonly string[] | undefined;
  /** True when the message passes the filter. Never throws. */
  matches(message: Message): boolean;
}

/**
 * Compiles a filter expression.
 *
 * - `TAG`: see `parseTagExpression`; matches a message whose tag is exactly one of the tags, or every
 *   message for `*`.
 * - `SQL92`: see `parseSqlFilter` and `compileSqlCondition`; matches when the condition is TRUE
 *   (neither FALSE nor UNKNOWN). `tags` is set when the condition requires `TAGS` to be one of some
 *   strings (`TAGS IN ('a', 'b') AND …`, `TAGS = 'a' OR TAGS = 'b'`), so that the store's tag index
 *   still skips most messages.
 *
 * @throws `INVALID_FILTER` for an expression that does not parse, with the problem and its column.
 */
export function createMessageFilter(filter: FilterExpression): MessageFilter {
  const { type, expression } = filter;
  if (type === 'TAG') {
    const parsed = parseTagExpression(expression);
    if (parsed.kind === 'all') return { type, expression, tags: undefined, matches: () => true };
    const wanted = new Set(parsed.tags);
    return {
      type,
      expression,
      tags: parsed.tags,
      matches: (message) => message.tag !== undefined && wanted.has(message.tag),
    };
  }
  if (type === 'SQL92') {
    const condition = parseSqlFilter(expression);
    const evaluate = compileSqlCondition(condition);
    const tags = requiredTags(condition);
    return {
      type,
      expression,
      tags: tags === undefined || tags.size === 0 ? undefined : [...tags],
      matches: (message) => evaluate(message) === true,
    };
  }
  throw new EddyError('INVALID_FILTER', `unknown filter type '${String(type)}'; expected TAG or SQL92`, {
    details: { type },
  });
}

/**
 * A set that holds the tag of every message for which the condition is TRUE, or `undefined` when the
 * condition does not restrict the tag. Sound by construction: `AND` narrows by any operand, `OR` needs
 * every operand to restrict.
 */
function requiredTags(condition: SqlCondition): Set<string> | undefined {
  switch (condition.kind) {
    case 'in':
      return condition.property === 'TAGS' && !condition.negated ? new Set(condition.values) : undefined;
    case 'comparison': {
      if (condition.operator !== '=') return undefined;
      const { left, right } = condition;
      // Only string literals: `TAGS = 5` also matches the tag '5.0'.
      if (left.kind === 'property' && left.name === 'TAGS' && right.kind === 'string') return new Set([right.value]);
      if (right.kind === 'property' && right.name === 'TAGS' && left.kind === 'string') return new Set([left.value]);
      return undefined;
    }
    case 'and': {
      let result: Set<string> | undefined;
      for (const operand of condition.operands) {
        const tags = requiredTags(operand);
        if (tags === undefined) continue;
        result = result === undefined ? tags : new Set([...result].filter((tag) => tags.has(tag)));
      }
      return result;
    }
    case 'or': {
      const result = new Set<string>();
      for (const operand of condition.operands) {
        const tags = requiredTags(operand);
        if (tags === undefined) return undefined;
        for (const tag of tags) result.add(tag);
      }
      return result;
    }
    default:
      return undefined;
  }
}

/**
 * A subscription filter from outside (admin API, configuration): `type` defaults to `'TAG'` and
 * `expression` to `'*'`; the expression must compile (the issue carries the parser's message).
 */
export const FilterExpressionSchema = z
  .object({
    type: z.enum(FILTER_TYPES).default('TAG'),
    expression: z.string().default('*'),
  })
  .strict()
  .superRefine((filter, context) => {
    try {
      createMessageFilter(filter);
    } catch (error) {
      if (!EddyError.is(error, 'INVALID_FILTER')) throw error;
      context.addIssue({ code: 'custom', path: ['expression'], message: error.message });
    }
  });
