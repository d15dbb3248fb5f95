import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import type { Recorder } from './recorder.js';
import { closing, loop, parsePayload, producerLoop, sleep, TOPIC, type Workload } from './workload.js';

const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** A RocketMQ producer (gRPC access point `host:port`) sending one message at a time. */
export async function rocketProducer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  pauseMs: number,
): Promise<Workload> {
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

/**
 * A RocketMQ SimpleConsumer in `group` (gRPC access point `host:port`): receive, record, ack, in a loop. It
 * receives from every broker of the topic's route in turn; queues are recorded per broker (see
 * {@link Recorder.queueOn}).
 */
export async function rocketConsumer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  group: string,
): Promise<Workload> {
  const subscriptions = new Map([[TOPIC, '*']]);
  const options = { endpoints, namespace: '', consumerGroup: group, subscriptions, awaitDuration: 1_000 };
  const consumer = new SimpleConsumer({ ...options, logger: quietLogger, requestTimeout: 3_000 });
  await consumer.startup();
  const workload = loop(name, async () => {
    try {
      for (const view of await consumer.receive(16, 15_000)) {
        const payload = parsePayload(view.body);
        const queue = recorder.queueOn(view.endpoints.facade, queueOf(view.receiptHandle));
        const redelivery = (view.deliveryAttempt ?? 1) > 1;
        const at = { queue, offset: Number(view.offset ?? -1), consumerGroup: group, redelivery };
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
