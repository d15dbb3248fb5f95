// A bare TCP Kafka client for tests of the framing: sends bytes as given and collects whole response frames.
import { connect, type Socket } from 'node:net';

export interface RawClient {
  readonly socket: Socket;
  send(bytes: Uint8Array): void;
  /** Sends a request frame: header v1 (api key, version, correlation id, client id) + body. */
  request(apiKey: number, version: number, correlationId: number, body?: Uint8Array): void;
  /** The next response frame (size prefix removed); rejects when the connection closes first. */
  next(): Promise<Buffer>;
  /** Resolves when the server closes the connection. */
  closed(): Promise<void>;
  close(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffered = Buffer.alloc(0);
  const frames: Buffer[] = [];
  const waiting: { resolve: (frame: Buffer) => void; reject: (error: Error) => void }[] = [];
  let ended = false;
  const isClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      const frame = buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
      const waiter = waiting.shift();
      if (waiter === undefined) frames.push(frame);
      else waiter.resolve(frame);
    }
  });
  socket.once('close', () => {
    ended = true;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed'));
  });
  return {
    socket,
    send: (bytes) => socket.write(bytes),
    request(apiKey, version, correlationId, body = new Uint8Array(0)) {
      const clientId = Buffer.from('raw');
      const header = Buffer.alloc(10);
      header.writeInt16BE(apiKey, 0);
      header.writeInt16BE(version, 2);
      header.writeInt32BE(correlationId, 4);
      header.writeInt16BE(clientId.length, 8);
      const size = Buffer.alloc(4);
      size.writeInt32BE(header.length + clientId.length + body.length);
      socket.write(Buffer.concat([size, header, clientId, body]));
    },
    next() {
      const frame = frames.shift();
      if (frame !== undefined) return Promise.resolve(frame);
      if (ended) return Promise.reject(new Error('connection closed'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    closed: () => isClosed,
    close: () => socket.destroy(),
  };
}
