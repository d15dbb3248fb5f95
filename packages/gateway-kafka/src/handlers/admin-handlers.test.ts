import { type Broker, createBroker } from '@eddy/broker';
import { createMessage } from '@eddy/message';
import { ConfigResourceType, ConfigSource, type CreatableTopic, KafkaErrorCode } from '@eddy/protocol-kafka';
import { openMemoryStore } from '@eddy/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchTopicDeletions } from '../default-state.js';
import type { KafkaGatewayConfig, KafkaGatewayState } from '../gateway-state.js';
import { GroupOffsets } from '../group-offsets.js';
import type { KafkaHandlerContext } from '../handler.js';
import { alterConfigsHandler } from './alter-configs.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { RETENTION_FOREVER_MS, readTopicOverrides, topicMaxMessageBytes } from './topic-configs.js';

const config: KafkaGatewayConfig = {
  nodeId: 0,
  host: '127.0.0.1',
  port: 9092,
  advertisedHost: '127.0.0.1',
  clusterId: 'eddy-test',
  autoCreateTopics: true,
  defaultPartitions: 3,
  maxMessageBytes: 1_048_576,
  groupInitialRebalanceDelayMs: 0,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  transactionMaxTimeoutMs: 900_000,
  producedBatchCacheBytes: 0,
};

let broker: Broker;
let close: () => Promise<void>;

beforeEach(async () => {
  const store = await openMemoryStore();
  broker = createBroker({ store });
  await broker.start();
  // As the gateway does: a deleted topic loses its Kafka overrides.
  watchTopicDeletions(broker, { offsets: new GroupOffsets(broker) });
  close = async () => {
    await broker.close();
    await store.close();
  };
});

afterEach(async () => {
  await close();
});

function context(apiVersion: number): KafkaHandlerContext {
  // Only `config` is read by these handlers; the coordinators are not involved.
  const state = { config } as unknown as KafkaGatewayState;
  return { broker, state, connection: { id: 1, remoteAddress: 'test', clientId: null }, apiVersion, clientId: null };
}

const topicSpec = (name: string, overrides: Partial<CreatableTopic> = {}): CreatableTopic => ({
  name,
  numPartitions: 2,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...overrides,
});

async function create(topics: CreatableTopic[], options: { validateOnly?: boolean; version?: number } = {}) {
  const response = await createTopicsHandler.handle(
    { topics, timeoutMs: 1000, validateOnly: options.validateOnly ?? false },
    context(options.version ?? 4),
  );
  return response?.topics.map(({ name, errorCode }) => [name, errorCode]);
}

async function produce(topic: string, queueId: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await broker.send(createMessage({ topic, body: `m${i}` }), { queueId });
}

