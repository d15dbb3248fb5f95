// The official RocketMQ 5 Node client (rocketmq-client-nodejs 1.0.8) against the real `eddy start` process:
// the acceptance scenarios of @eddy/gateway-rocketmq, end to end through the app's composition.
import { connect } from 'node:http2';
import {
  ConsumeResult,
  FilterExpression,
  type MessageView,
  Producer,
  PushConsumer,
  SimpleConsumer,
  type TransactionChecker,
} from 'rocketmq-client-nodejs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EddyProcess, startEddy } from './launch.js';

// Protocol enum values (the client's generated enums are not importable from ESM).
const SQL = 2;
const COMMIT = 1;
// The shortest request timeout the client accepts, ms.
const REQUEST_TIMEOUT_MS = 1000;
const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

type Subscriptions = Record<string, string | FilterExpression>;

/** Clients of one server, all shut down after each test. */
class Clients {
  readonly #started: { shutdown(): Promise<void> }[] = [];

  constructor(readonly endpoints: () => string) {}

  async producer(topics: string[], checker?: TransactionChecker): Promise<Producer> {
    const producer = new Producer({
      endpoints: this.endpoints(),
      namespace: '',
      topics,
      logger: quietLogger,
      requestTimeout: REQUEST_TIMEOUT_MS,
      ...(checker === undefined ? {} : { checker }),
    });
    await producer.startup();
    this.#started.push(producer);
    return producer;
  }

  async simpleConsumer(
    consumerGroup: string,
    subscriptions: Subscriptions,
    awaitDuration = 1000,
  ): Promise<SimpleConsumer> {
    const consumer = new SimpleConsumer({
      endpoints: this.endpoints(),
      namespace: '',
      consumerGroup,
      subscriptions: new Map(Object.entries(subscriptions)),
      awaitDuration,
      logger: quietLogger,
      requestTimeout: REQUEST_TIMEOUT_MS,
    });
    await consumer.startup();
    this.#started.push(consumer);
    return consumer;
  }

  async pushConsumer(
    consumerGroup: string,
    subscriptions: Subscriptions,
    listener: (message: MessageView) => ConsumeResult,
  ): Promise<PushConsumer> {
    const consumer = new PushConsumer({
      endpoints: this.endpoints(),
      namespace: '',
      consumerGroup,
      subscriptions: new Map(Object.entries(subscriptions)),
      messageListener: { consume: async (message: MessageView) => listener(message) },
      logger: quietLogger,
      requestTimeout: REQUEST_TIMEOUT_MS,
    });
    await consumer.startup();
    this.#started.push(consumer);
    return consumer;
  }

  async shutdown(): Promise<void> {
    for (const client of this.#started.splice(0).reverse()) await client.shutdown();
  }
}

function text(message: MessageView): string {
  return message.body.toString('utf8');
}

/** Receives until `done`; bounded by the test timeout, not by a timing assumption. */
async function receiveUntil(
  receive: () => Promise<MessageView[]>,
  done: (all: MessageView[]) => boolean,
): Promise<MessageView[]> {
  const all: MessageView[] = [];
  while (!done(all)) all.push(...(await receive()));
  return all;
}

async function createTopic(eddy: EddyProcess, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${eddy.httpUrl}/admin/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.text()).toBe(201);
}

