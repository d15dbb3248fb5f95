import type { IncomingMessage } from 'node:http';
import type { Broker } from '@eddy/broker';
import { EddyError } from '@eddy/message';
import type { AdminContext, AdminRoute } from './admin-handler.js';
import { statusOfErrorCode } from './error-status.js';
import { errorReply, HttpError, type HttpReply, RequestAborted } from './http-reply.js';
import { readJsonBody } from './request-body.js';
import { matchRoute } from './route-table.js';

/**
 * Answers one request: finds its route, runs the handler and turns what it throws into an error
 * answer (`HttpError` as given, `EddyError` through {@link statusOfErrorCode}). Anything else is a
 * bug and is rethrown for the server to log and answer 500. `undefined` when the client went away.
 */
export async function dispatch(
  routes: readonly AdminRoute[],
  broker: Broker,
  maxRequestBytes: number,
  request: IncomingMessage,
): Promise<HttpReply | undefined> {
  const target = request.url ?? '/';
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? '' : target.slice(mark + 1));
  // A body left unread must not be read (it may be huge): answer and close the connection instead.
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > 0;
  let bodyRead = false;

  const match = matchRoute(routes, request.method ?? '', path);
  let reply: HttpReply | undefined;
  if (match.status === 'not-found') {
    reply = errorReply(404, 'NOT_FOUND', `no endpoint at ${path}`);
  } else if (match.status === 'method-not-allowed') {
    const allowed = match.allowed.join(', ');
    reply = errorReply(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed}`, {
      headers: { allow: allowed },
    });
  } else if (match.status === 'bad-parameter') {
    reply = errorReply(400, 'INVALID_ARGUMENT', `path parameter '${match.parameter}' is not valid percent-encoding`);
  } else {
    let read: Promise<unknown> | undefined;
    const context: AdminContext = {
      broker,
      params: match.params,
      query,
      readJson() {
        read ??= readJsonBody(request, maxRequestBytes).finally(() => {
          bodyRead = true;
        });
        return read;
      },
    };
    try {
      reply = await match.handler(context);
    } catch (error) {
      if (error instanceof RequestAborted) return undefined;
      if (error instanceof HttpError) {
        reply = errorReply(error.status, error.code, error.message, { close: error.close });
      } else if (EddyError.is(error)) {
        reply = errorReply(statusOfErrorCode(error.code), error.code, error.message);
      } else {
        throw error;
      }
    }
  }
  return hasBody && !bodyRead && reply.close !== true ? { ...reply, close: true } : reply;
}
