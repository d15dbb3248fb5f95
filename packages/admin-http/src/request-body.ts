import type { IncomingMessage } from 'node:http';
import { readBody } from '@eddy/http-json';
import { EddyError, parseWithSchema } from '@eddy/message';
import type { z } from 'zod';
import { HttpError, RequestAborted } from './http-reply.js';

/**
 * Reads and parses a JSON request body.
 *
 * @throws {@link HttpError} 413 `REQUEST_TOO_LARGE` (with the connection to be closed), 400
 * `INVALID_JSON` for an empty or malformed body; {@link RequestAborted} when the client went away.
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const read = await readBody(request, limit);
  if (read.status === 'aborted') throw new RequestAborted('the client went away mid-body');
  if (read.status === 'too-large') {
    throw new HttpError(
      413,
      'REQUEST_TOO_LARGE',
      read.declared === undefined
        ? `request body exceeds the limit of ${limit} bytes (maxRequestBytes)`
        : `request body is ${read.declared} bytes; the limit is ${limit} (maxRequestBytes)`,
      true,
    );
  }
  if (read.body.length === 0) throw new HttpError(400, 'INVALID_JSON', 'request body is empty; expected JSON');
  try {
    return JSON.parse(read.body.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'INVALID_JSON', `request body is not JSON: ${reason}`);
  }
}

/**
 * Validates client input with a zod schema.
 *
 * @param what what is being validated, for the message ("create-topic request", "query").
 * @throws {@link HttpError} 400 `INVALID_ARGUMENT` whose message names every bad field by its path,
 * e.g. `invalid create-topic request: queueCount: Too big: expected number to be <=65536`.
 */
export function validate<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  try {
    return parseWithSchema(schema, value, what);
  } catch (error) {
    // parseWithSchema speaks of configuration; the same words are a client's mistake here.
    if (EddyError.is(error, 'INVALID_CONFIG')) throw new HttpError(400, 'INVALID_ARGUMENT', error.message);
    throw error;
  }
}
