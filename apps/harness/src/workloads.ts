// Workload clients that record a history: kafkajs and the official RocketMQ 5 client, producing JSON payloads
// {id, producer, seq} to one topic and consuming it in one consumer group per protocol.
import type { HistoryEvent } from '@eddy/checker';
import { Kafka, logLevel } from 'kafkajs';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';

/** The topic every workload uses; both protocols read and write it. */
export const TOPIC = 'harness';
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** The history of one run, with the counters the progress line shows. */
export class Recorder {
  readonly events: HistoryEvent[] = [];
  readonly counts = { sent: 0, acked: 0, received: 0 };
  lastReceiveAt = Date.now();

  add(event: HistoryEvent): void {
    this.events.push(event);
    if (event.type === 'send') this.counts.sent++;
    if (event.type === 'send' && event.outcome === 'ack') this.counts.acked++;
    if (event.type === 'receive') this.counts.received++;
    if (event.type === 'receive') this.lastReceiveAt = Date.now();
  }

  /** Acked messages that some consumer group in `groups` has not received yet. */
  missing(groups: readonly string[]): number {
    const got = new Set(
      this.events.map((event) => (event.type === 'receive' ? `${event.consumerGroup}/${event.id}` : '')),
    );
    const acked = this.events.flatMap((event) => (event.type === 'send' && event.outcome === 'ack' ? [event] : []));
    return groups.reduce((sum, group) => sum + acked.filter((event) => !got.has(`${group}/${event.id}`)).length, 0);
  }
}

/** A running client; `stop` ends its loop and closes it. */
export interface Workload {
  readonly name: string;
  stop(): Promise<void>;
}

function loop(name: string, step: () => Promise<void>): Workload {
  let running = true;
  const done = (async () => {
    while (running) await step();
  })();
  return {
    name,
    stop: () => {
      running = false;
      return done;
    },
  };
}

function closing(workload: Workload, close: () => Promise<void>): Workload {
  const stop = (): Promise<void> => workload.stop().then(close);
  return { name: workload.name, stop: () => stop().catch(() => {}) };
}

type Payload = { id: string; producer: string; seq: number };
export function parsePayload(body: Buffer | null): Payload {
  const text = body?.toString('utf8') ?? '';
  try {
    const { id, producer, seq } = JSON.parse(text) as Payload;
    if (typeof id === 'string' && typeof producer === 'string' && typeof seq === 'number') return { id, producer, seq };
  } catch {}
  // Still recorded: the checker reports it as unexpected.
  return { id: `raw:${text.slice(0, 64)}`, producer: '?', seq: -1 };
}

const KAFKA_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000, logLevel: logLevel.NOTHING };
const KAFKA_RETRY = { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 };
const kafka = (clientId: string, broker: string) =>
  new Kafka({ clientId, brokers: [broker], ...KAFKA_TIMEOUTS, retry: KAFKA_RETRY });

// A definite refusal (the broker answered with a non-retriable error); anything else may have been written,
// including whatever the RocketMQ client still fails after its own retries.
function outcomeOf(error: unknown): 'fail' | 'unknown' {
  const { name, retriable } = error as { name?: string; retriable?: boolean };
  return name === 'KafkaJSProtocolError' && retriable === false ? 'fail' : 'unknown';
}

/** Sends one payload per step (then waits `pauseMs`) until stopped; `key` set makes the send keyed by message group. */
function producerLoop(recorder: Recorder, name: string, pauseMs: number, keyed: boolean, send: Send): Workload {
  let seq = 0;
  return loop(name, async () => {
    seq++;
    const id = `${name}-${seq}`;
    const group = keyed ? `key-${seq % 4}` : undefined;
    const who = { client: name, id, producer: name, seq };
    const base = { type: 'send', time: Date.now(), ...who, topic: TOPIC, group } as const;
    try {
      recorder.add({ ...base, outcome: 'ack', ...(await send(JSON.stringify({ id, producer: name, seq }), group)) });
    } catch (error) {
      recorder.add({ ...base, outcome: outcomeOf(error) });
      await sleep(200);
    }
    await sleep(pauseMs);
  });
}
type Send = (value: string, key: string | undefined) => Promise<{ queue?: number; offset?: number }>;

