import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerClientError } from './client-error.js';

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

describe('answerClientError', () => {
  let server: Server;
  let port: number;
  beforeEach(async () => {
    server = createServer({ maxHeaderSize: 1024 }, (_request, response) => response.end());
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers unparseable HTTP with 400 and a JSON error, then closes', async () => {
    const answer = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/json; charset=utf-8\r\n');
    expect(answer).toContain('connection: close\r\n');
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(body)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'malformed HTTP request (HPE_INVALID_METHOD)' },
    });
    expect(answer).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
  });

  it('answers oversized headers with 431', async () => {
    const answer = await rawExchange(port, `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(2048)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).toContain('malformed HTTP request (HPE_HEADER_OVERFLOW)');
  });

  it('destroys a socket that was reset instead of writing to it', () => {
    let destroyed = false;
    let written = false;
    const socket = {
      writable: true,
      destroy: () => {
        destroyed = true;
      },
      end: () => {
        written = true;
      },
    } as unknown as Socket;
    answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
    expect({ destroyed, written }).toEqual({ destroyed: true, written: false });
  });
});
