import { EddyError } from '@eddy/message';
import type { z } from 'zod';

/**
 * Parses a caller's argument (an admin request, a topic patch) with `schema`. Like `parseWithSchema`,
 * but a failure is `INVALID_ARGUMENT`, not `INVALID_CONFIG`: the gateways answer it as a bad request.
 *
 * @param what what is being parsed, for the message ("topic 'orders'").
 * @throws `INVALID_ARGUMENT` naming every bad field by its path.
 */
export function parseArgument<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new EddyError('INVALID_ARGUMENT', `invalid ${what}: ${problems.join('; ')}`, {
    details: { issues: result.error.issues },
  });
}
