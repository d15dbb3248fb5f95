import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MetricsRegistry, startAdminHttp } from '@eddy/admin-http';
import { BrokerConfigSchema, createBroker } from '@eddy/broker';
import { kafkaRecordBatchDecoder, startKafkaGateway } from '@eddy/gateway-kafka';
import { startRocketMqGateway } from '@eddy/gateway-rocketmq';
import type { TopicConfig } from '@eddy/message';
import { BrokerRegistrar, startNameServer, TopicRouteClient } from '@eddy/name-server';
import type { MessageStore } from '@eddy/store';
import { z } from 'zod';
import type { ServerConfig } from './config.js';
import type { ServerLogger } from './logger.js';

/** Time the gateway gets to finish RPCs in flight on shutdown, within the 10 s the process has. */
const GATEWAY_GRACE_MS = 5_000;
// The disk engines' own flush timers become a fallback: the app drives the periodic flush, so that
// its latency can be measured (eddy_flush_duration_seconds). Same call, same durability.
const ENGINE_FALLBACK_FLUSH_MS = 3_600_000;

/** A started `eddy start`. */
export interface RunningServer {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly kafkaPort: number;
  /** Stops accepting, finishes work in flight, closes the broker, then flushes and closes the store. */
  close(): Promise<void>;
}

/** Opens the configured engine; each is imported only when chosen (the lmdb addon loads only for lmdb). */
async function openStore(config: ServerConfig, logger: ServerLogger): Promise<MessageStore> {
  const dataDir = resolve(config.dataDir);
  const common = { flush: config.flush, flushIntervalMs: ENGINE_FALLBACK_FLUSH_MS, maxBodySize: config.maxMessageSize };
  switch (config.store) {
    case 'commitlog': {
      const { openCommitLogStore } = await import('@eddy/store-commitlog');
      return openCommitLogStore({
        dir: join(dataDir, 'commitlog'),
        ...common,
        logger,
        batchDecoders: [kafkaRecordBatchDecoder],
      });
    }
    case 'lmdb': {
      const { openLmdbStore } = await import('@eddy/store-lmdb');
      return openLmdbStore({ dir: join(dataDir, 'lmdb'), ...common });
    }
    case 'memory': {
      const { openMemoryStore } = await import('@eddy/store-memory');
      return openMemoryStore({ maxBodySize: config.maxMessageSize });
    }
  }
}

/** Bytes of every file under `dir`; a file removed while walking counts as 0. */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile())
      total += await stat(join(entry.parentPath, entry.name)).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/**
 * Composes and starts `eddy start`: store → broker → RocketMQ gateway → admin HTTP → name server
 * registration (with an embedded name server when none is configured). A failure part-way closes
 * what was started, in reverse order, and rethrows.
 */
