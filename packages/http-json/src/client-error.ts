import type { Socket } from 'node:net';

const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * A `clientError` listener for a node:http server: unparseable HTTP never reaches a handler, so it is
 * answered on the raw socket — 431 for oversized headers, 408 for a request timeout, 400 otherwise, with
 * a `{ error: { code: 'INVALID_ARGUMENT', message } }` body and `connection: close`. When the client
 * reset the connection, the socket is no longer writable, or a response is already in flight, the
 * socket is destroyed instead.
 *
 * @example
 * ```ts
 * server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));
 * ```
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
  const body = JSON.stringify({
    error: { code: 'INVALID_ARGUMENT', message: `malformed HTTP request (${error.code})` },
  });
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
