import { EddyError } from '@eddy/message';

/** A parsed tag expression: every message, or those whose tag is one of `tags`. */
export type TagExpression = { readonly kind: 'all' } | { readonly kind: 'tags'; readonly tags: readonly string[] };

const ALL: TagExpression = { kind: 'all' };

/**
 * Parses a RocketMQ tag expression: `*` or an empty (or blank) expression selects every message;
 * otherwise `TagA || TagB || TagC` selects messages whose tag is one of those, compared exactly.
 *
 * Each part is trimmed and empty parts are skipped (`TagA || || TagB`, a trailing `||`), as RocketMQ's
 * `FilterAPI` does; a part that is `*` makes the whole expression `all`. Tags keep their first-seen
 * order, without duplicates. A single `|` is part of a tag, since a tag may contain one.
 *
 * @throws `INVALID_FILTER` when the expression has separators but no tag (`||`, `| | |`).
 */
export function parseTagExpression(expression: string): TagExpression {
  if (expression.trim() === '') return ALL;
  const tags: string[] = [];
  for (const part of expression.split('||')) {
    const tag = part.trim();
    if (tag === '') continue;
    if (tag === '*') return ALL;
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length === 0) {
    throw new EddyError(
      'INVALID_FILTER',
      `invalid tag expression "${expression}": it names no tag; use '*' for all, or 'TagA || TagB'`,
      { details: { expression } },
    );
  }
  return { kind: 'tags', tags };
}
