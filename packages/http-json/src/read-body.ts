import type { IncomingMessage } from 'node:http';

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
