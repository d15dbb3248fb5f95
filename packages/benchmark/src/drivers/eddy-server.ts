import { Cluster } from '@eddy/cluster';
import { Kafka, logLevel } from 'kafkajs';
import { BenchmarkError } from '../benchmark-error.js';

/** A single Eddy broker, child process on free loopback ports, CommitLog store, async flush. */
export interface EddyServer {
  readonly kafkaBootstrap: string;
  readonly grpcEndpoint: string;
  pid(): number | undefined;
  close(): Promise<void>;
}

/** What the Eddy drivers say about the broker. */
export const EDDY_BROKER = 'Eddy, commitlog store, async flush (ack after write(2), fsync every 500 ms)';

/**
 * Starts `node <serverMain> start` with its embedded name server, `--default-queue-count partitions` so
 * an auto-created topic has the workload's partitions, and waits for `/healthz`.
 */
export async function startEddy(serverMain: string, dataDir: string, partitions: number): Promise<EddyServer> {
  let cluster: Cluster;
  try {
    cluster = await Cluster.start({
      brokers: 1,
      nameServers: 0,
      serverMain,
      baseDir: dataDir,
      brokerArgs: [
        '--store',
        'commitlog',
        '--flush',
        'async',
        '--default-queue-count',
        String(partitions),
        '--log-level',
        'warn',
      ],
    });
  } catch (error) {
    throw new BenchmarkError('SERVER_START_FAILED', `eddy (${serverMain}) did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const [broker] = cluster.brokers();
  if (broker === undefined) throw new BenchmarkError('SERVER_START_FAILED', 'eddy: the cluster has no broker');
  return {
    kafkaBootstrap: `127.0.0.1:${broker.ports.kafka}`,
    grpcEndpoint: `127.0.0.1:${broker.ports.grpc}`,
    pid: () => broker.pid,
    close: () => cluster.close(),
  };
}

/** Creates `topic` with `partitions` over the Kafka protocol (kafkajs admin), so consumers can assign before any produce. */
export async function createKafkaTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'eddy-bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
