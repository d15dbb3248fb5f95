import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy, freeLoopbackPorts } from '../src/index.js';

/** Reads from a socket until `predicate` holds for everything read, or it closes. */
function readUntil(
  socket: Socket,
  predicate: (text: string) => boolean,
): Promise<{ text: string; closed: boolean; error?: Error }> {
  return new Promise((resolve) => {
    let text = '';
    let error: Error | undefined;
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (predicate(text)) done(false);
    };
    const onClose = (): void => done(true);
    const onError = (cause: Error): void => {
      error = cause;
    };
    const done = (closed: boolean): void => {
      socket.off('data', onData).off('close', onClose);
      resolve({ text, closed, ...(error === undefined ? {} : { error }) });
    };
    socket.on('data', onData).on('error', onError).once('close', onClose);
  });
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves when the socket closes, with the error it had (ECONNRESET after a reset). */
function closed(socket: Socket): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    if (socket.destroyed) resolve(undefined);
    socket.on('error', (cause) => {
      error = cause;
    });
    socket.once('close', () => resolve(error));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  let echo: Server;
  let proxy: FaultProxy;
  const clients: Socket[] = [];
  const serverSockets = new Set<Socket>();

  /** Echoes every byte back; a connection whose lines break the `line-<n>` sequence is reset (a strict protocol). */
  beforeEach(async () => {
    echo = createServer((socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
      let expected = 0;
      let pending = '';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line !== `line-${expected++}`) {
            socket.resetAndDestroy();
            return;
          }
        }
        socket.write(chunk);
      });
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    const targetPort = typeof address === 'object' && address !== null ? address.port : 0;
    proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort, seed: 42 });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await proxy.close();
    for (const socket of serverSockets) socket.destroy();
    await new Promise((resolve) => echo.close(resolve));
  });

  const client = async (): Promise<Socket> => {
    const socket = await connectTo(proxy.port);
    clients.push(socket);
    return socket;
  };

  const lines = (from: number, count: number): string =>
    Array.from({ length: count }, (_, index) => `line-${from + index}\n`).join('');

  it('passes bytes through unchanged both ways, half-close included', async () => {
    const socket = await client();
    const payload = `${lines(0, 20_000)}`;
    const reading = readUntil(socket, (text) => text.length >= payload.length);
    socket.end(payload);
    const { text } = await reading;
    expect(text).toBe(payload);
    expect(await closed(socket)).toBeUndefined();
    expect(proxy.stats).toMatchObject({
      connections: 1,
      bytesIn: payload.length,
      bytesOut: payload.length,
      dropped: 0,
    });
  });

  it('delays every chunk by the latency and keeps their order under jitter', async () => {
    proxy.set({ latencyMs: 40, jitterMs: 30 });
    const socket = await client();
    const payload = lines(0, 50);
    const reading = readUntil(socket, (text) => text.length >= payload.length);
    const started = Date.now();
    // Separate writes, so that the chunks get different jitters.
    for (let index = 0; index < 50; index++) {
      socket.write(lines(index, 1));
      await pause(1);
    }
    const { text } = await reading;
    expect(text).toBe(payload);
    // A lower bound only: the way there and back each waits at least latencyMs.
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });

  it('cut resets open connections and refuses new ones until healed', async () => {
    const open = await client();
    const echoed = readUntil(open, (text) => text === 'line-0\n');
    open.write('line-0\n');
    expect((await echoed).text).toBe('line-0\n');

    const reset = closed(open);
    proxy.set({ cut: true });
    expect(((await reset) as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');

    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(refused);
    refused.write('line-0\n');
    expect(await readUntil(refused, () => false)).toMatchObject({ text: '', closed: true });

    proxy.set({});
    const healed = await client();
    const again = readUntil(healed, (text) => text === 'line-0\n');
    healed.write('line-0\n');
    expect((await again).text).toBe('line-0\n');
  });

  it('cutAll resets open connections but accepts new ones', async () => {
    const open = await client();
    const reset = closed(open);
    proxy.cutAll();
    expect(((await reset) as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    const next = await client();
    const echoed = readUntil(next, (text) => text === 'line-0\n');
    next.write('line-0\n');
    expect((await echoed).text).toBe('line-0\n');
  });

  it('dropped chunks break the stream and the connection, and the proxy goes on serving', async () => {
    proxy.set({ dropProbability: 0.5 });
    const socket = await client();
    const sent = lines(0, 100);
    const reading = readUntil(socket, (text) => text === sent);
    for (let index = 0; index < 100 && !socket.destroyed; index++) {
      socket.write(lines(index, 1));
      await pause(1);
    }
    const outcome = await reading;
    // The strict server saw a gap in the sequence and reset the connection; the client lost data.
    expect(outcome.closed).toBe(true);
    expect(outcome.text).not.toBe(sent);
    expect(proxy.stats.dropped).toBeGreaterThan(0);

    proxy.set({});
    const next = await client();
    const echoed = readUntil(next, (text) => text === lines(0, 3));
    next.write(lines(0, 3));
    expect((await echoed).text).toBe(lines(0, 3));
  });

  it('rejects faults out of range', () => {
    expect(() => proxy.set({ dropProbability: 2 })).toThrow(/dropProbability is 2; it must be in \[0, 1\]/);
    expect(() => proxy.set({ latencyMs: -1 })).toThrow(/latencyMs \(-1\)/);
  });
});

describe('freeLoopbackPorts', () => {
  it('gives distinct ports that can be bound', async () => {
    const ports = await freeLoopbackPorts(5);
    expect(new Set(ports).size).toBe(5);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
