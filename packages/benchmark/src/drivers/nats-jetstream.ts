import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPorts } from '@eddy/cluster';
import { AckPolicy, connect, DeliverPolicy, type NatsConnection, StorageType } from 'nats';
import { pace } from '../pacer.js';
import { nowMicros, stampedPayload } from '../phase-meter.js';
import { ServerProcess } from '../server-process.js';
import { partitionsOf, type SystemDriver } from './system-driver.js';

const PUBLISHES_PER_BATCH = 256;
const IN_FLIGHT = 4;
/** AckPolicy.All: one ack covers every message before it, so the consumer acks every this many. */
const ACK_EVERY = 256;

/** NATS JetStream (Debian's nats-server, file storage) with the `nats` client: async publishes, pull consumers. */
export const natsDriver: SystemDriver = {
  system: 'nats',
  label: 'NATS JetStream · nats.js',
  broker: 'nats-server -js, file storage (fsync every 2 min, its default)',
  client: `nats 2.29.3 (Node): js.publish() ${IN_FLIGHT}×${PUBLISHES_PER_BATCH} in flight; durable pull consumer, consume(), AckPolicy.All every ${ACK_EVERY}`,
  eddy: false,
  clientRuntime: 'node',
  requirements: [{ executable: 'nats-server', aptPackage: 'nats-server', neededBy: 'NATS JetStream (nats)' }],
  async start(context) {
    const [port] = (await freeLoopbackPorts(1)) as [number];
    const storeDir = join(context.workDir, 'jetstream');
    mkdirSync(storeDir, { recursive: true });
    let probe: NatsConnection | undefined;
    const server = await ServerProcess.start({
      name: 'nats-server',
      command: 'nats-server',
      args: ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)],
      startTimeoutMs: 30_000,
      ready: async () => {
        probe = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
        await probe.jetstreamManager();
        return true;
      },
    });
    await probe?.close();
    const connection = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
    return {
      brokerPids: () => [server.pid],
      async run(request, meter, stop) {
        const manager = await connection.jetstreamManager();
        const stream = (partition: number): string => `${request.topic}-${partition}`;
        const subject = (partition: number): string => `${request.topic}.${partition}`;
        for (let partition = 0; partition < request.partitions; partition++) {
          await manager.streams.add({
            name: stream(partition),
            subjects: [subject(partition)],
            storage: StorageType.File,
          });
          await manager.consumers.add(stream(partition), {
            durable_name: 'bench',
            ack_policy: AckPolicy.All,
            deliver_policy: DeliverPolicy.All,
            max_ack_pending: 100_000,
          });
        }
        const jetstream = connection.jetstream();
        const iterators: { stop(): void }[] = [];
        try {
          const consuming: Promise<void>[] = [];
          for (let index = 0; index < request.consumers; index++) {
            for (const partition of partitionsOf(index, request.consumers, request.partitions)) {
              const consumer = await jetstream.consumers.get(stream(partition), 'bench');
              const messages = await consumer.consume({ max_messages: 1000 });
              iterators.push(messages);
              consuming.push(
                (async () => {
                  let count = 0;
                  for await (const message of messages) {
                    meter.receivedPayload(message.data, nowMicros());
                    if (++count % ACK_EVERY === 0 || message.info.pending === 0) message.ack();
                  }
                })(),
              );
            }
          }
          const filler = Buffer.alloc(request.messageSize, 'x');
          const rate = request.rate === 'max' ? 'max' : request.rate / request.producers;
          meter.markStarted();
          await Promise.all(
            Array.from({ length: request.producers }, (_, producer) => {
              let next = producer;
              return pace({
                rate,
                batchSize: PUBLISHES_PER_BATCH,
                concurrency: IN_FLIGHT,
                signal: stop,
                onError: (error) => meter.failed(error),
                send: async (count) => {
                  const target = subject(next++ % request.partitions);
                  const acks = Array.from({ length: count }, () =>
                    jetstream.publish(target, stampedPayload(request.messageSize, filler)),
                  );
                  await Promise.all(acks);
                  meter.sent(count, count * request.messageSize);
                },
              });
            }),
          );
          for (const iterator of iterators) iterator.stop();
          await Promise.all(consuming);
        } finally {
          for (const iterator of iterators) iterator.stop();
          // The streams hold the phase's messages on disk; the next phase starts with an empty store.
          for (let partition = 0; partition < request.partitions; partition++) {
            await manager.streams.delete(stream(partition)).catch(() => false);
          }
        }
      },
      async close() {
        await connection.close().catch(() => {});
        await server.stop();
      },
    };
  },
};
