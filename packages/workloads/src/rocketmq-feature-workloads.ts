import type { Random } from '@eddy/checker';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import type { Recorder } from './recorder.js';
import { closing, loop, parsePayload, sleep, type Workload } from './workload.js';

const quietLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** What a typed RocketMQ producer adds to each message: a message group, or a delivery time. */
type Typed = { messageGroup: string } | { deliveryTimestamp: Date };

/**
 * A RocketMQ producer sending one message at a time to `topic`, each typed by `typeOf(seq)`. The send is
 * recorded with its message group or its delivery time (`deliverAt`), the two things the group-order and
 * delay checkers judge. A failed send is `unknown`: the 1.0.8 client retries on its own and cannot tell a
 * refusal from a lost answer.
 */
async function typedProducer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  topic: string,
  pauseMs: number,
  typeOf: (seq: number) => Typed,
): Promise<Workload> {
  const producer = new Producer({
    endpoints,
    namespace: '',
    topics: [topic],
    logger: quietLogger,
    requestTimeout: 3_000,
  });
  await producer.startup();
  let seq = 0;
  const workload = loop(name, async () => {
    seq++;
    const id = `${name}-${seq}`;
    const typed = typeOf(seq);
    const group = 'messageGroup' in typed ? typed.messageGroup : undefined;
    const deliverAt = 'deliveryTimestamp' in typed ? typed.deliveryTimestamp.getTime() : undefined;
    const base = { type: 'send', client: name, id, producer: name, seq, topic, group, deliverAt } as const;
    try {
      await producer.send({ topic, body: Buffer.from(JSON.stringify({ id, producer: name, seq })), ...typed });
      recorder.add({ ...base, time: Date.now(), outcome: 'ack' });
    } catch {
      recorder.add({ ...base, time: Date.now(), outcome: 'unknown' });
      await sleep(200);
    }
    await sleep(pauseMs);
  });
  return closing(workload, () => producer.shutdown());
}

/**
 * A RocketMQ producer for a FIFO topic: every message carries one of `groupCount` message groups
 * (`fifo-0`…), chosen by `random`. Its seq rises in send order, so it rises within each group too, which
 * is the order the group-order checker holds consumers to.
 */
export function rocketFifoProducer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  options: { topic: string; groupCount: number; pauseMs: number; random: Random },
): Promise<Workload> {
  const { topic, groupCount, pauseMs, random } = options;
  const typeOf = () => ({ messageGroup: `fifo-${random.int(0, groupCount - 1)}` });
  return typedProducer(recorder, endpoints, name, topic, pauseMs, typeOf);
}

/**
 * A RocketMQ producer for a DELAY topic: every message is due `minDelayMs`…`maxDelayMs` (chosen by
 * `random`) after it is sent, and is recorded with that time as `deliverAt`.
 */
export function rocketDelayProducer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  options: { topic: string; minDelayMs: number; maxDelayMs: number; pauseMs: number; random: Random },
): Promise<Workload> {
  const { topic, minDelayMs, maxDelayMs, pauseMs, random } = options;
  const typeOf = () => ({ deliveryTimestamp: new Date(Date.now() + random.int(minDelayMs, maxDelayMs)) });
  return typedProducer(recorder, endpoints, name, topic, pauseMs, typeOf);
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
 * A RocketMQ SimpleConsumer of one topic in `group`: receive, record (with the message group, when the
 * message has one), ack, one message after the other. On a FIFO topic Eddy holds a group's next message
 * back until the previous one is acked, so recording before the ack keeps the history in delivery order.
 */
export async function rocketTopicConsumer(
  recorder: Recorder,
  endpoints: string,
  name: string,
  options: { topic: string; group: string },
): Promise<Workload> {
  const { topic, group } = options;
  const subscriptions = new Map([[topic, '*']]);
  const settings = { endpoints, namespace: '', consumerGroup: group, subscriptions, awaitDuration: 1_000 };
  const consumer = new SimpleConsumer({ ...settings, logger: quietLogger, requestTimeout: 3_000 });
  await consumer.startup();
  const workload = loop(name, async () => {
    try {
      for (const view of await consumer.receive(16, 15_000)) {
        const queue = recorder.queueOn(view.endpoints.facade, queueOf(view.receiptHandle));
        const redelivery = (view.deliveryAttempt ?? 1) > 1;
        const at = {
          queue,
          offset: Number(view.offset ?? -1),
          consumerGroup: group,
          group: view.messageGroup,
          redelivery,
        };
        recorder.add({ type: 'receive', time: Date.now(), client: name, ...parsePayload(view.body), topic, ...at });
        // A failed ack means a redelivery after the invisible time: a duplicate, allowed at least once.
        await consumer.ack(view).catch(() => {});
      }
    } catch {
      await sleep(200);
    }
  });
  return closing(workload, () => consumer.shutdown());
}
