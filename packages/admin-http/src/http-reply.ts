import type { ServerResponse } from 'node:http';
import type { EddyErrorCode } from '@eddy/message';

/**
 * Every `error.code` the admin API answers with: an {@link EddyErrorCode} passed through from the
 * broker, or one of the HTTP-level codes (malformed JSON, oversized body, wrong method).
 */
export type AdminErrorCode = EddyErrorCode | 'INVALID_JSON' | 'REQUEST_TOO_LARGE' | 'METHOD_NOT_ALLOWED';

/** The body of every 4xx and 5xx answer: `{ error: { code, message } }`. */
export interface AdminErrorBody {
  readonly error: { readonly code: AdminErrorCode; readonly message: string };
}

interface ReplyBase {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Close the connection after answering: the request body was not read to its end. */
  readonly close?: boolean | undefined;
}

/** What a handler answers: JSON, or text with its content type (the metrics exposition). */
export type HttpReply =
  | (ReplyBase & { readonly json: unknown })
  | (ReplyBase & { readonly text: string; readonly contentType: string });

/**
 * An HTTP-level failure thrown inside a handler (bad JSON, a body over the limit, a schema violation)
 * and answered by the dispatcher: it keeps each handler a straight line from request to answer.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: AdminErrorCode,
    message: string,
    readonly close = false,
  ) {
    super(message);
  }
}

/** Thrown when the client went away mid-body: there is nobody to answer. */
export class RequestAborted extends Error {}

/** A JSON answer. */
export function jsonReply(status: number, json: unknown, headers?: Record<string, string>): HttpReply {
  return { status, json, headers };
}

/** An error answer with the `{ error: { code, message } }` body. */
export function errorReply(
  status: number,
  code: AdminErrorCode,
  message: string,
  options?: { readonly headers?: Record<string, string>; readonly close?: boolean },
): HttpReply {
  const json: AdminErrorBody = { error: { code, message } };
  return { status, json, headers: options?.headers, close: options?.close };
}

/** Writes `reply` unless the response can no longer be written (the client went away). */
export function sendReply(response: ServerResponse, reply: HttpReply): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  const isJson = 'json' in reply;
  const text = isJson ? `${JSON.stringify(reply.json)}\n` : reply.text;
  const headers: Record<string, string | number> = {
    'content-type': isJson ? 'application/json; charset=utf-8' : reply.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...reply.headers,
  };
  if (reply.close === true) headers.connection = 'close';
  response.writeHead(reply.status, headers);
  response.end(text);
}
