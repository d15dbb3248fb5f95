import { Kafka, logLevel } from 'kafkajs';
import type { Recorder } from './recorder.js';
import { closing, parsePayload, producerLoop, TOPIC, type Workload } from './workload.js';

const KAFKA_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000, logLevel: logLevel.NOTHING };
const KAFKA_RETRY = { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 };
const kafka = (clientId: string, broker: string) =>
  new Kafka({ clientId, brokers: [broker], ...KAFKA_TIMEOUTS, retry: KAFKA_RETRY });

/** A kafkajs producer (bootstrap `host:port`) sending one message at a time with acks -1, key = message group. */
export async function kafkaProducer(
  recorder: Recorder,
  broker: string,
  name: string,
  pauseMs: number,
): Promise<Workload> {
  const producer = kafka(name, broker).producer();
  await producer.connect();
  const workload = producerLoop(recorder, name, pauseMs, true, async (value, key) => {
    const [written] = await producer.send({ topic: TOPIC, acks: -1, timeout: 5_000, messages: [{ key, value }] });
    return { queue: written?.partition, offset: Number(written?.baseOffset) };
  });
  return closing(workload, () => producer.disconnect());
}

/** A kafkajs member of `groupId` reading {@link TOPIC} from the beginning; every message is recorded. */
export async function kafkaConsumer(
  recorder: Recorder,
  broker: string,
  name: string,
  groupId: string,
): Promise<Workload> {
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
