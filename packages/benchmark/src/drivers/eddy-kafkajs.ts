import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { pace } from '../pacer.js';
import { nowMicros, stampedPayload } from '../phase-meter.js';
import { createKafkaTopic, EDDY_BROKER, startEddy } from './eddy-server.js';
import { aborted, type RunningSystem, type SystemDriver } from './system-driver.js';

/** Batches of this many bytes at most per `send()`, several in flight: kafkajs's speed is per request. */
const BATCH_BYTES = 256 * 1024;
const IN_FLIGHT = 4;

/** Eddy over Kafka with kafkajs 2.2.4 in this process: acks=-1, groups with `eachBatch`. */
export const eddyKafkajsDriver: SystemDriver = {
  system: 'eddy-kafkajs',
  label: 'Eddy · Kafka · kafkajs',
  broker: EDDY_BROKER,
  client: `kafkajs 2.2.4 (Node, acks=-1, ${IN_FLIGHT} sends of ≤ 256 KiB in flight per producer, consumer group)`,
  eddy: true,
  clientRuntime: 'node',
  requirements: [],
  async start(context) {
    const eddy = await startEddy(context.serverMain, context.workDir, context.partitions);
    const kafka = new Kafka({
      clientId: 'eddy-bench',
      brokers: [eddy.kafkaBootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100 },
    });
    const running: RunningSystem = {
      brokerPids: () => (eddy.pid() === undefined ? [] : [eddy.pid() as number]),
      async run(request, meter, stop) {
        await createKafkaTopic(eddy.kafkaBootstrap, request.topic, request.partitions);
        const consumers: Consumer[] = [];
        const producers = Array.from({ length: request.producers }, () =>
          kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: IN_FLIGHT }),
        );
        try {
          const joined: Promise<void>[] = [];
          for (let index = 0; index < request.consumers; index++) {
            const consumer = kafka.consumer({
              groupId: `${request.topic}-group`,
              maxBytes: 50 * 1024 * 1024,
              maxBytesPerPartition: 10 * 1024 * 1024,
              maxWaitTimeInMs: 100,
              sessionTimeout: 10_000,
              heartbeatInterval: 1_000,
            });
            consumers.push(consumer);
            joined.push(new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve())));
            await consumer.connect();
            await consumer.subscribe({ topics: [request.topic], fromBeginning: true });
            await consumer.run({
              autoCommit: false,
              partitionsConsumedConcurrently: request.partitions,
              eachBatch: async ({ batch }) => {
                const at = nowMicros();
                for (const message of batch.messages) if (message.value) meter.receivedPayload(message.value, at);
              },
            });
          }
          await Promise.race([Promise.all(joined), aborted(stop)]);
          await Promise.all(producers.map((producer) => producer.connect()));
          const filler = Buffer.alloc(request.messageSize, 'x');
          const batchSize = Math.max(1, Math.floor(BATCH_BYTES / request.messageSize));
          const rate = request.rate === 'max' ? 'max' : request.rate / request.producers;
          meter.markStarted();
          await Promise.all(
            producers.map((producer) =>
              pace({
                rate,
                batchSize,
                concurrency: IN_FLIGHT,
                signal: stop,
                onError: (error) => meter.failed(error),
                send: async (count) => {
                  const messages = Array.from({ length: count }, () => ({
                    value: stampedPayload(request.messageSize, filler),
                  }));
                  await producer.send({ topic: request.topic, acks: -1, messages });
                  meter.sent(count, count * request.messageSize);
                },
              }),
            ),
          );
        } finally {
          await Promise.allSettled([...producers, ...consumers].map((client) => client.disconnect()));
        }
      },
      close: () => eddy.close(),
    };
    return running;
  },
};