/** A kafkajs producer sending one message at a time with acks -1, key = message group. */
export async function kafkaProducer(recorder: Recorder, broker: string, name: string, pauseMs: number) {
  const producer = kafka(name, broker).producer();
  await producer.connect();
  const workload = producerLoop(recorder, name, pauseMs, true, async (value, key) => {
    const [written] = await producer.send({ topic: TOPIC, acks: -1, timeout: 5_000, messages: [{ key, value }] });
    return { queue: written?.partition, offset: Number(written?.baseOffset) };
  });
  return closing(workload, () => producer.disconnect());
}

/** A kafkajs group member reading {@link TOPIC} from the beginning; every message is recorded. */
export async function kafkaConsumer(recorder: Recorder, broker: string, name: string, groupId: string) {
  const timeouts = { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 };
  const consumer = kafka(name, broker).consumer({ groupId, ...timeouts });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const payload = parsePayload(message.value);
      const group = message.key?.toString('utf8');
      const at = { queue: partition, offset: Number(message.offset), consumerGroup: groupId };
      recorder.add({ type: 'receive', time: Date.now(), client: name, ...payload, topic, group, ...at });
    },
  });
  return { name, stop: () => consumer.disconnect() };
}

/** A RocketMQ producer (gRPC endpoint `host:port`) sending one message at a time. */
export async function rocketProducer(recorder: Recorder, endpoints: string, name: string, pauseMs: number) {
  const options = { endpoints, namespace: '', topics: [TOPIC] };
  const producer = new Producer({ ...options, logger: quietLogger, requestTimeout: 3_000 });
  await producer.startup();
  const workload = producerLoop(recorder, name, pauseMs, false, async (value) => {
    await producer.send({ topic: TOPIC, body: Buffer.from(value) });
    // No queue or offset: Eddy picks the queue, and the 1.0.8 client's receipt names the one it asked for (0).
    return {};
  });
  return closing(workload, () => producer.shutdown());
}

// MessageView hides the queue id; Eddy's receipt handle (`e1.` + base64url JSON [group, topic, queueId, …]) has it.
function queueOf(receiptHandle: string): number {
  try {
    return Number(JSON.parse(Buffer.from(receiptHandle.slice(3), 'base64url').toString())[2] ?? -1);
  } catch {
    return -1;
  }
}

/** A RocketMQ SimpleConsumer in `group`: receive, record, ack, in a loop. */
export async function rocketConsumer(recorder: Recorder, endpoints: string, name: string, group: string) {
  const subscriptions = new Map([[TOPIC, '*']]);
  const options = { endpoints, namespace: '', consumerGroup: group, subscriptions, awaitDuration: 1_000 };
  const consumer = new SimpleConsumer({ ...options, logger: quietLogger, requestTimeout: 3_000 });
  await consumer.startup();
  const workload = loop(name, async () => {
    try {
      for (const view of await consumer.receive(16, 15_000)) {
        const payload = parsePayload(view.body);
        const at = { queue: queueOf(view.receiptHandle), offset: Number(view.offset ?? -1), consumerGroup: group };
        // No message group: a non-FIFO consumer group (as here) is promised no order, and its members pop in parallel.
        recorder.add({ type: 'receive', time: Date.now(), client: name, ...payload, topic: view.topic, ...at });
        // An ack that fails means a redelivery later: a duplicate, allowed at least once.
        await consumer.ack(view).catch(() => {});
      }
    } catch {
      await sleep(200);
    }
  });
  return closing(workload, () => consumer.shutdown());
}
