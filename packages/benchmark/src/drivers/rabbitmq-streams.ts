import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPorts } from '@eddy/cluster';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { pace } from '../pacer.js';
import { findExecutable } from '../peer-requirements.js';
import { nowMicros, stampedPayload } from '../phase-meter.js';
import { processTree } from '../process-cpu.js';
import { ServerProcess } from '../server-process.js';
import { partitionsOf, type SystemDriver, sleep } from './system-driver.js';

const PUBLISHES_PER_BATCH = 500;
const CONFIRM_CHANNELS = 2;
const PREFETCH = 2000;
const ACK_EVERY = 500;
// Debian's /usr/sbin/rabbitmq-server re-runs itself as the rabbitmq user, which cannot write a temporary
// directory made by root; the script it wraps runs the node as whoever calls it.
const DEBIAN_LAUNCHER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** RabbitMQ (Debian's rabbitmq-server) with amqplib: stream queues, publisher confirms. */
export const rabbitmqDriver: SystemDriver = {
  system: 'rabbitmq',
  label: 'RabbitMQ stream · amqplib',
  broker: 'rabbitmq-server, stream queue (x-queue-type stream; written by osiris, no fsync per message)',
  client: `amqplib 2.3.1 (Node): ${CONFIRM_CHANNELS} confirm channels × ${PUBLISHES_PER_BATCH} then waitForConfirms(); consumer prefetch ${PREFETCH}, ack multiple every ${ACK_EVERY}`,
  eddy: false,
  clientRuntime: 'node',
  requirements: [{ executable: 'rabbitmq-server', aptPackage: 'rabbitmq-server', neededBy: 'RabbitMQ (rabbitmq)' }],
  async start(context) {
    const [amqpPort, distPort, epmdPort] = (await freeLoopbackPorts(3)) as [number, number, number];
    const dir = join(context.workDir, 'rabbitmq');
    mkdirSync(join(dir, 'log'), { recursive: true });
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqpPort}\n`);
    const epmdEnv = { ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
    const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
    const launcher = existsSync(DEBIAN_LAUNCHER) ? DEBIAN_LAUNCHER : (findExecutable('rabbitmq-server') as string);
    const stopEpmd = (): void => {
      // epmd daemonises out of the server's process group: stop the one on this run's own port.
      const epmd = findExecutable('epmd');
      if (epmd) spawnSync(epmd, ['-kill'], { env: { ...process.env, ...epmdEnv }, stdio: 'ignore', timeout: 5_000 });
    };
    let server: ServerProcess;
    try {
      server = await ServerProcess.start({
        name: 'rabbitmq-server',
        command: launcher,
        args: [],
        cwd: dir,
        env: {
          ...epmdEnv,
          HOME: dir,
          RABBITMQ_NODENAME: `bench${process.pid}@localhost`,
          RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
          RABBITMQ_NODE_PORT: String(amqpPort),
          RABBITMQ_DIST_PORT: String(distPort),
          RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
          RABBITMQ_LOG_BASE: join(dir, 'log'),
          RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
          RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
          RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        },
        startTimeoutMs: 120_000,
        ready: async () => {
          const probe = await connect(url);
          await probe.close();
          return true;
        },
      });
    } catch (error) {
      stopEpmd();
      throw error;
    }
    return {
      brokerPids: () => processTree(server.pid),
      async run(request, meter, stop) {
        const queue = (partition: number): string => `${request.topic}-${partition}`;
        const connections: ChannelModel[] = [];
        const open = async (): Promise<ChannelModel> => {
          const connection = await connect(url);
          connection.on('error', (error: unknown) => meter.failed(error));
          connections.push(connection);
          return connection;
        };
        try {
          const admin = await (await open()).createChannel();
          admin.on('error', (error: unknown) => meter.failed(error));
          for (let partition = 0; partition < request.partitions; partition++) {
            await admin.assertQueue(queue(partition), { durable: true, arguments: { 'x-queue-type': 'stream' } });
          }
          for (let index = 0; index < request.consumers; index++) {
            const partitions = partitionsOf(index, request.consumers, request.partitions);
            if (partitions.length === 0) continue;
            const channel = await (await open()).createChannel();
            channel.on('error', (error: unknown) => meter.failed(error));
            await channel.prefetch(PREFETCH);
            for (const partition of partitions) {
              let unacked = 0;
              await channel.consume(
                queue(partition),
                (message) => {
                  if (message === null) return;
                  meter.receivedPayload(message.content, nowMicros());
                  if (++unacked >= ACK_EVERY) {
                    channel.ack(message, true);
                    unacked = 0;
                  }
                },
                { noAck: false, arguments: { 'x-stream-offset': 'first' } },
              );
            }
          }
          const filler = Buffer.alloc(request.messageSize, 'x');
          const rate = request.rate === 'max' ? 'max' : request.rate / request.producers;
          const producers: ConfirmChannel[][] = [];
          for (let index = 0; index < request.producers; index++) {
            const connection = await open();
            const channels: ConfirmChannel[] = [];
            for (let lane = 0; lane < CONFIRM_CHANNELS; lane++) {
              const channel = await connection.createConfirmChannel();
              channel.on('error', (error: unknown) => meter.failed(error));
              channels.push(channel);
            }
            producers.push(channels);
          }
          meter.markStarted();
          await Promise.all(
            producers.map((channels, index) => {
              let next = index;
              return pace({
                rate,
                batchSize: PUBLISHES_PER_BATCH,
                concurrency: CONFIRM_CHANNELS,
                signal: stop,
                onError: (error) => meter.failed(error),
                send: async (count, lane) => {
                  const channel = channels[lane] as ConfirmChannel;
                  const target = queue(next++ % request.partitions);
                  for (let message = 0; message < count; message++) {
                    const room = channel.sendToQueue(target, stampedPayload(request.messageSize, filler));
                    if (!room) await new Promise((resolve) => channel.once('drain', resolve));
                  }
                  await channel.waitForConfirms();
                  meter.sent(count, count * request.messageSize);
                },
              });
            }),
          );
          // Let the consumers' last deliveries land before their connections close.
          await sleep(100);
          for (let partition = 0; partition < request.partitions; partition++) {
            await admin.deleteQueue(queue(partition)).catch(() => {});
          }
        } finally {
          await Promise.allSettled(connections.map((connection) => connection.close()));
        }
      },
      async close() {
        await server.stop();
        stopEpmd();
      },
    };
  },
};
