import type { Random } from '@eddy/checker';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Recorder } from './recorder.js';
import { closing, loop, parsePayload, sleep, type Workload } from './workload.js';

const kafka = (clientId: string, broker: string) =>
  new Kafka({
    clientId,
    brokers: [broker],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  });

/** Options of {@link kafkaTransactionalProducer}. */
export interface TransactionalProducerOptions {
  topic: string;
  /** Messages per transaction. */
  size: number;
  /** Share of transactions aborted on purpose, 0…1; `random` decides which. */
  abortShare: number;
  pauseMs: number;
  random: Random;
}

/**
 * A kafkajs transactional producer (transactional id = `name`): each step begins a transaction, sends
 * `size` messages in it one by one (acks -1), then commits or aborts it as `random` says. Every send is
 * recorded with its transaction id, then the transaction's outcome: `commit` or `abort` once the broker
 * confirmed it, `unknown` when the end call failed (a commit may have been applied). A transaction that
 * fails mid-way is aborted; when even that fails, the producer is replaced (a new one fences the old).
 */
export async function kafkaTransactionalProducer(
  recorder: Recorder,
  broker: string,
  name: string,
  options: TransactionalProducerOptions,
): Promise<Workload> {
  const { topic, size, abortShare, pauseMs, random } = options;
  const client = kafka(name, broker);
  const create = () => client.producer({ transactionalId: name, idempotent: true, maxInFlightRequests: 1 });
  let producer: Producer | undefined;
  let seq = 0;
  let count = 0;
  const ended = (txn: string, outcome: 'commit' | 'abort' | 'unknown') =>
    recorder.add({ type: 'txn', time: Date.now(), client: name, txn, outcome });

  const workload = loop(name, async () => {
    if (producer === undefined) {
      const fresh = create();
      const connected = await fresh.connect().then(
        () => true,
        () => false,
      );
      if (!connected) return sleep(500);
      producer = fresh;
    }
    const txn = `${name}-txn-${++count}`;
    const abort = random.next() < abortShare;
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      transaction = await producer.transaction();
      for (let k = 0; k < size; k++) {
        const id = `${name}-${++seq}`;
        const base = { type: 'send', client: name, id, producer: name, seq, topic, txn } as const;
        try {
          const value = JSON.stringify({ id, producer: name, seq });
          const [written] = await transaction.send({ topic, acks: -1, timeout: 5_000, messages: [{ value }] });
          const at = { queue: written?.partition, offset: Number(written?.baseOffset) };
          recorder.add({ ...base, time: Date.now(), outcome: 'ack', ...at });
        } catch (error) {
          recorder.add({ ...base, time: Date.now(), outcome: 'unknown' });
          throw error;
        }
      }
    } catch {
      // Failed before the end: abort what was sent; if the abort fails too, a new producer fences this one.
      const aborted = await transaction?.abort().then(
        () => true,
        () => false,
      );
      ended(txn, aborted === true ? 'abort' : 'unknown');
      if (aborted !== true) {
        await producer.disconnect().catch(() => {});
        producer = undefined;
      }
      return sleep(200);
    }
    try {
      await (abort ? transaction.abort() : transaction.commit());
      ended(txn, abort ? 'abort' : 'commit');
    } catch {
      ended(txn, 'unknown');
      await producer.disconnect().catch(() => {});
      producer = undefined;
      await sleep(200);
    }
    await sleep(pauseMs);
  });
  return closing(workload, async () => {
    await producer?.disconnect();
  });
}

/**
 * A kafkajs member of `groupId` reading `topic` from the beginning under read_committed
 * (`readUncommitted: false`): it must see every message of committed transactions and none of aborted ones.
 */
export async function kafkaReadCommittedConsumer(
  recorder: Recorder,
  broker: string,
  name: string,
  options: { topic: string; groupId: string },
): Promise<Workload> {
  const { topic, groupId } = options;
  const timeouts = { sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 };
  const consumer = kafka(name, broker).consumer({ groupId, readUncommitted: false, ...timeouts });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const at = { topic, queue: partition, offset: Number(message.offset), consumerGroup: groupId };
      recorder.add({ type: 'receive', time: Date.now(), client: name, ...parsePayload(message.value), ...at });
    },
  });
  return { name, stop: () => consumer.disconnect().catch(() => {}) };
}
