import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BodyResult, readBody } from './read-body.js';

const LIMIT = 16;

// A server whose only handler reads the body with `readBody` and hands the outcome to the test.
async function serveReads(): Promise<{ server: Server; port: number; next: () => Promise<BodyResult> }> {
  const waiting: Array<(result: BodyResult) => void> = [];
  const results: BodyResult[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    void readBody(request, LIMIT).then((result) => {
      const resolve = waiting.shift();
      if (resolve) resolve(result);
      else results.push(result);
      if (result.status !== 'aborted') response.writeHead(204, { connection: 'close' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const next = (): Promise<BodyResult> => {
    const ready = results.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  return { server, port: (server.address() as AddressInfo).port, next };
}

function post(port: number, chunks: readonly string[], headers: Record<string, string | number> = {}): void {
  const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers });
  request.on('error', () => {}); // the server may close before the body is all out
  request.on('response', (response) => response.resume());
  for (const chunk of chunks) request.write(chunk);
  request.end();
}

describe('readBody', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('reads a body up to the limit, with or without a Content-Length', async () => {
    const serving = await serveReads();
    server = serving.server;
    post(serving.port, ['{"a":1}'], { 'content-length': 7 });
    expect(await serving.next()).toEqual({ status: 'ok', body: Buffer.from('{"a":1}') });
    post(serving.port, ['0123456789', '012345']); // chunked, exactly the limit
    expect(await serving.next()).toEqual({ status: 'ok', body: Buffer.from('0123456789012345') });
    post(serving.port, [], { 'content-length': 0 });
    expect(await serving.next()).toEqual({ status: 'ok', body: Buffer.alloc(0) });
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const serving = await serveReads();
    server = serving.server;
    post(serving.port, ['x'.repeat(LIMIT + 1)], { 'content-length': LIMIT + 1 });
    expect(await serving.next()).toEqual({ status: 'too-large', declared: LIMIT + 1 });
  });

  it('stops a chunked body that grows past the limit, size unknown', async () => {
    const serving = await serveReads();
    server = serving.server;
    post(serving.port, ['0123456789', '0123456789']);
    expect(await serving.next()).toEqual({ status: 'too-large', declared: undefined });
  });

  it('reports a client that went away mid-body', async () => {
    const serving = await serveReads();
    server = serving.server;
    const socket = connect({ host: '127.0.0.1', port: serving.port });
    socket.on('error', () => {});
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n0123', () => {
      setTimeout(() => socket.destroy(), 20);
    });
    expect(await serving.next()).toEqual({ status: 'aborted' });
  });
});
