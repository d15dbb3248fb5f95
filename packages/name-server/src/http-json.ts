import type { IncomingMessage, ServerResponse } from 'node:http';

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
