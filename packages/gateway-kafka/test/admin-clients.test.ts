// Admin APIs end to end with real clients over 127.0.0.1: kafkajs 2.2.4 (CreateTopics v3, DeleteTopics v1,
// CreatePartitions v1, DescribeConfigs v2, AlterConfigs v1, DeleteRecords v1) and confluent-kafka 1.7 /
// librdkafka 2.0.2 through /usr/bin/python3 (CreateTopics v4, CreatePartitions v0, DescribeConfigs v1,
// AlterConfigs v0, DeleteTopics v1). @platformatic/kafka 1.35 is not exercised: its admin implements only
// CreateTopics v7, DeleteTopics v6, AlterConfigs v2 and DeleteRecords v2 (all flexible, above the advertised
// ranges) and needs Metadata 9+, so it cannot talk to this profile at all (see platformatic.test.ts).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Broker, createBroker } from '@eddy/broker';
import { createMessage } from '@eddy/message';

type MessageStore = Broker['store'];

import { openMemoryStore } from '@eddy/store-memory';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaGateway, startKafkaGateway } from '../src/index.js';

let store: MessageStore;
let broker: Broker;
let gateway: KafkaGateway;

beforeAll(async () => {
  store = await openMemoryStore();
  broker = createBroker({ store });
  await broker.start();
  gateway = await startKafkaGateway({
    broker,
    port: 0,
    config: { clusterId: 'eddy-admin-test', defaultPartitions: 1, groupInitialRebalanceDelayMs: 0 },
  });
});

afterAll(async () => {
  await gateway?.close(100);
  await broker?.close();
  await store?.close();
});

