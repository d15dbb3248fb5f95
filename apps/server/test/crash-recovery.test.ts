// Acknowledged means durable: the official RocketMQ 5 Node.js client sends synchronously in a loop while
// the broker is killed with SIGKILL and restarted on the same ports and data directory; afterwards a
// SimpleConsumer receives every message whose send was acknowledged (async flush: acknowledged once
// the bytes reached the OS, which a process kill does not undo).
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EddyProcess, startEddy } from './launch.js';

const TOPIC = 'crash-orders';
const GROUP = 'crash-check';
/** Acknowledged sends wanted before the kill, and again after the restart (the client reconnected). */
const ACKS_PER_PHASE = 40;

// The client logs every failed attempt while the broker is down; keep the test output readable.
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

let eddy: EddyProcess | undefined;
const clients: { shutdown(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.shutdown()));
  await eddy?.cleanup();
});

async function post(url: string, body: object): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.ok, await response.text()).toBe(true);
}

describe('kill -9 while a RocketMQ producer sends', () => {
  it('loses no acknowledged message', async () => {
    eddy = await startEddy();
    const broker = eddy;
    await post(`${broker.httpUrl}/admin/topics`, { name: TOPIC, queueCount: 4 });

    const producer = new Producer({ endpoints: broker.endpoint, namespace: '', topic: TOPIC, logger: quiet });
    clients.push(producer);
    await producer.startup();

    const acknowledged = new Map<string, string>(); // body → message id
    let attempts = 0;
    let failures = 0;
    let sending = true;
    const loop = (async () => {
      while (sending) {
        const body = `order-${attempts++}`;
        try {
          const receipt = await producer.send({ topic: TOPIC, tag: 'crash', keys: [body], body: Buffer.from(body) });
          acknowledged.set(body, receipt.messageId);
        } catch {
          failures++; // Not acknowledged: it may or may not be stored, and either is correct.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();

    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(ACKS_PER_PHASE), {
      timeout: 60_000,
      interval: 20,
    });
    await broker.kill9();
    const beforeRestart = acknowledged.size;
    await broker.restart();
    expect(broker.output()).toMatch(/recovered the CommitLog/);
    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(beforeRestart + ACKS_PER_PHASE), {
      timeout: 60_000,
      interval: 20,
    });
    sending = false;
    await loop;

    // A new group starts at the end of each queue; read everything from the start instead.
    await post(`${broker.httpUrl}/admin/groups/${GROUP}/offsets/reset`, { topic: TOPIC, to: 'earliest' });
    const consumer = new SimpleConsumer({
      endpoints: broker.endpoint,
      namespace: '',
      consumerGroup: GROUP,
      subscriptions: new Map([[TOPIC, '*']]),
      awaitDuration: 2_000,
      logger: quiet,
    });
    clients.push(consumer);
    await consumer.startup();

    const received = new Map<string, string>();
    await vi.waitFor(
      async () => {
        for (const message of await consumer.receive(32, 30_000)) {
          received.set(message.body.toString(), message.messageId);
          await consumer.ack(message);
        }
        const missing = [...acknowledged.keys()].filter((body) => !received.has(body));
        expect(missing, `${missing.length} acknowledged messages not received`).toEqual([]);
      },
      { timeout: 90_000, interval: 10 },
    );
    for (const [body, messageId] of acknowledged) expect(received.get(body)).toBe(messageId);
    expect(failures, 'sends failed while the broker was down').toBeGreaterThan(0);

    // Clients first: a client that shut down drops its stream listeners, and the stream of a broker
    // that vanished then errors with nobody listening (rocketmq-client-nodejs 1.0.8).
    await Promise.all(clients.splice(0).map((client) => client.shutdown()));
    expect(await broker.stop()).toBe(0);
  });
});
