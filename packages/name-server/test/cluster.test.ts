// Acceptance test of issue 5: two name servers and three registering brokers as real processes; a broker
// killed with SIGKILL leaves both name servers' routes after the expiry and comes back when it restarts.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClusterInfo, TopicRouteData } from '@eddy/routing';
import { afterEach, describe, expect, it, vi } from 'vitest';

const REGISTER_INTERVAL_MS = 200;
const BROKER_EXPIRY_MS = 1_500;
const SCAN_INTERVAL_MS = 250;
const BROKERS = ['broker-a', 'broker-b', 'broker-c'] as const;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const children = new Set<ChildProcess>();

/** Spawns a fixture on the built package and resolves with the first JSON line it prints. */
function spawnFixture(name: string, config: object): Promise<{ child: ChildProcess; first: Record<string, unknown> }> {
  const child = spawn(process.execPath, [fixture(name), JSON.stringify(config)], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve({ child, first: JSON.parse(line) }));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** The brokers holding `orders` on a name server, by name; [] when the topic has no route. */
async function routedBrokers(nameServerUrl: string): Promise<string[]> {
  const { status, body } = await getJson<TopicRouteData>(`${nameServerUrl}/topics/orders/route`);
  if (status === 404) return [];
  expect(body.queueDatas.map((queue) => queue.brokerName)).toEqual(body.brokerDatas.map((broker) => broker.brokerName));
  return body.queueDatas.map((queue) => queue.brokerName);
}

describe('two name servers, three brokers, as processes', () => {
  afterEach(async () => {
    await Promise.all([...children].map(killAndWait));
  });

  it('drops a killed broker from both name servers after the expiry and takes it back when it restarts', async () => {
    const nameServers = await Promise.all(
      [0, 1].map(() =>
        spawnFixture('name-server.mjs', { brokerExpiryMs: BROKER_EXPIRY_MS, scanIntervalMs: SCAN_INTERVAL_MS }),
      ),
    );
    const urls = nameServers.map(({ first }) => first.url as string);
    const addresses = nameServers.map(({ first }) => `127.0.0.1:${first.port}`);

    const startBroker = async (index: number) => {
      const { child, first } = await spawnFixture('broker.mjs', {
        nameServers: addresses,
        brokerName: BROKERS[index],
        address: `127.0.0.1:${10_911 + index}`,
        queues: 2 + index,
        intervalMs: REGISTER_INTERVAL_MS,
      });
      expect((first.status as { state: string }[]).map((status) => status.state)).toEqual(['registered', 'registered']);
      return child;
    };
    const brokers = await Promise.all(BROKERS.map((_, index) => startBroker(index)));

    // The topic is spread over the three brokers, on both name servers.
    for (const url of urls) {
      expect(await routedBrokers(url)).toEqual([...BROKERS]);
      const route = (await getJson<TopicRouteData>(`${url}/topics/orders/route`)).body;
      expect(route.queueDatas.map((queue) => queue.writeQueueNums)).toEqual([2, 3, 4]);
      expect(route.brokerDatas[1]).toMatchObject({ cluster: 'eddy-test', brokerAddrs: { 0: '127.0.0.1:10912' } });
    }

    // Keep registering for a few rounds: nothing expires while brokers are alive.
    await new Promise((resolve) => setTimeout(resolve, BROKER_EXPIRY_MS + 2 * SCAN_INTERVAL_MS));
    for (const url of urls) expect(await routedBrokers(url)).toEqual([...BROKERS]);

    const killedAt = Date.now();
    await killAndWait(brokers[1] as ChildProcess);
    await vi.waitFor(
      async () => {
        for (const url of urls) expect(await routedBrokers(url)).toEqual(['broker-a', 'broker-c']);
      },
      { timeout: BROKER_EXPIRY_MS + 5 * SCAN_INTERVAL_MS + 2_000, interval: 50 },
    );
    // Expiry, not anything sooner, removed it: its last registration was at most one interval before the kill.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(BROKER_EXPIRY_MS - REGISTER_INTERVAL_MS - 100);
    for (const url of urls) {
      const cluster = (await getJson<ClusterInfo>(`${url}/cluster`)).body;
      expect(cluster.clusterAddrTable).toEqual({ 'eddy-test': ['broker-a', 'broker-c'] });
    }

    await startBroker(1);
    await vi.waitFor(
      async () => {
        for (const url of urls) expect(await routedBrokers(url)).toEqual([...BROKERS]);
      },
      { timeout: 3_000, interval: 50 },
    );
  }, 20_000);
});