describe('kafkajs 2.2.4 admin', () => {
  let admin: Admin;

  beforeAll(async () => {
    const kafka = new Kafka({
      clientId: 'admin-test',
      brokers: [`127.0.0.1:${gateway.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 50 },
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('creates topics, refuses duplicates and bad settings', async () => {
    const created = await admin.createTopics({
      topics: [
        {
          topic: 'js-orders',
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: '3600000' },
            { name: 'max.message.bytes', value: '65536' },
          ],
        },
      ],
    });
    expect(created).toBe(true);
    expect(await broker.topics.get('js-orders')).toMatchObject({ readQueueNums: 3, retentionMs: 3_600_000 });
    const metadata = await admin.fetchTopicMetadata({ topics: ['js-orders'] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    // kafkajs reports TOPIC_ALREADY_EXISTS as "not created".
    expect(await admin.createTopics({ topics: [{ topic: 'js-orders', numPartitions: 1 }] })).toBe(false);
    await expect(
      admin.createTopics({ topics: [{ topic: 'js-rf', numPartitions: 1, replicationFactor: 3 }] }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })] });
    await expect(
      admin.createTopics({
        topics: [{ topic: 'js-bad', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    // waitForLeaders would look the topic up in Metadata, where a dry run leaves nothing to find.
    expect(
      await admin.createTopics({
        validateOnly: true,
        waitForLeaders: false,
        topics: [{ topic: 'js-dry', numPartitions: 2 }],
      }),
    ).toBe(true);
    expect(await broker.topics.get('js-dry')).toBeUndefined();
  });

  it('grows partitions and refuses to shrink', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'js-orders', count: 5 }] });
    expect((await broker.topics.get('js-orders'))?.readQueueNums).toBe(5);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'js-orders', count: 2 }] })).rejects.toThrow(
      /partitions/i,
    );
  });

  it('describes every config with defaults, and alters them as a whole', async () => {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'js-orders' }],
    });
    const entries = new Map(described.resources[0]?.configEntries.map((entry) => [entry.configName, entry]));
    expect(entries.get('retention.ms')).toMatchObject({ configValue: '3600000', isDefault: false });
    expect(entries.get('max.message.bytes')).toMatchObject({ configValue: '65536', isDefault: false });
    expect(entries.get('cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true });
    expect(entries.get('compression.type')?.configValue).toBe('producer');
    expect(entries.get('min.insync.replicas')?.configValue).toBe('1');

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'js-orders', configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
    });
    expect((await broker.topics.get('js-orders'))?.retentionMs).toBe(7_200_000);
    const after = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'js-orders', configNames: ['max.message.bytes', 'retention.ms'] }],
    });
    expect(
      after.resources[0]?.configEntries.map((entry) => [entry.configName, entry.configValue, entry.isDefault]),
    ).toEqual([
      ['max.message.bytes', String(gateway.state.config.maxMessageBytes), true],
      ['retention.ms', '7200000', false],
    ]);

    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 4, name: '0', configEntries: [{ name: 'num.partitions', value: '7' }] }],
      }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    const brokerConfigs = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 4, name: '0' }] });
    expect(brokerConfigs.resources[0]?.configEntries.every((entry) => entry.readOnly)).toBe(true);
  });

  it('deletes records up to an offset and reports the new low watermark', async () => {
    await admin.createTopics({ topics: [{ topic: 'js-records', numPartitions: 2 }] });
    for (let i = 0; i < 6; i++)
      await broker.send(createMessage({ topic: 'js-records', body: `v${i}` }), { queueId: 0 });
    // kafkajs finds partition leaders in the metadata it already has, which covers a topic only once the
    // client has used it (here: fetchTopicOffsets); otherwise it fails with KafkaJSBrokerNotFound.
    expect((await admin.fetchTopicOffsets('js-records')).find((p) => p.partition === 0)).toMatchObject({
      low: '0',
      high: '6',
    });
    await admin.deleteTopicRecords({ topic: 'js-records', partitions: [{ partition: 0, offset: '4' }] });
    const offsets = await admin.fetchTopicOffsets('js-records');
    expect(offsets.find((p) => p.partition === 0)).toMatchObject({ low: '4', high: '6', offset: '6' });
    await admin.deleteTopicRecords({ topic: 'js-records', partitions: [{ partition: 0, offset: '-1' }] });
    expect(await broker.store.queueRange('js-records', 0)).toMatchObject({ minOffset: 6, maxOffset: 6 });
    await expect(
      admin.deleteTopicRecords({ topic: 'js-records', partitions: [{ partition: 0, offset: '99' }] }),
    ).rejects.toThrow();
  });

  it('deletes topics', async () => {
    await admin.deleteTopics({ topics: ['js-orders', 'js-records'] });
    expect(await broker.topics.get('js-orders')).toBeUndefined();
    await expect(admin.deleteTopics({ topics: ['js-never-was'] })).rejects.toThrow();
  });
});

const PYTHON = '/usr/bin/python3';

// One script, one AdminClient: every call's outcome as a JSON line the test compares.
const PYTHON_SCRIPT = `
import json, sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource

a = AdminClient({'bootstrap.servers': sys.argv[1]})
out = {}

def outcome(future):
    try:
        future.result()
        return 'ok'
    except KafkaException as e:
        return e.args[0].name()

def one(futures):
    return outcome(list(futures.values())[0])

out['create'] = one(a.create_topics([NewTopic('py-t', num_partitions=2, replication_factor=1, config={'retention.ms': '60000'})], operation_timeout=5))
out['create_again'] = one(a.create_topics([NewTopic('py-t', num_partitions=2, replication_factor=1)]))
out['create_rf'] = one(a.create_topics([NewTopic('py-rf', num_partitions=1, replication_factor=2)]))
out['create_cfg'] = one(a.create_topics([NewTopic('py-cfg', num_partitions=1, replication_factor=1, config={'no.such': 'x'})]))
out['partitions'] = one(a.create_partitions([NewPartitions('py-t', 4)]))
out['partitions_shrink'] = one(a.create_partitions([NewPartitions('py-t', 1)]))
resource = ConfigResource('topic', 'py-t')
configs = list(a.describe_configs([resource]).values())[0].result()
out['described'] = {name: [entry.value, entry.is_default] for name, entry in configs.items()}
# Read-modify-write as admin tools do: every described value sent back, retention.ms changed.
updates = {name: entry.value for name, entry in configs.items() if entry.value is not None}
updates['retention.ms'] = '120000'
out['alter'] = one(a.alter_configs([ConfigResource('topic', 'py-t', set_config=updates)]))
after = list(a.describe_configs([ConfigResource('topic', 'py-t')]).values())[0].result()
out['retention_after'] = after['retention.ms'].value
out['alter_broker'] = one(a.alter_configs([ConfigResource('broker', '0', set_config={'num.partitions': '3'})]))
out['delete'] = one(a.delete_topics(['py-t'], operation_timeout=5))
out['delete_unknown'] = one(a.delete_topics(['py-never']))
print(json.dumps(out))
`;

function runPython(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', script, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const hasConfluentKafka =
  existsSync(PYTHON) &&
  (await runPython('import confluent_kafka', []).then(
    () => true,
    () => false,
  ));

describe.skipIf(!hasConfluentKafka)('confluent-kafka (librdkafka 2.0.2) AdminClient', () => {
  it('creates, grows, describes, alters and deletes topics', async () => {
    const out = JSON.parse(await runPython(PYTHON_SCRIPT, [`127.0.0.1:${gateway.port}`]));
    expect(out).toMatchObject({
      create: 'ok',
      create_again: 'TOPIC_ALREADY_EXISTS',
      create_rf: 'INVALID_REPLICATION_FACTOR',
      create_cfg: 'INVALID_CONFIG',
      partitions: 'ok',
      partitions_shrink: 'INVALID_PARTITIONS',
      alter: 'ok',
      retention_after: '120000',
      alter_broker: 'INVALID_CONFIG',
      delete: 'ok',
      delete_unknown: 'UNKNOWN_TOPIC_OR_PART',
    });
    expect(out.described['retention.ms']).toEqual(['60000', false]);
    expect(out.described['cleanup.policy']).toEqual(['delete', true]);
    expect(out.described['message.timestamp.type']).toEqual(['CreateTime', true]);
    expect(await broker.topics.get('py-t')).toBeUndefined();
  }, 90_000);
});
