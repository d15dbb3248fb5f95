import { createMessageFilter, type FilterExpression, type PopFilter } from '@eddy/consume';

// Enough for every live subscription of a busy broker; a miss only costs a parse.
const CAPACITY = 512;

/**
 * Compiled filters by expression, so that a consumer long-polling with an SQL92 filter does not have
 * its expression parsed on every pop. Least recently used entries go first when full.
 */
export class FilterCache {
  readonly #filters = new Map<string, PopFilter>();

  /** The compiled filter; `*` when none is given. @throws `INVALID_FILTER` for a bad expression. */
  get(expression: FilterExpression | undefined): PopFilter {
    const filter = expression ?? { type: 'TAG', expression: '*' };
    const key = `${filter.type}\u0000${filter.expression}`;
    const cached = this.#filters.get(key);
    if (cached !== undefined) {
      this.#filters.delete(key);
      this.#filters.set(key, cached);
      return cached;
    }
    const compiled = createMessageFilter(filter);
    const popFilter: PopFilter = {
      ...(compiled.tags === undefined ? {} : { tags: compiled.tags }),
      matches: (message) => compiled.matches(message),
    };
    if (this.#filters.size >= CAPACITY) this.#filters.delete(this.#filters.keys().next().value as string);
    this.#filters.set(key, popFilter);
    return popFilter;
  }
}
