// Real `eddy` processes on loopback: the built apps/server (test/global-setup.ts builds it).
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../src/index.js';

const SERVER_MAIN = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));
const PARENT_FIXTURE = fileURLToPath(new URL('./fixtures/parent.mjs', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function healthStatus(port: number | undefined, timeoutMs = 5_000): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.status;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('a cluster of two brokers and one name server', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({ brokers: 2, nameServers: 1, serverMain: SERVER_MAIN });
  });
  afterAll(() => cluster?.close());

  it('starts every node healthy and registers both brokers with the name server', async () => {
    expect(cluster.nodes.map((node) => [node.name, node.kind, node.state])).toEqual([
      ['namesrv-a', 'namesrv', 'running'],
      ['broker-a', 'broker', 'running'],
      ['broker-b', 'broker', 'running'],
    ]);
    for (const broker of cluster.brokers()) expect(await healthStatus(broker.ports.http)).toBe(200);
    const nameServer = cluster.node('namesrv-a');
    const response = await fetch(`http://127.0.0.1:${nameServer.ports.namesrv}/cluster`);
    const body = (await response.json()) as {
      brokerAddrTable: Record<string, unknown>;
      clusterAddrTable: Record<string, string[]>;
    };
    expect(Object.keys(body.brokerAddrTable).sort()).toEqual(['broker-a', 'broker-b']);
    expect(body.clusterAddrTable.DefaultCluster?.sort()).toEqual(['broker-a', 'broker-b']);
    expect(() => cluster.node('broker-z')).toThrow(
      /no node named 'broker-z'; the cluster has namesrv-a, broker-a, broker-b/,
    );
  });

  it('restarts a broker killed with SIGKILL on the same ports and data directory', async () => {
    const broker = cluster.node('broker-a');
    const { dataDir, ports } = broker;
    const oldPid = broker.pid as number;
    expect(dataDir).toBeDefined();
    await writeFile(join(dataDir as string, 'marker'), 'still here');

    await broker.kill9();
    expect(broker.state).toBe('killed');
    expect(broker.pid).toBeUndefined();
    expect(isAlive(oldPid)).toBe(false);
    await expect(healthStatus(ports.http)).rejects.toThrow();

    await broker.restart();
    expect(broker.state).toBe('running');
    expect(broker.pid).not.toBe(oldPid);
    expect(broker.ports).toEqual(ports);
    expect(broker.dataDir).toBe(dataDir);
    expect(await exists(join(dataDir as string, 'marker'))).toBe(true);
    expect(await exists(join(dataDir as string, 'commitlog'))).toBe(true);
    expect(await healthStatus(ports.http)).toBe(200);
    expect(broker.output()).toMatch(/exited with SIGKILL[\s\S]*started pid/);
  });

  it('pauses a broker so that /healthz does not answer, and resumes it', async () => {
    const broker = cluster.node('broker-b');
    broker.pause();
    expect(broker.state).toBe('paused');
    await expect(healthStatus(broker.ports.http, 500)).rejects.toThrow(/timeout|aborted/i);
    broker.resume();
    expect(broker.state).toBe('running');
    expect(await healthStatus(broker.ports.http)).toBe(200);
  });

  it('stops a node cleanly with SIGTERM', async () => {
    const broker = cluster.node('broker-b');
    broker.pause();
    // A paused node still handles SIGTERM: stop() continues it.
    expect(await broker.stop()).toBe(0);
    expect(broker.state).toBe('stopped');
    expect(() => broker.pause()).toThrow(/cannot pause broker-b: it is stopped/);
    await broker.restart();
    expect(await healthStatus(broker.ports.http)).toBe(200);
  });

  it('leaves no process and no temporary directory after close, even with a node paused', async () => {
    const pids = cluster.nodes.map((node) => node.pid as number);
    expect(pids.every(isAlive)).toBe(true);
    cluster.node('broker-b').pause();
    await cluster.close();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(cluster.nodes.map((node) => node.state)).toEqual(['killed', 'killed', 'killed']);
    expect(await exists(cluster.node('broker-a').dataDir as string)).toBe(false);
    await expect(cluster.node('broker-a').restart()).rejects.toThrow(/closed cluster/);
  });
});

describe('Cluster.start failures and orphans', () => {
  it('rejects with the node output when a node exits before it is healthy', async () => {
    const started = Cluster.start({
      brokers: 1,
      nameServers: 0,
      serverMain: SERVER_MAIN,
      brokerArgs: ['--store', 'bogus'],
    });
    await expect(started).rejects.toThrow(/broker-a exited with 2 before it was healthy[\s\S]*store/);
  });

  it('rejects when a node is not healthy within startTimeoutMs, and kills it', async () => {
    const started = Cluster.start({ brokers: 0, nameServers: 1, serverMain: SERVER_MAIN, startTimeoutMs: 1 });
    await expect(started).rejects.toThrow(/namesrv-a was not healthy within 1 ms \(startTimeoutMs/);
  });

  it('kills the nodes when the process that started them is killed with SIGKILL', async () => {
    // A base directory of the test's own: nobody is left to remove a default one.
    const baseDir = await mkdtemp(join(tmpdir(), 'eddy-cluster-orphans-'));
    const parent = spawn(process.execPath, [PARENT_FIXTURE, SERVER_MAIN, baseDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: parent.stdout });
    const pids = await new Promise<number[]>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as number[]));
      parent.once('exit', (code) => reject(new Error(`the fixture exited with ${code}`)));
    });
    expect(pids).toHaveLength(2);
    expect(pids.every(isAlive)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitUntil(() => !pids.some(isAlive), 10_000)).toBe(true);
    await rm(baseDir, { recursive: true, force: true });
  });
});
