// Three `eddy start` processes registered with one `eddy namesrv`: every broker's RocketMQ route lists
// every broker's queues with its own endpoint, so that one official-client Producer spreads its sends
// over all three, one SimpleConsumer reads them all back, and the Producer keeps sending when a broker dies.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from '@eddy/testkit';
import { tolerateLateStreamErrors } from '@eddy/workloads';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EddyProcess, MAIN_JS, REPO_ROOT, startEddy } from './launch.js';

const BROKER_NAMES = ['broker-a', 'broker-b', 'broker-c'] as const;
const TOPIC = 'spread';
const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
// The client's own view of a QueryRoute answer (`getRouteData` is protected in its types, public in JS).
type ClientRoute = { messageQueues: { queueId: number; broker: { name: string; endpoints: { facade: string } } }[] };
type RouteReader = { getRouteData(topic: string): Promise<ClientRoute> };

let nameServer: ChildProcess;
let nameServerUrl: string;
const brokers: EddyProcess[] = [];
const clients: { shutdown(): Promise<void> }[] = [];

/** `eddy namesrv` on a free port; resolves once it logged that it is ready. */
async function startNameServerProcess(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS, 'namesrv', '--port', String(port)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if ((JSON.parse(line) as { message?: string }).message === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`eddy namesrv exited with ${code}`)));
  });
  return { child, port };
}

async function createTopic(broker: EddyProcess, name: string, queueCount: number): Promise<void> {
  const response = await fetch(`${broker.httpUrl}/admin/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, queueCount }),
  });
  expect(response.status, await response.text()).toBe(201);
}

/** Messages stored on `broker` for `topic`: the sum of its queues' end offsets. */
async function storedOn(broker: EddyProcess, topic: string): Promise<number> {
  const response = await fetch(`${broker.httpUrl}/admin/topics/${topic}`);
  const { queues } = (await response.json()) as { queues: { maxOffset: number }[] };
  return queues.reduce((sum, queue) => sum + queue.maxOffset, 0);
}

async function producer(endpoints: string, topics: string[]): Promise<Producer> {
  const options = { endpoints, namespace: '', topics, logger: quietLogger, requestTimeout: 1_000 };
  const started = tolerateLateStreamErrors(new Producer(options));
  await started.startup();
  clients.push(started);
  return started;
}

/** The route a client starting at `broker` gets: broker name → endpoint, and the queue ids per broker. */
async function routeFrom(broker: EddyProcess, topic: string): Promise<Record<string, string>> {
  const reader = (await producer(broker.endpoint, [])) as unknown as RouteReader;
  const route = await reader.getRouteData(topic);
  return Object.fromEntries(route.messageQueues.map((queue) => [queue.broker.name, queue.broker.endpoints.facade]));
}

beforeAll(async () => {
  const started = await startNameServerProcess();
  nameServer = started.child;
  nameServerUrl = `http://127.0.0.1:${started.port}`;
  for (const name of BROKER_NAMES) {
    const args = ['--namesrv', `127.0.0.1:${started.port}`, '--broker-name', name, '--store', 'commitlog'];
    brokers.push(await startEddy({ args: [...args, '--register-interval-ms', '200'] }));
  }
  for (const broker of brokers) await createTopic(broker, TOPIC, 2);
  // Clients cache a route for 30 s: start them once the name server lists the topic on every broker.
  await vi.waitFor(
    async () => {
      const route = (await (await fetch(`${nameServerUrl}/topics/${TOPIC}/route`)).json()) as {
        queueDatas?: unknown[];
      };
      expect(route.queueDatas).toHaveLength(3);
    },
    { timeout: 30_000, interval: 100 },
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.shutdown().catch(() => {})));
  await Promise.all(brokers.map((broker) => broker.cleanup()));
  nameServer?.kill('SIGKILL');
});

describe('RocketMQ routes across brokers registered with a name server', () => {
  it('lists every broker with its own endpoint, whichever broker is asked', async () => {
    const expected = Object.fromEntries(brokers.map((broker, index) => [BROKER_NAMES[index], broker.endpoint]));
    for (const broker of brokers) expect(await routeFrom(broker, TOPIC)).toEqual(expected);
    // Queue ids 0 and 1 on each broker: the client sends to and receives from queue 0 of each.
    const reader = (await producer(brokers[1]?.endpoint as string, [])) as unknown as RouteReader;
    const queues = (await reader.getRouteData(TOPIC)).messageQueues.map((q) => `${q.broker.name}/${q.queueId}`);
    expect(queues).toEqual(BROKER_NAMES.flatMap((name) => [`${name}/0`, `${name}/1`]));
  });

  it('keeps a topic no broker holds on the broker asked (auto-created there)', async () => {
    const [first] = brokers as [EddyProcess];
    expect(await routeFrom(first, 'fresh-topic')).toEqual({ 'broker-a': first.endpoint });
  });

  it('spreads one producer over every broker, and one consumer reads them all back', async () => {
    const sender = await producer(brokers[0]?.endpoint as string, [TOPIC]);
    const sent = new Set<string>();
    for (let index = 0; index < 30; index++) {
      const receipt = await sender.send({ topic: TOPIC, body: Buffer.from(`m-${index}`) });
      sent.add(receipt.messageId);
    }
    const counts = await Promise.all(brokers.map((broker) => storedOn(broker, TOPIC)));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(30);
    for (const count of counts) expect(count).toBeGreaterThan(0);

    const consumer = tolerateLateStreamErrors(
      new SimpleConsumer({
        endpoints: brokers[2]?.endpoint as string,
        namespace: '',
        consumerGroup: 'spread-readers',
        subscriptions: new Map([[TOPIC, '*']]),
        awaitDuration: 500,
        logger: quietLogger,
        requestTimeout: 1_000,
      }),
    );
    await consumer.startup();
    clients.push(consumer);
    const received = new Set<string>();
    await vi.waitFor(
      async () => {
        for (const view of await consumer.receive(32, 15_000)) {
          received.add(view.messageId);
          await consumer.ack(view);
        }
        expect(received.size).toBe(sent.size);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect([...received].sort()).toEqual([...sent].sort());
  });

  it('fails a producer over to the other brokers when one is killed', async () => {
    const sender = await producer(brokers[0]?.endpoint as string, [TOPIC]);
    const killed = brokers[1] as EddyProcess;
    const before = await Promise.all(brokers.map((broker) => storedOn(broker, TOPIC)));
    await killed.kill9();
    // Every send is acknowledged: one to the dead broker fails over to the next broker at once.
    for (let index = 0; index < 12; index++) await sender.send({ topic: TOPIC, body: Buffer.from(`after-${index}`) });
    const survivors = [brokers[0], brokers[2]] as EddyProcess[];
    const after = await Promise.all(survivors.map((broker) => storedOn(broker, TOPIC)));
    expect((after[0] ?? 0) - (before[0] ?? 0) + (after[1] ?? 0) - (before[2] ?? 0)).toBe(12);
    // What the killed broker acknowledged is still there after a restart (CommitLog, kill -9).
    await killed.restart();
    expect(await storedOn(killed, TOPIC)).toBe(before[1]);
  });
});
