import { connect } from 'node:net';
import type { BrokerRegistration, TopicRouteData } from '@eddy/routing';
import { FakeClock } from '@eddy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningNameServer, startNameServer } from '../src/index.js';

const MiB = 1024 * 1024;

function registration(brokerName: string, overrides: Partial<BrokerRegistration> = {}): BrokerRegistration {
  return {
    cluster: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    address: `10.0.0.${brokerName.length}:10911-${brokerName}`,
    endpoints: { grpc: `${brokerName}.local:8081` },
    dataVersion: { timestamp: 1, counter: 1 },
    topics: [
      { name: 'orders', readQueueNums: 4, writeQueueNums: 4, perm: 6, messageType: 'NORMAL', retentionMs: undefined },
    ],
    ...overrides,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, checked by the assertions
type Json = any;

async function call(
  url: string,
  init?: RequestInit & { json?: unknown },
): Promise<{ status: number; body: Json; headers: Headers }> {
  const { json, ...rest } = init ?? {};
  const response = await fetch(url, {
    ...rest,
    ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing it. */
function rawExchange(port: number, bytes: string | Buffer, options: { destroyAfterWrite?: boolean } = {}) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes, () => {
      if (options.destroyAfterWrite) socket.destroy();
    });
  });
}

describe('name server HTTP API', () => {
  let clock: FakeClock;
  let server: RunningNameServer;

  beforeEach(async () => {
    clock = new FakeClock();
    server = await startNameServer({ port: 0, clock, maxRequestBytes: MiB });
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers health checks', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await call(`${server.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('registers brokers and serves routes, the topic list and the cluster', async () => {
    const register = (body: BrokerRegistration) =>
      call(`${server.url}/brokers/register`, { method: 'POST', json: body });
    expect(await register(registration('broker-b'))).toMatchObject({ status: 200, body: { changed: true } });
    expect(await register(registration('broker-b'))).toMatchObject({ status: 200, body: { changed: false } });
    const second = registration('broker-a', {
      topics: [
        { name: 'orders', readQueueNums: 2, writeQueueNums: 2, perm: 6, messageType: 'NORMAL', retentionMs: undefined },
        { name: 'audit', readQueueNums: 1, writeQueueNums: 1, perm: 4, messageType: 'FIFO', retentionMs: 60_000 },
      ],
    });
    expect((await register(second)).body).toEqual({ changed: true });

    expect((await call(`${server.url}/topics`)).body).toEqual({ topics: ['audit', 'orders'] });
    const route = await call(`${server.url}/topics/orders/route`);
    expect(route.status).toBe(200);
    const data = route.body as TopicRouteData;
    expect(data.topic).toBe('orders');
    expect(data.queueDatas.map((queue) => [queue.brokerName, queue.writeQueueNums])).toEqual([
      ['broker-a', 2],
      ['broker-b', 4],
    ]);
    expect(data.brokerDatas[1]).toEqual({
      cluster: 'DefaultCluster',
      brokerName: 'broker-b',
      brokerAddrs: { 0: registration('broker-b').address },
      endpoints: { grpc: 'broker-b.local:8081' },
    });
    expect((await call(`${server.url}/cluster`)).body.clusterAddrTable).toEqual({
      DefaultCluster: ['broker-a', 'broker-b'],
    });
    // A query string is not part of the path.
    expect((await call(`${server.url}/topics/audit/route?x=1`)).body.queueDatas).toHaveLength(1);
  });

  it('serves topics whose names need percent-encoding', async () => {
    const topic = '%RETRY%group-1';
    const body = registration('broker-a', {
      topics: [
        { name: topic, readQueueNums: 1, writeQueueNums: 1, perm: 6, messageType: 'NORMAL', retentionMs: undefined },
      ],
    });
    expect((await call(`${server.url}/brokers/register`, { method: 'POST', json: body })).status).toBe(200);
    const route = await call(`${server.url}/topics/${encodeURIComponent(topic)}/route`);
    expect(route.body.topic).toBe(topic);
    const bad = await call(`${server.url}/topics/%E0%A4%A/route`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
  });

  it('unregisters, after which an unknown topic is a 404 UNKNOWN_TOPIC', async () => {
    await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-a') });
    const identity = { cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0 };
    expect(await call(`${server.url}/brokers/unregister`, { method: 'POST', json: identity })).toMatchObject({
      status: 200,
      body: { removed: true },
    });
    expect((await call(`${server.url}/brokers/unregister`, { method: 'POST', json: identity })).body).toEqual({
      removed: false,
    });
    const route = await call(`${server.url}/topics/orders/route`);
    expect(route.status).toBe(404);
    expect(route.body.error).toEqual({
      code: 'UNKNOWN_TOPIC',
      message: "topic 'orders' has no route: no live broker holds it",
    });
    expect((await call(`${server.url}/topics`)).body).toEqual({ topics: [] });
  });

  it('answers malformed JSON with 400 INVALID_JSON and keeps serving', async () => {
    for (const body of ['{"cluster":', 'not json', '']) {
      const answer = await call(`${server.url}/brokers/register`, { method: 'POST', body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_JSON');
      expect(answer.body.error.message).toMatch(/request body is (not JSON|empty)/);
    }
    expect((await call(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers schema violations with 400 INVALID_ARGUMENT naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...registration('broker-a'), brokerId: -1 }, /brokerId: /],
      [{ ...registration('broker-a'), brokerName: 'has space' }, /brokerName: must be printable ASCII/],
      [
        {
          ...registration('broker-a'),
          topics: [{ name: 'orders', readQueueNums: 'four', writeQueueNums: 4, perm: 6 }],
        },
        /topics\.0\.readQueueNums: /,
      ],
      [{ ...registration('broker-a'), extra: true }, /extra/],
      [[1, 2, 3], /\(root\)/],
    ];
    for (const [body, message] of cases) {
      const answer = await call(`${server.url}/brokers/register`, { method: 'POST', json: body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_ARGUMENT');
      expect(answer.body.error.message).toMatch(/^invalid broker registration: /);
      expect(answer.body.error.message).toMatch(message);
    }
    const unregister = await call(`${server.url}/brokers/unregister`, { method: 'POST', json: { cluster: 'c' } });
    expect(unregister.status).toBe(400);
    expect(unregister.body.error.message).toMatch(/^invalid unregister request: brokerName: /);
    expect(server.core.topics()).toEqual([]);
  });

  it('refuses a body over maxRequestBytes with 413, unread, and answers the next request', async () => {
    const huge = Buffer.alloc(8 * MiB, 0x20);
    const answer = await call(`${server.url}/brokers/register`, { method: 'POST', body: huge });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toEqual({
      code: 'REQUEST_TOO_LARGE',
      message: `request body is ${8 * MiB} bytes; the limit is ${MiB} (maxRequestBytes)`,
    });
    expect(answer.headers.get('connection')).toBe('close');
    expect((await call(`${server.url}/healthz`)).status).toBe(200);

    // Without a Content-Length (chunked), reading stops as soon as the limit is passed.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(128 * 1024).fill(0x20));
        controller.close();
      },
    });
    const chunked = await call(`${server.url}/brokers/register`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error.message).toBe(`request body exceeds the limit of ${MiB} bytes (maxRequestBytes)`);

    // A body just under the limit is read and judged on its content.
    const justUnder = await call(`${server.url}/brokers/register`, { method: 'POST', body: ' '.repeat(MiB - 10) });
    expect(justUnder.body.error.code).toBe('INVALID_JSON');
    expect((await call(`${server.url}/topics`)).status).toBe(200);
  });

  it('answers unknown paths with 404 and wrong methods with 405 and Allow', async () => {
    expect(await call(`${server.url}/nope`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await call(`${server.url}/topics/`)).status).toBe(404);
    expect((await call(`${server.url}/nope`, { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(404);
    const wrong = await call(`${server.url}/topics`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.body.error).toEqual({
      code: 'METHOD_NOT_ALLOWED',
      message: 'DELETE is not allowed on /topics; use GET',
    });
    const get = await call(`${server.url}/brokers/register`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${server.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('survives malformed HTTP, aborted requests and dropped connections', async () => {
    const garbage = await rawExchange(server.port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(garbage).toMatch(/"code":"INVALID_ARGUMENT"/);

    // Headers promise 1000 bytes; the client sends 10 and disappears.
    await rawExchange(
      server.port,
      'POST /brokers/register HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"cluster"',
      { destroyAfterWrite: true },
    );
    // Half a request line, then gone.
    await rawExchange(server.port, 'GET /top', { destroyAfterWrite: true });
    // A fetch aborted while its body is streaming.
    const abort = new AbortController();
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"cluster":'));
        setTimeout(() => abort.abort(), 20);
      },
    });
    await expect(
      fetch(`${server.url}/brokers/register`, {
        method: 'POST',
        body: slow,
        duplex: 'half',
        signal: abort.signal,
      } as RequestInit),
    ).rejects.toThrow();

    const response = await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-a') });
    expect(response.status).toBe(200);
    expect((await call(`${server.url}/topics`)).body).toEqual({ topics: ['orders'] });
  });

  it('expires a silent broker on the injected clock', async () => {
    await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-a') });
    await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-b') });
    const brokersOf = async () =>
      ((await call(`${server.url}/topics/orders/route`)).body as TopicRouteData).brokerDatas.map((b) => b.brokerName);

    await clock.advance(60_000);
    // broker-b keeps registering (the cheap path: same data version); broker-a falls silent.
    expect(
      (await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-b') })).body,
    ).toEqual({ changed: false });
    await clock.advance(60_000);
    expect(await brokersOf()).toEqual(['broker-a', 'broker-b']);
    // The scan after 120 s of silence (scans fall every 10 s) drops broker-a.
    await clock.advance(10_000);
    expect(await brokersOf()).toEqual(['broker-b']);
    expect(server.core.scanExpired()).toEqual([]);
    expect((await call(`${server.url}/cluster`)).body.clusterAddrTable).toEqual({ DefaultCluster: ['broker-b'] });

    await clock.advance(70_000);
    expect((await call(`${server.url}/topics/orders/route`)).status).toBe(404);
    expect((await call(`${server.url}/topics`)).body).toEqual({ topics: [] });
    // A broker that comes back registers as new.
    expect(
      (await call(`${server.url}/brokers/register`, { method: 'POST', json: registration('broker-a') })).body,
    ).toEqual({ changed: true });
    expect(await brokersOf()).toEqual(['broker-a']);
  });
});

describe('startNameServer options', () => {
  it('rejects bad options, naming the field', async () => {
    await expect(startNameServer({ port: 70_000 })).rejects.toThrow(/invalid name server options: port: /);
    await expect(startNameServer({ port: 0, maxRequestBytes: 0 })).rejects.toThrow(/maxRequestBytes: /);
    await expect(startNameServer({ port: 0, brokerExpiryMs: -5 })).rejects.toThrow(/brokerExpiryMs: /);
    await expect(startNameServer({ port: 0, clock: {} as never })).rejects.toThrow(/clock: must be a Clock/);
    await expect(startNameServer({ port: 0, unknown: 1 } as never)).rejects.toThrow(/unknown/);
  });

  it('reports a port in use as IO_ERROR', async () => {
    const first = await startNameServer({ port: 0 });
    try {
      await expect(startNameServer({ port: first.port })).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      await first.close();
    }
  });

  it('closes with keep-alive connections open, and only once', async () => {
    const server = await startNameServer({ port: 0 });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
