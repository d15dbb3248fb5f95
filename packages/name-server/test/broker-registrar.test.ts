import { createServer, type Server, type Socket } from 'node:net';
import type { BrokerRegistration, DataVersion } from '@eddy/routing';
import { FakeClock, freePort } from '@eddy/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerRegistrar, type Logger, type RunningNameServer, startNameServer } from '../src/index.js';

function registration(dataVersion: DataVersion = { timestamp: 1, counter: 1 }, queues = 4): BrokerRegistration {
  return {
    cluster: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerId: 0,
    address: '127.0.0.1:10911',
    endpoints: { grpc: '127.0.0.1:8081' },
    dataVersion,
    topics: [
      {
        name: 'orders',
        readQueueNums: queues,
        writeQueueNums: queues,
        perm: 6,
        messageType: 'NORMAL',
        retentionMs: undefined,
      },
    ],
  };
}

const hostPort = (server: RunningNameServer) => `127.0.0.1:${server.port}`;

function recordingLogger() {
  const lines: { level: string; message: string; details?: object }[] = [];
  const logger: Logger = {
    info: (message, details) => lines.push({ level: 'info', message, details }),
    warn: (message, details) => lines.push({ level: 'warn', message, details }),
    error: (message, details) => lines.push({ level: 'error', message, details }),
  };
  return { logger, lines };
}

