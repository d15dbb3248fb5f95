import type { IncomingMessage } from 'node:http';
import { EddyError, parseWithSchema } from '@eddy/message';
import type { z } from 'zod';
import { HttpError, RequestAborted } from './http-reply.js';

/** The outcome of {@link readBody}. */
export type BodyResult =
  | { readonly status: 'ok'; readonly body: Buffer }
  /** `declared` is the Content-Length when that was over the limit; without one, the size is unknown. */
  | { readonly status: 'too-large'; readonly declared: number | undefined }
  | { readonly status: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes. A declared `Content-Length` over the limit is refused
 * before a byte is read; a body that grows past it (chunked) stops being read at that point. Either way
 * nothing past the limit is buffered, and the caller answers 413 and closes the connection.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.pause();
    return Promise.resolve({ status: 'too-large', declared });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limit) {
        chunks.length = 0;
        request.pause();
        settle({ status: 'too-large', declared: undefined });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ status: 'ok', body: Buffer.concat(chunks, bytes) });
    // 'close' before 'end' means the client went away mid-body (or the socket failed).
    const onClose = (): void => settle({ status: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    // Socket errors surface here too; the 'close' that follows settles the read.
    request.on('error', () => {});
  });
}

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
