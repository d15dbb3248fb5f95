import { tolerateLateStreamErrors } from '@eddy/workloads';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { pace } from '../pacer.js';
import { nowMicros, stampedPayload } from '../phase-meter.js';
import { EDDY_BROKER, startEddy } from './eddy-server.js';
import { SILENT_LOGGER, type SystemDriver, sleep } from './system-driver.js';

/** The 1.0.8 client sends one message per RPC: throughput comes from many in flight. */
const SENDS_IN_FLIGHT = 64;
const RECEIVE_BATCH = 32;
/** Long polls per consumer at once: each receive is one RPC that waits for messages. */
const RECEIVES_IN_FLIGHT = 4;

/** Eddy over RocketMQ 5 gRPC with the official Node client: Producer and SimpleConsumer (receive + ack). */
export const eddyRocketmqDriver: SystemDriver = {
  system: 'eddy-rocketmq',
  label: 'Eddy · RocketMQ gRPC · Node',
  broker: EDDY_BROKER,
  client: `rocketmq-client-nodejs 1.0.8: Producer with ${SENDS_IN_FLIGHT} sends in flight; SimpleConsumer, ${RECEIVES_IN_FLIGHT} receive(${RECEIVE_BATCH}) long polls in flight, one ack per message`,
  eddy: true,
  clientRuntime: 'node',
  requirements: [],
  async start(context) {
    const eddy = await startEddy(context.serverMain, context.workDir, context.partitions);
    return {
      brokerPids: () => (eddy.pid() === undefined ? [] : [eddy.pid() as number]),
      async run(request, meter, stop) {
        const common = { endpoints: eddy.grpcEndpoint, namespace: '', logger: SILENT_LOGGER, requestTimeout: 5_000 };
        const producers = Array.from({ length: request.producers }, () =>
          tolerateLateStreamErrors(new Producer({ ...common, topics: [request.topic] })),
        );
        const consumers = Array.from({ length: request.consumers }, () =>
          tolerateLateStreamErrors(
            new SimpleConsumer({
              ...common,
              consumerGroup: `${request.topic}-group`,
              subscriptions: new Map([[request.topic, '*']]),
              awaitDuration: 1_000,
            }),
          ),
        );
        try {
          // The producer's start-up asks for the route, which creates the topic; consumers subscribe after that.
          await Promise.all(producers.map((producer) => producer.startup()));
          await Promise.all(consumers.map((consumer) => consumer.startup()));
          const receiving = consumers.flatMap((consumer) =>
            Array.from({ length: RECEIVES_IN_FLIGHT }, async () => {
              while (!stop.aborted) {
                try {
                  const views = await consumer.receive(RECEIVE_BATCH, 30_000);
                  const at = nowMicros();
                  for (const view of views) meter.receivedPayload(view.body, at);
                  await Promise.all(views.map((view) => consumer.ack(view).catch((error) => meter.failed(error))));
                } catch (error) {
                  if (stop.aborted) return;
                  meter.failed(error);
                  await sleep(100);
                }
              }
            }),
          );
          const filler = Buffer.alloc(request.messageSize, 'x');
          const rate = request.rate === 'max' ? 'max' : request.rate / request.producers;
          meter.markStarted();
          await Promise.all(
            producers.map((producer) =>
              pace({
                rate,
                batchSize: 1,
                concurrency: SENDS_IN_FLIGHT,
                signal: stop,
                onError: (error) => meter.failed(error),
                send: async () => {
                  await producer.send({ topic: request.topic, body: stampedPayload(request.messageSize, filler) });
                  meter.sent(1, request.messageSize);
                },
              }),
            ),
          );
          await Promise.all(receiving);
        } finally {
          await Promise.allSettled([...producers, ...consumers].map((client) => client.shutdown()));
        }
      },
      close: () => eddy.close(),
    };
  },
};
