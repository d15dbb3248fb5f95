import type { ServerResponse } from 'node:http';

/**
 * Every `error.code` the name server's HTTP API answers with. Codes shared with `EddyError`
 * (`INVALID_ARGUMENT`, `UNKNOWN_TOPIC`, `INTERNAL`) mean the same thing there.
 */
export const HTTP_ERROR_CODES = [
  'INVALID_JSON',
  'INVALID_ARGUMENT',
  'REQUEST_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNKNOWN_TOPIC',
  'INTERNAL',
] as const;

/** One of {@link HTTP_ERROR_CODES}. */
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** The body of every 4xx and 5xx answer: `{ error: { code, message } }`. */
export interface HttpErrorBody {
  readonly error: { readonly code: HttpErrorCode; readonly message: string };
}

/** What a handler answers: a status and a JSON-serialisable body. */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Close the connection after answering (the request body was not read to its end). */
  readonly close?: boolean;
}

/** An error answer. */
export function errorReply(
  status: number,
  code: HttpErrorCode,
  message: string,
  options?: { headers?: Record<string, string>; close?: boolean },
): JsonReply {
  const body: HttpErrorBody = { error: { code, message } };
  return { status, body, headers: options?.headers, close: options?.close };
}

/** Parses JSON text; `undefined` with the parser's message when it is not JSON. */
export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Writes `reply` as JSON unless the response can no longer be written (the client went away). With
 * `close`, the connection is closed once the answer is out, so an unread request body is never read.
 */
export function sendJson(response: ServerResponse, reply: JsonReply): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  const text = `${JSON.stringify(reply.body)}\n`;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...reply.headers,
  };
  if (reply.close === true) headers.connection = 'close';
  response.writeHead(reply.status, headers);
  response.end(text);
}
