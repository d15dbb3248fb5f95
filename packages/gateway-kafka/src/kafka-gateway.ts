import { createServer, type Socket } from 'node:net';
import type { Broker } from '@eddy/broker';
import { EddyError, type Logger } from '@eddy/message';
import { AppendSignals } from './append-signals.js';
import { DEFAULT_PRODUCED_BATCH_CACHE_BYTES } from './batch-cache.js';
import { ConnectionHandler } from './connection-handler.js';
import { createGatewayState } from './default-state.js';
import type { KafkaGatewayConfig, KafkaGatewayState } from './gateway-state.js';
import type { KafkaApiHandler } from './handler.js';
import { KAFKA_HANDLERS } from './handlers/index.js';
import { ReadBufferPool } from './read-buffer-pool.js';

/** Options of {@link startKafkaGateway}. */
export interface KafkaGatewayOptions {
  readonly broker: Broker;
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Host named in Metadata and FindCoordinator. Default `host`, or 127.0.0.1 for a wildcard host. */
  readonly advertisedHost?: string;
  /** Default: the broker's logger. */
  readonly logger?: Logger;
  readonly config?: Partial<KafkaGatewayConfig>;
  /** Largest request frame accepted, bytes; a larger (or negative) size prefix closes that connection. Default 100 MiB (Kafka's `socket.request.max.bytes`). */
  readonly maxRequestBytes?: number;
  /** Called once per answered request, e.g. to feed a latency histogram; `code` is a Kafka error name or `NONE`. */
  readonly observe?: (api: string, ms: number, code: string) => void;
  /** The APIs served. Default {@link KAFKA_HANDLERS}. */
  readonly handlers?: readonly KafkaApiHandler[];
}

/** A running Kafka listener. */
export interface KafkaGateway {
  /** The port it listens on (the one picked when asked for 0). */
  readonly port: number;
  readonly state: KafkaGatewayState;
  /**
   * Stops accepting connections, answers held fetches, lets requests in flight finish for up to
   * `graceMs` (default 5000), then closes every connection and the coordinators. The broker is not closed.
   */
  close(graceMs?: number): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/**
 * Serves the Kafka wire protocol over a broker on a TCP port, so that Kafka clients (kafkajs,
 * librdkafka, @platformatic/kafka, the Java client) produce and consume unchanged. This broker is the
 * whole cluster: node `nodeId` at `advertisedHost:port`, leader of every partition.
 *
 * @throws `IO_ERROR` when it cannot listen.
 */
export async function startKafkaGateway(options: KafkaGatewayOptions): Promise<KafkaGateway> {
  const { broker } = options;
  const logger = options.logger ?? broker.logger;
  const host = options.host ?? '127.0.0.1';
  const config: KafkaGatewayConfig = {
    nodeId: 0,
    host,
    port: options.port,
    advertisedHost: options.advertisedHost ?? (WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host),
    clusterId: broker.config.clusterName,
    autoCreateTopics: broker.config.autoCreateTopics,
    defaultPartitions: 1,
    maxMessageBytes: 1024 * 1024,
    groupInitialRebalanceDelayMs: 3000,
    groupMinSessionTimeoutMs: 6000,
    groupMaxSessionTimeoutMs: 1_800_000,
    transactionMaxTimeoutMs: 900_000,
    producedBatchCacheBytes: DEFAULT_PRODUCED_BATCH_CACHE_BYTES,
    ...options.config,
  };
  const appends = new AppendSignals();
  const { state, close: closeState } = await createGatewayState(broker, config, logger, appends);
  const handlers = new Map<number, KafkaApiHandler>();
  for (const handler of options.handlers ?? KAFKA_HANDLERS) handlers.set(handler.codec.apiKey, handler);
  const shared = {
    broker,
    state,
    logger,
    handlers,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    observe: options.observe,
    readBuffers: new ReadBufferPool(),
  };

  const connections = new Set<ConnectionHandler>();
  let nextId = 1;
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    const connection = new ConnectionHandler(nextId++, socket, shared);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  try {
    config.port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : options.port);
      });
    });
  } catch (error) {
    await closeState();
    throw new EddyError('IO_ERROR', `Kafka gateway could not listen on ${host}:${options.port}: ${String(error)}`, {
      cause: error,
    });
  }
  server.on('error', (error) => logger.error('kafka listener error', { error }));
  logger.info('kafka gateway listening', { host, port: config.port, advertisedHost: config.advertisedHost });

  let closing: Promise<void> | undefined;
  return {
    port: config.port,
    state,
    close(graceMs = 5000) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        appends.close();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...connections].map((connection) => connection.whenIdle())),
          new Promise((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
        for (const connection of connections) connection.destroy();
        await stopped;
        await closeState();
      })();
      return closing;
    },
  };
}
