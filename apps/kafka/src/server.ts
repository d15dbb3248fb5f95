import { join, resolve } from 'node:path';
import { createBroker } from '@eddy/broker';
import { kafkaRecordBatchDecoder, startKafkaGateway } from '@eddy/gateway-kafka';
import type { Logger } from '@eddy/message';
import type { MessageStore } from '@eddy/store';
import type { KafkaServerConfig } from './config.js';

/** A started `eddy-kafka`. */
export interface RunningKafkaServer {
  readonly port: number;
  /** Stops accepting, finishes requests in flight, closes the broker, then the store. */
  close(): Promise<void>;
}

async function openStore(config: KafkaServerConfig, logger: Logger): Promise<MessageStore> {
  const dir = resolve(config.dataDir);
  const common = { flush: config.flush, maxBodySize: config.messageMaxBytes };
  switch (config.store) {
    case 'commitlog': {
      const { openCommitLogStore } = await import('@eddy/store-commitlog');
      return openCommitLogStore({
        dir: join(dir, 'commitlog'),
        ...common,
        logger,
        batchDecoders: [kafkaRecordBatchDecoder],
      });
    }
    case 'lmdb': {
      const { openLmdbStore } = await import('@eddy/store-lmdb');
      return openLmdbStore({ dir: join(dir, 'lmdb'), ...common });
    }
    case 'memory': {
      const { openMemoryStore } = await import('@eddy/store-memory');
      return openMemoryStore({ maxBodySize: config.messageMaxBytes });
    }
  }
}

/** Store → broker → Kafka listener; a failure part-way closes what was opened and rethrows. */
export async function startKafkaServer(config: KafkaServerConfig, logger: Logger): Promise<RunningKafkaServer> {
  const store = await openStore(config, logger);
  const broker = createBroker({
    store,
    logger,
    autoCreateTopics: config.autoCreateTopics,
    defaultQueueCount: config.numPartitions,
    maxMessageSize: config.messageMaxBytes,
  });
  try {
    await broker.start();
    const { host, port, advertisedHost } = config;
    const gateway = await startKafkaGateway({
      ...{ broker, host, port, advertisedHost, logger },
      config: {
        clusterId: config.clusterId,
        autoCreateTopics: config.autoCreateTopics,
        defaultPartitions: config.numPartitions,
        maxMessageBytes: config.messageMaxBytes,
      },
    });
    const close = async (): Promise<void> => {
      await gateway.close(5000);
      await broker.close();
      await store.close();
    };
    return { port: gateway.port, close };
  } catch (error) {
    await broker.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}
