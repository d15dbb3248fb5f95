// `eddy start` and `eddy namesrv` as processes: health, a clean stop on SIGTERM that keeps the data, the
// three storage engines, and registration with embedded and separate name servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { freePort } from '@eddy/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EddyProcess, MAIN_JS, REPO_ROOT, startEddy } from './launch.js';

const started: EddyProcess[] = [];
const children = new Set<ChildProcess>();

async function start(...args: string[]): Promise<EddyProcess> {
  const eddy = await startEddy({ args });
  started.push(eddy);
  return eddy;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function createTopic(eddy: EddyProcess, name: string, queueCount = 4): Promise<void> {
  const response = await fetch(`${eddy.httpUrl}/admin/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, queueCount }),
  });
  expect(response.status, await response.text()).toBe(201);
}

async function topicNames(eddy: EddyProcess): Promise<string[]> {
  const { body } = await getJson(`${eddy.httpUrl}/admin/topics`);
  return (body.topics as { name: string }[]).map((topic) => topic.name);
}

/** `eddy namesrv` on a free port; resolves once it logged that it is ready. */
async function startNameServerProcess(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS, 'namesrv', '--port', String(port)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if ((JSON.parse(line) as { message?: string }).message === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`eddy namesrv exited with ${code}`)));
  });
  return { child, port };
}

/** Writes `bytes` to a port and waits until the server closes the connection (or a second passes). */
function sendGarbage(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.setTimeout(1_000, () => socket.destroy());
    socket.resume();
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((eddy) => eddy.cleanup()));
  for (const child of children) child.kill('SIGKILL');
});

describe('eddy start', () => {
  it('is healthy, stops with exit code 0 on SIGTERM and keeps its topics across a restart', async () => {
    const eddy = await start();
    expect((await fetch(`${eddy.httpUrl}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${eddy.httpUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/eddy_flush_duration_seconds/);
    expect(eddy.output()).toMatch(/"message":"ready"/);

    await createTopic(eddy, 'kept-orders', 3);
    expect(await eddy.stop('SIGTERM')).toBe(0);
    expect(eddy.output()).toMatch(/"message":"stopped"/);

    await eddy.restart();
    expect(await topicNames(eddy)).toContain('kept-orders');
    // The clean stop wrote a checkpoint: the store opened without a crash recovery.
    expect(eddy.output()).not.toMatch(/recovered the CommitLog/);
    expect(await eddy.stop('SIGINT')).toBe(0);
  });

  it('survives garbage on its gRPC and HTTP ports', async () => {
    const eddy = await start();
    const garbage = Buffer.from(
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\xff\xff\xff\x01\x00\x00\x00\x00 nonsense',
      'latin1',
    );
    await sendGarbage(eddy.grpcPort, garbage);
    await sendGarbage(eddy.grpcPort, Buffer.alloc(70_000, 0xab));
    await sendGarbage(eddy.httpPort, Buffer.from('GET /%%% HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'));
    const response = await fetch(`${eddy.httpUrl}/admin/topics`, { method: 'POST', body: '{"name": 42' });
    expect(response.status).toBe(400);
    expect((await fetch(`${eddy.httpUrl}/healthz`)).status).toBe(200);
    expect(await eddy.stop()).toBe(0);
  });

  it.each([['memory'], ['lmdb']])('starts with --store %s', async (engine) => {
    const eddy = await start('--store', engine, '--flush', 'sync');
    await createTopic(eddy, `on-${engine}`);
    expect(await topicNames(eddy)).toContain(`on-${engine}`);
    expect(eddy.output()).toMatch(new RegExp(`"store":"${engine}"`));
    expect(await eddy.stop()).toBe(0);
  });

  it('registers with its embedded name server', async () => {
    const eddy = await start('--register-interval-ms', '200');
    await createTopic(eddy, 'routed-embedded', 2);
    const nameServer = `http://127.0.0.1:${eddy.namesrvPort}`;
    await vi.waitFor(
      async () => {
        const { status, body } = await getJson(`${nameServer}/topics/routed-embedded/route`);
        expect(status).toBe(200);
        expect(body.brokerDatas).toMatchObject([{ brokerName: 'broker-a', endpoints: { grpc: eddy.endpoint } }]);
      },
      { timeout: 30_000, interval: 100 },
    );
  });
});

describe('eddy namesrv', () => {
  it('answers, takes the registration of a broker started with --namesrv, and stops with 0', async () => {
    const nameServer = await startNameServerProcess();
    const url = `http://127.0.0.1:${nameServer.port}`;
    expect((await getJson(`${url}/healthz`)).status).toBe(200);

    const eddy = await start(
      '--namesrv',
      `127.0.0.1:${nameServer.port}`,
      '--broker-name',
      'broker-x',
      '--register-interval-ms',
      '200',
    );
    await createTopic(eddy, 'routed-remote', 3);
    await vi.waitFor(
      async () => {
        const { status, body } = await getJson(`${url}/topics/routed-remote/route`);
        expect(status).toBe(200);
        expect(body.queueDatas).toMatchObject([{ brokerName: 'broker-x', writeQueueNums: 3 }]);
      },
      { timeout: 30_000, interval: 100 },
    );
    // No embedded name server when name servers are given.
    await expect(fetch(`http://127.0.0.1:${eddy.namesrvPort}/healthz`)).rejects.toThrow();

    // A clean stop unregisters the broker.
    expect(await eddy.stop()).toBe(0);
    expect((await getJson(`${url}/topics/routed-remote/route`)).status).toBe(404);

    nameServer.child.kill('SIGTERM');
    expect(await exitOf(nameServer.child)).toBe(0);
  });
});
