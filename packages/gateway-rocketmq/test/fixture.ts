import { type Broker, type BrokerOptions, createBroker } from '@eddy/broker';
import { openMemoryStore } from '@eddy/store-memory';

type MessageStore = Awaited<ReturnType<typeof openMemoryStore>>;

import {
  type ConsumeResult,
  type FilterExpression,
  type MessageView,
  Producer,
  PushConsumer,
  SimpleConsumer,
  type TransactionChecker,
} from 'rocketmq-client-nodejs';
import { type RocketMqGateway, startRocketMqGateway } from '../src/index.js';

/** A broker over a memory store with the gateway in front, on an ephemeral loopback port. */
export interface GatewayFixture {
  readonly broker: Broker;
  readonly gateway: RocketMqGateway;
  /** What clients put in `endpoints`. */
  readonly endpoints: string;
  readonly observed: { rpc: string; code: string }[];
  close(): Promise<void>;
}

/** Starts a fixture; broker options override the defaults. */
export async function startGatewayFixture(
  options: Omit<Partial<BrokerOptions>, 'store'> = {},
  gatewayOptions: { readonly maxLongPollingMs?: number } = {},
): Promise<GatewayFixture> {
  const store: MessageStore = await openMemoryStore({});
  const broker = createBroker({ store, ...options });
  await broker.start();
  const observed: { rpc: string; code: string }[] = [];
  const gateway = await startRocketMqGateway({
    broker,
    port: 0,
    // Short long polls: push consumers wait for their receive in flight when they shut down.
    maxLongPollingMs: gatewayOptions.maxLongPollingMs ?? 2000,
    observe: (rpc, _durationMs, code) => observed.push({ rpc, code }),
  });
  return {
    broker,
    gateway,
    endpoints: gateway.endpoint,
    observed,
    async close() {
      await gateway.close(1000);
      await broker.close();
      await store.close();
    },
  };
}

/** A client logger that keeps quiet (the default one writes files under ~/logs). */
export const quietLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
};

/** The shortest request timeout the client accepts, ms: failures show up fast. */
export const REQUEST_TIMEOUT_MS = 1000;

/** A message body as text. */
export function text(message: MessageView): string {
  return message.body.toString('utf8');
}

/**
 * Calls `receive` until `done` says the collected messages are enough. No time limit of its own: the
 * test's timeout bounds it, so slow machines pass as long as the behaviour is right.
 */
export async function receiveUntil(
  receive: () => Promise<MessageView[]>,
  done: (all: MessageView[]) => boolean,
): Promise<MessageView[]> {
  const all: MessageView[] = [];
  while (!done(all)) all.push(...(await receive()));
  return all;
}

/** Starts clients against a fixture and shuts them all down at the end. */
export class Clients {
  readonly #fixture: GatewayFixture;
  readonly #started: { shutdown(): Promise<void> }[] = [];

  constructor(fixture: GatewayFixture) {
    this.#fixture = fixture;
  }

  /** A started producer for `topics`, with an optional transaction checker. */
  async producer(topics: string[], checker?: TransactionChecker): Promise<Producer> {
    const producer = new Producer({
      endpoints: this.#fixture.endpoints,
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

  /** A started SimpleConsumer; `awaitDuration` is its long-polling time (short: tests poll in loops). */
  async simpleConsumer(
    consumerGroup: string,
    subscriptions: Record<string, string | FilterExpression>,
    awaitDuration = 1000,
  ): Promise<SimpleConsumer> {
    const consumer = new SimpleConsumer({
      endpoints: this.#fixture.endpoints,
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

  /** A started PushConsumer calling `listener` for each message. */
  async pushConsumer(
    consumerGroup: string,
    subscriptions: Record<string, string | FilterExpression>,
    listener: (message: MessageView) => Promise<ConsumeResult> | ConsumeResult,
  ): Promise<PushConsumer> {
    const consumer = new PushConsumer({
      endpoints: this.#fixture.endpoints,
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

  /** Shuts down every client started here, newest first. */
  async shutdown(): Promise<void> {
    for (const client of this.#started.reverse()) await client.shutdown();
    this.#started.length = 0;
  }
}