/** Posts raw bytes as one gRPC request and returns the response headers and trailers. */
function postRaw(endpoint: string, path: string, body: Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${endpoint}`);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const seen: Record<string, unknown> = {};
    stream.on('response', (headers) => Object.assign(seen, headers));
    stream.on('trailers', (trailers) => Object.assign(seen, trailers));
    stream.on('data', () => {});
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      resolve(seen);
    });
    stream.end(body);
  });
}

describe('rocketmq-client-nodejs against eddy start', () => {
  let eddy: EddyProcess;
  const clients = new Clients(() => eddy.endpoint);

  beforeAll(async () => {
    eddy = await startEddy({
      args: [
        '--transaction-timeout-ms',
        '1000',
        '--transaction-check-interval-ms',
        '1000',
        '--max-message-size',
        '65536',
      ],
    });
  });
  afterEach(async () => {
    await clients.shutdown();
  });
  afterAll(async () => {
    expect(await eddy.stop()).toBe(0);
    await eddy.cleanup();
  });

  it('delivers keys, tag and properties with the message id, and nothing again after the ack', async () => {
    const producer = await clients.producer(['orders']);
    const consumer = await clients.simpleConsumer('billing', { orders: '*' });
    const receipt = await producer.send({
      topic: 'orders',
      body: Buffer.from('order 1'),
      tag: 'created',
      keys: ['order-1'],
      properties: new Map([['region', 'eu']]),
    });
    const [message] = await receiveUntil(
      () => consumer.receive(10, 30_000),
      (all) => all.length > 0,
    );
    const view = message as MessageView;
    expect(view.messageId).toBe(receipt.messageId);
    expect(text(view)).toBe('order 1');
    expect(view.tag).toBe('created');
    expect(view.keys).toEqual(['order-1']);
    expect(Object.fromEntries(view.properties)).toEqual({ region: 'eu' });
    expect(view.corrupted).toBeFalsy();
    expect(view.deliveryAttempt).toBe(1);
    await consumer.ack(view);
    expect(await consumer.receive(10, 30_000)).toEqual([]);
  });

  it('redelivers an unacked message after its invisible time with a higher attempt', async () => {
    const producer = await clients.producer(['retries']);
    const consumer = await clients.simpleConsumer('workers', { retries: '*' });
    await producer.send({ topic: 'retries', body: Buffer.from('try me') });
    const first = await receiveUntil(
      () => consumer.receive(1, 1000),
      (all) => all.length > 0,
    );
    const again = await receiveUntil(
      () => consumer.receive(1, 1000),
      (all) => all.length > 0,
    );
    expect(again[0]?.messageId).toBe(first[0]?.messageId);
    expect(again[0]?.deliveryAttempt).toBe(2);
    await consumer.ack(again[0] as MessageView);
  });

  it('filters by tag and by SQL92', async () => {
    const producer = await clients.producer(['filtered']);
    const byTag = await clients.simpleConsumer('tag-readers', { filtered: 'A || C' });
    const bySql = await clients.simpleConsumer('sql-readers', { filtered: new FilterExpression('price > 10', SQL) });
    const sends: [string, string][] = [
      ['A', '5'],
      ['B', '20'],
      ['C', '30'],
    ];
    for (const [tag, price] of sends) {
      await producer.send({ topic: 'filtered', body: Buffer.from(tag), tag, properties: new Map([['price', price]]) });
    }
    const tagged = await receiveUntil(
      () => byTag.receive(32, 30_000),
      (all) => all.length >= 2,
    );
    const priced = await receiveUntil(
      () => bySql.receive(32, 30_000),
      (all) => all.length >= 2,
    );
    expect(tagged.map(text).sort()).toEqual(['A', 'C']);
    expect(priced.map(text).sort()).toEqual(['B', 'C']);
  });

  it('keeps FIFO order per message group', async () => {
    await createTopic(eddy, { name: 'fifo', queueCount: 4, messageType: 'FIFO' });
    const producer = await clients.producer(['fifo']);
    const sent = new Map<string, string[]>([
      ['g1', []],
      ['g2', []],
    ]);
    for (let index = 0; index < 5; index += 1) {
      for (const group of sent.keys()) {
        await producer.send({ topic: 'fifo', body: Buffer.from(`${group}-${index}`), messageGroup: group });
        sent.get(group)?.push(`${group}-${index}`);
      }
    }
    const consumer = await clients.simpleConsumer('fifo-readers', { fifo: '*' });
    const received = new Map<string, string[]>();
    let total = 0;
    while (total < 10) {
      const batch = await consumer.receive(32, 30_000);
      for (const message of batch) {
        const group = message.messageGroup as string;
        received.set(group, [...(received.get(group) ?? []), text(message)]);
        await consumer.ack(message);
      }
      total += batch.length;
    }
    expect(received).toEqual(sent);
  });

  it('delivers a delay message no earlier than its delivery timestamp', async () => {
    const producer = await clients.producer(['reminders']);
    const consumer = await clients.simpleConsumer('reminder-readers', { reminders: '*' });
    const deliveryTimestamp = new Date(Date.now() + 1500);
    await producer.send({ topic: 'reminders', body: Buffer.from('wake up'), deliveryTimestamp });
    const [message] = await receiveUntil(
      () => consumer.receive(1, 30_000),
      (all) => all.length > 0,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(deliveryTimestamp.getTime());
    expect(message === undefined ? undefined : text(message)).toBe('wake up');
  });

  it('commits, rolls back, and resolves an orphaned transaction through the checker', async () => {
    const checked: string[] = [];
    const checker: TransactionChecker = {
      check: async (message) => {
        checked.push(message.messageId);
        return COMMIT;
      },
    };
    const producer = await clients.producer(['payments'], checker);
    const consumer = await clients.simpleConsumer('ledger', { payments: '*' });

    const committed = producer.beginTransaction();
    const first = await producer.send({ topic: 'payments', body: Buffer.from('committed') }, committed);
    await committed.commit();
    const rolledBack = producer.beginTransaction();
    await producer.send({ topic: 'payments', body: Buffer.from('rolled back') }, rolledBack);
    await rolledBack.rollback();
    const orphan = await producer.send({ topic: 'payments', body: Buffer.from('orphan') }, producer.beginTransaction());

    const received = await receiveUntil(
      () => consumer.receive(32, 30_000),
      (all) => all.length >= 2,
    );
    for (const message of received) await consumer.ack(message);
    expect(received.map(text).sort()).toEqual(['committed', 'orphan']);
    expect(received.map((message) => message.messageId).sort()).toEqual([first.messageId, orphan.messageId].sort());
    expect(checked).toContain(orphan.messageId);
  });

  it('gives each message to exactly one of two push consumers of a group', async () => {
    const producer = await clients.producer(['jobs']);
    const seen: string[] = [];
    const sent = new Set<string>();
    let resolveAll: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const listener = (message: MessageView): ConsumeResult => {
      seen.push(message.messageId);
      if (sent.size === 10 && [...sent].every((id) => seen.includes(id))) resolveAll();
      return ConsumeResult.SUCCESS;
    };
    const first = await clients.pushConsumer('job-runners', { jobs: '*' }, listener);
    const second = await clients.pushConsumer('job-runners', { jobs: '*' }, listener);
    for (let index = 0; index < 10; index += 1) {
      sent.add((await producer.send({ topic: 'jobs', body: Buffer.from(`job ${index}`) })).messageId);
    }
    await all;
    // Shutting down waits for the receive in flight (a 20 s long poll) and the acks: nothing more can
    // arrive after this. In parallel, that is one wait.
    await Promise.all([first.shutdown(), second.shutdown()]);
    expect(seen.length).toBe(10);
    expect(new Set(seen)).toEqual(sent);
  });

  it('rejects an oversized message with a clear error', async () => {
    const producer = await clients.producer(['big']);
    await expect(producer.send({ topic: 'big', body: Buffer.alloc(65_537, 1) })).rejects.toThrow(
      'Message body size exceeds the threshold, max size=65536 bytes',
    );
  });

  it('answers a malformed gRPC frame with an error status and serves the next client', async () => {
    const garbage = Buffer.from([0, 0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]);
    const answer = await postRaw(eddy.endpoint, '/apache.rocketmq.v2.MessagingService/SendMessage', garbage);
    expect(answer['grpc-status']).toBeDefined();
    expect(answer['grpc-status']).not.toBe('0');
    const producer = await clients.producer(['after-garbage']);
    expect((await producer.send({ topic: 'after-garbage', body: Buffer.from('ok') })).messageId).not.toBe('');
  });
});

describe('rocketmq-client-nodejs against eddy start without topic auto-creation', () => {
  let eddy: EddyProcess;
  const clients = new Clients(() => eddy.endpoint);

  beforeAll(async () => {
    eddy = await startEddy({ args: ['--auto-create-topics', 'false'] });
  });
  afterEach(async () => {
    await clients.shutdown();
  });
  afterAll(async () => {
    expect(await eddy.stop()).toBe(0);
    await eddy.cleanup();
  });

  it('answers an unknown topic with NotFound and keeps serving', async () => {
    await createTopic(eddy, { name: 'known', queueCount: 2 });
    const producer = await clients.producer(['known']);
    await expect(producer.send({ topic: 'unknown', body: Buffer.from('x') })).rejects.toMatchObject({
      name: 'NotFoundException',
      code: 40402,
    });
    expect((await producer.send({ topic: 'known', body: Buffer.from('fine') })).messageId).not.toBe('');
  });
});