/** A TCP server that accepts connections and never answers: a hung name server. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('BrokerRegistrar', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function nameServer(port = 0): Promise<RunningNameServer> {
    const server = await startNameServer({ port });
    cleanups.push(() => server.close());
    return server;
  }

  function registrar(options: ConstructorParameters<typeof BrokerRegistrar>[0]): BrokerRegistrar {
    const created = new BrokerRegistrar(options);
    cleanups.push(() => created.stop());
    return created;
  }

  it('keeps registering with the live name server, retries the down one with backoff, and registers once it is up', async () => {
    const up = await nameServer();
    const downPort = await freePort();
    const clock = new FakeClock();
    const { logger, lines } = recordingLogger();
    const broker = registrar({
      nameServers: [hostPort(up), `127.0.0.1:${downPort}`],
      registration: () => registration(),
      clock,
      logger,
      retryBackoffMs: [1_000, 2_000, 5_000],
      timeoutMs: 2_000,
    });
    const start = clock.now();

    const [first, second] = await broker.start();
    expect(first).toMatchObject({
      state: 'registered',
      successes: 1,
      lastSuccessAt: start,
      nextAttemptAt: start + 30_000,
    });
    expect(second).toMatchObject({ state: 'failing', consecutiveFailures: 1, lastFailureAt: start });
    expect(second?.lastError).toMatch(/ECONNREFUSED/);
    expect(second?.nextAttemptAt).toBe(start + 1_000);
    expect(up.core.routeOf('orders')?.brokerDatas.map((broker) => broker.brokerName)).toEqual(['broker-a']);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);

    // The backoff grows 1 s, 2 s, 5 s, then stays at its last step.
    const failuresOf = () => broker.status()[1]?.failures;
    await clock.advance(1_000);
    await vi.waitFor(() => expect(failuresOf()).toBe(2));
    expect(broker.status()[1]?.nextAttemptAt).toBe(start + 3_000);
    await clock.advance(2_000);
    await vi.waitFor(() => expect(failuresOf()).toBe(3));
    expect(broker.status()[1]?.nextAttemptAt).toBe(start + 8_000);
    await clock.advance(5_000);
    await vi.waitFor(() => expect(failuresOf()).toBe(4));
    expect(broker.status()[1]?.nextAttemptAt).toBe(start + 13_000);
    // One warning when it started failing, not one per retry; the live one was never delayed.
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(broker.status()[0]).toMatchObject({ state: 'registered', successes: 1 });

    const late = await nameServer(downPort);
    await clock.advance(5_000);
    await vi.waitFor(() => expect(broker.status()[1]?.state).toBe('registered'));
    expect(broker.status()[1]).toMatchObject({ consecutiveFailures: 0, successes: 1, failures: 4 });
    expect(broker.status()[1]?.nextAttemptAt).toBe(start + 43_000);
    expect(late.core.routeOf('orders')?.queueDatas).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'registered with the name server again' });

    // Both follow the regular period from here.
    await clock.advance(17_000);
    await vi.waitFor(() => expect(broker.status()[0]?.successes).toBe(2));
    await clock.advance(13_000);
    await vi.waitFor(() => expect(broker.status()[1]?.successes).toBe(2));
  });

  it('sends the registration of the moment, so a changed topic table reaches every name server', async () => {
    const [a, b] = [await nameServer(), await nameServer()];
    const clock = new FakeClock();
    let current = registration({ timestamp: 1, counter: 1 }, 4);
    const broker = registrar({
      nameServers: [hostPort(a), hostPort(b)],
      registration: () => current,
      clock,
      intervalMs: 10_000,
    });
    await broker.start();
    current = registration({ timestamp: 2, counter: 2 }, 8);
    await clock.advance(10_000);
    await vi.waitFor(() => expect(broker.status().map((status) => status.successes)).toEqual([2, 2]));
    for (const server of [a, b]) expect(server.core.routeOf('orders')?.queueDatas[0]?.writeQueueNums).toBe(8);
  });

  it('does not let a name server that never answers delay the others', async () => {
    const up = await nameServer();
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const broker = registrar({
      nameServers: [`127.0.0.1:${silent.port}`, hostPort(up)],
      registration: () => registration(),
      clock: new FakeClock(),
      timeoutMs: 400,
    });
    const started = broker.start();
    await vi.waitFor(() => expect(up.core.routeOf('orders')).toBeDefined(), { timeout: 300, interval: 10 });
    expect(broker.status()[0]?.state).toBe('pending');
    const [hung, live] = await started;
    expect(hung).toMatchObject({ state: 'failing', lastError: 'no answer within 400 ms (timeoutMs)' });
    expect(live?.state).toBe('registered');
  });

  it('records a rejected registration as a failure with the server’s reason', async () => {
    const up = await nameServer();
    const broker = registrar({
      nameServers: [hostPort(up)],
      registration: () => ({ ...registration(), brokerName: 'bad name' }),
      clock: new FakeClock(),
    });
    const [status] = await broker.start();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toMatch(/^HTTP 400 INVALID_ARGUMENT: invalid broker registration: brokerName: /);
  });

  it('records a registration callback that throws as a failure', async () => {
    const up = await nameServer();
    const broker = registrar({
      nameServers: [hostPort(up)],
      registration: () => {
        throw new Error('topic table unavailable');
      },
      clock: new FakeClock(),
    });
    const [status] = await broker.start();
    expect(status?.lastError).toBe('the registration callback threw: Error: topic table unavailable');
    await broker.stop();
  });

  it('unregisters from every name server on stop, best effort, and schedules nothing more', async () => {
    const [a, b] = [await nameServer(), await nameServer()];
    const downPort = await freePort();
    const clock = new FakeClock();
    const broker = registrar({
      nameServers: [hostPort(a), `127.0.0.1:${downPort}`, hostPort(b)],
      registration: () => registration(),
      clock,
    });
    await broker.start();
    expect(a.core.topics()).toEqual(['orders']);
    expect(clock.pendingTasks).toBe(3);
    await broker.stop();
    expect(broker.running).toBe(false);
    expect(a.core.topics()).toEqual([]);
    expect(b.core.topics()).toEqual([]);
    expect(clock.pendingTasks).toBe(0);
    expect(broker.status().map((status) => [status.state, status.nextAttemptAt])).toEqual([
      ['stopped', undefined],
      ['stopped', undefined],
      ['stopped', undefined],
    ]);
    await broker.stop();

    // And it can start again.
    await broker.start();
    expect(a.core.topics()).toEqual(['orders']);
  });

  it('rejects bad options, naming the field', () => {
    const base = { registration: () => registration() };
    expect(() => new BrokerRegistrar({ ...base, nameServers: [] })).toThrow(
      /invalid broker registrar options: nameServers: /,
    );
    expect(() => new BrokerRegistrar({ ...base, nameServers: ['localhost'] })).toThrow(
      /nameServers\.0: must be host:port/,
    );
    expect(() => new BrokerRegistrar({ ...base, nameServers: ['a:1', 'a:1'] })).toThrow(/nameServers\.1: .* twice/);
    expect(() => new BrokerRegistrar({ ...base, nameServers: ['a:0'] })).toThrow(/nameServers\.0: the port/);
    expect(() => new BrokerRegistrar({ ...base, nameServers: ['a:1'], intervalMs: 0 })).toThrow(/intervalMs: /);
    expect(() => new BrokerRegistrar({ ...base, nameServers: ['a:1'], retryBackoffMs: [] })).toThrow(
      /retryBackoffMs: /,
    );
    expect(() => new BrokerRegistrar({ nameServers: ['a:1'], registration: 'x' as never })).toThrow(/registration: /);
    expect(new BrokerRegistrar({ ...base, nameServers: ['[::1]:9876', 'ns.example.com:9876'] }).running).toBe(false);
  });
});