export async function startServer(config: ServerConfig, logger: ServerLogger): Promise<RunningServer> {
  // Closed in reverse order of starting: registration, listeners, then the broker, then the store.
  const closers: { part: string; close: () => Promise<unknown> }[] = [];
  const closeAll = async (): Promise<void> => {
    for (const { part, close } of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.error(`closing the ${part} failed`, { error }));
    }
  };
  try {
    const store = await openStore(config, logger.child('store'));
    closers.push({ part: 'store', close: () => store.close() });

    const { namesrv } = config;
    // The broker's strict schema without `.strict()`: the app's own settings are dropped.
    const brokerConfig = z.object(BrokerConfigSchema.shape).parse({ ...config, nameServers: namesrv });
    const broker = createBroker({ ...brokerConfig, store, logger: logger.child('broker') });
    await broker.start();
    closers.push({ part: 'broker', close: () => broker.close() });

    const metrics = new MetricsRegistry();
    let flushing: Promise<void> | undefined;
    const flushTimer = setInterval(() => {
      if (flushing !== undefined) return;
      const started = performance.now();
      flushing = store
        .flush()
        .then(() => metrics.observeFlush(performance.now() - started))
        .catch((error: unknown) => logger.error('store flush failed', { error }))
        .finally(() => {
          flushing = undefined;
        });
    }, config.flushIntervalMs);
    flushTimer.unref();
    closers.push({
      part: 'flusher',
      close: async () => {
        clearInterval(flushTimer);
        await flushing;
      },
    });

    const advertisedHost =
      config.advertisedHost ?? (['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host);
    const routes = namesrv.length > 0 ? new TopicRouteClient({ nameServers: namesrv }) : undefined;
    const gateway = await startRocketMqGateway({
      broker,
      host: config.host,
      port: config.grpcPort,
      advertisedHost,
      clusterRoute: routes && ((topic) => routes.routeOf(topic)),
      logger: logger.child('gateway-rocketmq'),
      observe: (rpc, durationMs, code) => metrics.observeRpc(rpc, durationMs, code),
    });
    closers.push({ part: 'RocketMQ gateway', close: () => gateway.close(GATEWAY_GRACE_MS) });
    // Kafka clients' test suites (librdkafka's, as Redpanda and Tansu run it) expect 4 partitions per auto-created topic.
    const kafka = await startKafkaGateway({
      broker,
      host: config.host,
      port: config.kafkaPort,
      advertisedHost,
      logger: logger.child('gateway-kafka'),
      config: { defaultPartitions: 4 },
      observe: (api, durationMs, code) => metrics.observeRpc(`kafka.${api}`, durationMs, code),
    });
    closers.push({ part: 'Kafka gateway', close: () => kafka.close(GATEWAY_GRACE_MS) });

    let ready = false;
    const dataDir = resolve(config.dataDir);
    const http = await startAdminHttp({
      broker,
      host: config.host,
      port: config.httpPort,
      logger: logger.child('admin-http'),
      metrics,
      isReady: () => ready,
      storeSizeBytes: config.store === 'memory' ? undefined : () => directorySize(dataDir),
    });
    closers.push({ part: 'admin HTTP', close: () => http.close() });
    const httpEndpoint = `${advertisedHost}:${http.port}`;

    let nameServers = namesrv;
    if (nameServers.length === 0) {
      const nameServer = await startNameServer({
        host: '127.0.0.1',
        port: config.namesrvPort,
        logger: logger.child('name-server'),
      });
      closers.push({ part: 'name server', close: () => nameServer.close() });
      nameServers = [`127.0.0.1:${nameServer.port}`];
      logger.info('embedded name server listening', { url: nameServer.url });
    }

    // The registration is read synchronously before every request; the topic table is refreshed
    // after each read, so a new topic reaches the name servers within two registration intervals.
    let topics: readonly TopicConfig[] = await broker.topics.list();
    const dataVersion = { timestamp: Date.now(), counter: 0 };
    const refreshTopics = (): void => {
      broker.topics.list().then(
        (list) => {
          if (JSON.stringify(list) === JSON.stringify(topics)) return;
          topics = list;
          dataVersion.counter++;
        },
        (error: unknown) => logger.warn('listing topics for registration failed', { error }),
      );
    };
    const registrar = new BrokerRegistrar({
      nameServers,
      intervalMs: config.registerIntervalMs,
      logger: logger.child('registrar'),
      registration: () => {
        refreshTopics();
        return {
          cluster: config.clusterName,
          brokerName: config.brokerName,
          brokerId: 0,
          address: gateway.endpoint,
          endpoints: { grpc: gateway.endpoint, kafka: `${advertisedHost}:${kafka.port}`, http: httpEndpoint },
          dataVersion: { ...dataVersion },
          // Exactly the registered fields: the name server's schema is strict.
          topics: topics.map(({ name, readQueueNums, writeQueueNums, perm, messageType, retentionMs }) => {
            return { name, readQueueNums, writeQueueNums, perm, messageType, retentionMs };
          }),
        };
      },
    });
    const statuses = await registrar.start();
    closers.push({ part: 'registrar', close: () => registrar.stop() });
    // Closed first: /healthz answers 503 while the rest stops.
    closers.push({
      part: 'readiness',
      close: async () => {
        ready = false;
      },
    });
    ready = true;
    logger.info('ready', {
      grpc: gateway.endpoint,
      kafka: `${advertisedHost}:${kafka.port}`,
      http: `${config.host}:${http.port}`,
      store: config.store,
      flush: config.flush,
      dataDir,
      nameServers: statuses.map(({ nameServer, state }) => ({ nameServer, state })),
    });
    return { grpcPort: gateway.port, httpPort: http.port, kafkaPort: kafka.port, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
