// A broker over a memory (or CommitLog) store with the Kafka gateway on an ephemeral loopback port. The
// CommitLog store keeps Kafka batches as they came (encoded batches); the memory store keeps messages.

import { type Broker, createBroker } from '@eddy/broker';

type MessageStore = Broker['store'];

import { openCommitLogStore } from '@eddy/store-commitlog';
import { openMemoryStore } from '@eddy/store-memory';
import { makeTempDir } from '@eddy/testkit';
import { CompressionTypes, type Kafka } from 'kafkajs';
import {
  type KafkaGateway,
  type KafkaGatewayConfig,
  kafkaRecordBatchDecoder,
  startKafkaGateway,
} from '../src/index.js';

export interface KafkaFixture {
  readonly broker: Broker;
  readonly store: MessageStore;
  readonly gateway: KafkaGateway;
  /** `127.0.0.1:<port>`. */
  readonly bootstrap: string;
  close(): Promise<void>;
}

export async function kafkaFixture(
  options: { engine?: 'memory' | 'commitlog'; config?: Partial<KafkaGatewayConfig> } = {},
): Promise<KafkaFixture> {
  const temp = options.engine === 'commitlog' ? await makeTempDir('gateway-kafka') : undefined;
  const store =
    temp === undefined
      ? await openMemoryStore()
      : await openCommitLogStore({ dir: temp.path, flush: 'async', batchDecoders: [kafkaRecordBatchDecoder] });
  const broker = createBroker({ store });
  await broker.start();
  const gateway = await startKafkaGateway({
    broker,
    port: 0,
    config: { groupInitialRebalanceDelayMs: 0, defaultPartitions: 1, ...options.config },
  });
  return {
    broker,
    store,
    gateway,
    bootstrap: `127.0.0.1:${gateway.port}`,
    close: async () => {
      await gateway.close(1000);
      await broker.close();
      await store.close();
      await temp?.remove();
    },
  };
}

export const text = (bytes: Uint8Array | Buffer | null | undefined): string | null =>
  bytes === null || bytes === undefined ? null : Buffer.from(bytes).toString('utf8');

/** The value of record `index` of {@link produceGzipBatches}. */
export const gzipValue = (index: number): string => `value-${index}-${'x'.repeat(index * 7)}`;

/** Three gzip batches of 4 records each (keys `k0…k11`, values {@link gzipValue}) produced to `topic` by kafkajs, acks -1. */
export async function produceGzipBatches(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let send = 0; send < 3; send++) {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 4 }, (_, i) => ({ key: `k${send * 4 + i}`, value: gzipValue(send * 4 + i) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