describe('CreateTopics', () => {
  it('creates topics with partitions and honoured configs', async () => {
    const configs = [
      { name: 'retention.ms', value: '3600000' },
      { name: 'max.message.bytes', value: '4096' },
    ];
    expect(await create([topicSpec('orders', { numPartitions: 5, configs })])).toEqual([['orders', 0]]);
    expect(await broker.topics.get('orders')).toMatchObject({
      readQueueNums: 5,
      writeQueueNums: 5,
      retentionMs: 3_600_000,
    });
    expect(await topicMaxMessageBytes(broker, config, 'orders')).toBe(4096);
    expect(await topicMaxMessageBytes(broker, config, 'other')).toBe(1_048_576);
  });

  it('answers the Kafka error codes', async () => {
    await create([topicSpec('exists')]);
    expect(
      await create([
        topicSpec('exists'),
        topicSpec('bad name!'),
        topicSpec('%RETRY%x'),
        topicSpec('zero', { numPartitions: 0 }),
        topicSpec('rf3', { replicationFactor: 3 }),
        topicSpec('rf0', { replicationFactor: 0 }),
        topicSpec('cfg', { configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
        topicSpec('unknown-cfg', { configs: [{ name: 'foo', value: 'bar' }] }),
        topicSpec('twice'),
        topicSpec('twice'),
      ]),
    ).toEqual([
      ['exists', KafkaErrorCode.TOPIC_ALREADY_EXISTS],
      ['bad name!', KafkaErrorCode.INVALID_TOPIC_EXCEPTION],
      ['%RETRY%x', KafkaErrorCode.INVALID_TOPIC_EXCEPTION],
      ['zero', KafkaErrorCode.INVALID_PARTITIONS],
      ['rf3', KafkaErrorCode.INVALID_REPLICATION_FACTOR],
      ['rf0', KafkaErrorCode.INVALID_REPLICATION_FACTOR],
      ['cfg', KafkaErrorCode.INVALID_CONFIG],
      ['unknown-cfg', KafkaErrorCode.INVALID_CONFIG],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
    ]);
    expect((await broker.topics.list()).map((t) => t.name)).toEqual(['exists']);
  });

  it('takes -1 as the defaults (kafkajs sends it with v3), and a manual assignment on node 0', async () => {
    expect(await create([topicSpec('d', { numPartitions: -1, replicationFactor: -1 })])).toEqual([['d', 0]]);
    expect((await broker.topics.get('d'))?.readQueueNums).toBe(3);
    expect(await create([topicSpec('d3', { numPartitions: -1, replicationFactor: -1 })], { version: 3 })).toEqual([
      ['d3', 0],
    ]);
    expect(await create([topicSpec('d4', { numPartitions: -2 })])).toEqual([['d4', KafkaErrorCode.INVALID_PARTITIONS]]);
    const assignments = [
      { partitionIndex: 1, brokerIds: [0] },
      { partitionIndex: 0, brokerIds: [0] },
    ];
    expect(await create([topicSpec('m', { numPartitions: -1, replicationFactor: -1, assignments })])).toEqual([
      ['m', 0],
    ]);
    expect((await broker.topics.get('m'))?.readQueueNums).toBe(2);
    const elsewhere = [{ partitionIndex: 0, brokerIds: [7] }];
    expect(
      await create([topicSpec('m2', { numPartitions: -1, replicationFactor: -1, assignments: elsewhere })]),
    ).toEqual([['m2', KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT]]);
  });

  it('validate_only checks without creating', async () => {
    expect(await create([topicSpec('v')], { validateOnly: true })).toEqual([['v', 0]]);
    expect(await broker.topics.get('v')).toBeUndefined();
  });
});

describe('DeleteTopics', () => {
  it('deletes known topics and their overrides, UNKNOWN_TOPIC_OR_PARTITION otherwise', async () => {
    await create([topicSpec('gone', { configs: [{ name: 'max.message.bytes', value: '10' }] })]);
    const response = await deleteTopicsHandler.handle({ topicNames: ['gone', 'never'], timeoutMs: 1000 }, context(3));
    expect(response?.responses).toEqual([
      { name: 'gone', errorCode: 0 },
      { name: 'never', errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    expect(await broker.topics.get('gone')).toBeUndefined();
    expect((await readTopicOverrides(broker.store.metadata, 'gone')).size).toBe(0);
  });
});

describe('CreatePartitions', () => {
  it('grows only, one result per topic', async () => {
    await create([topicSpec('g')]);
    const response = await createPartitionsHandler.handle(
      {
        topics: [
          { name: 'g', count: 4, assignments: null },
          { name: 'nope', count: 4, assignments: null },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      },
      context(1),
    );
    expect(response?.results.map((r) => [r.name, r.errorCode])).toEqual([
      ['g', 0],
      ['nope', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(await broker.topics.get('g')).toMatchObject({ readQueueNums: 4, writeQueueNums: 4 });
    const shrink = await createPartitionsHandler.handle(
      {
        topics: [
          { name: 'g', count: 4, assignments: null },
          { name: 'g2', count: 1, assignments: null },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      },
      context(1),
    );
    expect(shrink?.results[0]).toMatchObject({ name: 'g', errorCode: KafkaErrorCode.INVALID_PARTITIONS });
    expect(shrink?.results[0]?.errorMessage).toMatch(/has 4 partitions/);
    const dryRun = await createPartitionsHandler.handle(
      { topics: [{ name: 'g', count: 9, assignments: [{ brokerIds: [0] }] }], timeoutMs: 1000, validateOnly: true },
      context(1),
    );
    expect(dryRun?.results[0]?.errorCode).toBe(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});

describe('DescribeConfigs and AlterConfigs', () => {
  const describeTopic = async (name: string, keys: string[] | null = null) => {
    const response = await describeConfigsHandler.handle(
      {
        resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: name, configurationKeys: keys }],
        includeSynonyms: false,
      },
      context(2),
    );
    return response?.results[0];
  };

  it('describes topic configs from the topic, and unknown topics as errors', async () => {
    await create([topicSpec('c', { configs: [{ name: 'retention.ms', value: '-1' }] })]);
    expect((await broker.topics.get('c'))?.retentionMs).toBe(RETENTION_FOREVER_MS);
    const result = await describeTopic('c', ['retention.ms', 'cleanup.policy']);
    expect(result?.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ['cleanup.policy', 'delete', ConfigSource.DEFAULT_CONFIG],
      ['retention.ms', '-1', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ]);
    expect((await describeTopic('missing'))?.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('replaces the whole set: unlisted configs revert to defaults', async () => {
    await create([
      topicSpec('a', {
        configs: [
          { name: 'retention.ms', value: '1000' },
          { name: 'max.message.bytes', value: '500' },
        ],
      }),
    ]);
    const alter = (configs: { name: string; value: string | null }[], validateOnly = false) =>
      alterConfigsHandler.handle(
        { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: 'a', configs }], validateOnly },
        context(1),
      );
    expect((await alter([{ name: 'retention.ms', value: '2000' }]))?.responses[0]?.errorCode).toBe(0);
    expect((await broker.topics.get('a'))?.retentionMs).toBe(2000);
    expect(await topicMaxMessageBytes(broker, config, 'a')).toBe(1_048_576);
    expect((await alter([{ name: 'max.message.bytes', value: '700' }], true))?.responses[0]?.errorCode).toBe(0);
    expect(await topicMaxMessageBytes(broker, config, 'a')).toBe(1_048_576);
    expect((await alter([{ name: 'retention.ms', value: 'x' }]))?.responses[0]?.errorCode).toBe(
      KafkaErrorCode.INVALID_CONFIG,
    );
    expect((await alter([]))?.responses[0]?.errorCode).toBe(0);
    expect((await broker.topics.get('a'))?.retentionMs).toBeUndefined();
    const described = await describeTopic('a', ['retention.ms']);
    expect(described?.configs[0]).toMatchObject({ value: '604800000', isDefault: true });
  });

  it('shows broker configs read-only and refuses to change them', async () => {
    const described = await describeConfigsHandler.handle(
      {
        resources: [{ resourceType: ConfigResourceType.BROKER, resourceName: '0', configurationKeys: null }],
        includeSynonyms: true,
      },
      context(2),
    );
    expect(described?.results[0]?.configs.every((c) => c.readOnly)).toBe(true);
    expect(described?.results[0]?.configs.find((c) => c.name === 'num.partitions')?.value).toBe('3');
    const altered = await alterConfigsHandler.handle(
      {
        resources: [
          {
            resourceType: ConfigResourceType.BROKER,
            resourceName: '0',
            configs: [{ name: 'num.partitions', value: '9' }],
          },
        ],
        validateOnly: false,
      },
      context(1),
    );
    expect(altered?.responses[0]?.errorCode).toBe(KafkaErrorCode.INVALID_CONFIG);
  });
});

describe('DeleteRecords', () => {
  it('moves the low watermark, -1 meaning the high watermark', async () => {
    await create([topicSpec('r', { numPartitions: 3 })]);
    await produce('r', 0, 5);
    await produce('r', 1, 3);
    const response = await deleteRecordsHandler.handle(
      {
        topics: [
          {
            name: 'r',
            partitions: [
              { partitionIndex: 0, offset: 2n },
              { partitionIndex: 1, offset: -1n },
              { partitionIndex: 2, offset: 1n },
              { partitionIndex: 3, offset: 0n },
            ],
          },
          { name: 'nope', partitions: [{ partitionIndex: 0, offset: 0n }] },
        ],
        timeoutMs: 1000,
      },
      context(1),
    );
    expect(response?.topics).toEqual([
      {
        name: 'r',
        partitions: [
          { partitionIndex: 0, lowWatermark: 2n, errorCode: 0 },
          { partitionIndex: 1, lowWatermark: 3n, errorCode: 0 },
          { partitionIndex: 2, lowWatermark: -1n, errorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE },
          { partitionIndex: 3, lowWatermark: -1n, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
      {
        name: 'nope',
        partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
      },
    ]);
    expect(await broker.store.queueRange('r', 0)).toMatchObject({ minOffset: 2, maxOffset: 5 });
  });
});

describe('DescribeCluster and OffsetForLeaderEpoch', () => {
  it('describes this one node as the whole cluster', async () => {
    const response = await describeClusterHandler.handle({ includeClusterAuthorizedOperations: false }, context(0));
    expect(response).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      clusterId: 'eddy-test',
      controllerId: 0,
      brokers: [{ brokerId: 0, host: '127.0.0.1', port: 9092, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    });
  });

  it('ends epoch 0 at the high watermark', async () => {
    await create([topicSpec('e')]);
    await produce('e', 1, 4);
    const response = await offsetForLeaderEpochHandler.handle(
      {
        replicaId: -1,
        topics: [
          {
            topic: 'e',
            partitions: [
              { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
              { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 5 },
              { partition: 1, currentLeaderEpoch: 3, leaderEpoch: 0 },
              { partition: 2, currentLeaderEpoch: 0, leaderEpoch: 0 },
            ],
          },
        ],
      },
      context(3),
    );
    expect(response?.topics[0]?.partitions).toEqual([
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 0n },
      { errorCode: 0, partition: 1, leaderEpoch: 0, endOffset: 4n },
      { errorCode: KafkaErrorCode.UNKNOWN_LEADER_EPOCH, partition: 1, leaderEpoch: -1, endOffset: -1n },
      { errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 2, leaderEpoch: -1, endOffset: -1n },
    ]);
  });
});
