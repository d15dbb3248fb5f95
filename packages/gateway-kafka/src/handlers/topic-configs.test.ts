import type { TopicConfig } from '@eddy/message';
import { ConfigSource } from '@eddy/protocol-kafka';
import { describe, expect, it } from 'vitest';
import type { KafkaGatewayConfig } from '../gateway-state.js';
import {
  describeBrokerConfigs,
  describeTopicConfigs,
  isThisBroker,
  RETENTION_FOREVER_MS,
  retentionConfigOf,
  retentionMsOf,
  validateTopicConfigs,
} from './topic-configs.js';

const config: KafkaGatewayConfig = {
  nodeId: 0,
  host: '127.0.0.1',
  port: 9092,
  advertisedHost: '127.0.0.1',
  clusterId: 'eddy-test',
  autoCreateTopics: true,
  defaultPartitions: 1,
  maxMessageBytes: 1_048_576,
  groupInitialRebalanceDelayMs: 0,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  transactionMaxTimeoutMs: 900_000,
  producedBatchCacheBytes: 0,
};

const topic = (retentionMs: number | undefined): TopicConfig => ({
  name: 't',
  readQueueNums: 2,
  writeQueueNums: 2,
  perm: 6,
  messageType: 'MIXED',
  retentionMs,
});

describe('validateTopicConfigs', () => {
  it('accepts supported settings and trims values', () => {
    const result = validateTopicConfigs([
      { name: 'retention.ms', value: ' 3600000 ' },
      { name: 'max.message.bytes', value: '2048' },
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'compression.type', value: 'zstd' },
      { name: 'segment.bytes', value: null },
    ]);
    expect(result).toEqual({
      status: 'ok',
      overrides: new Map([
        ['retention.ms', '3600000'],
        ['max.message.bytes', '2048'],
        ['cleanup.policy', 'delete'],
        ['compression.type', 'zstd'],
      ]),
    });
  });

  it.each([
    ['no.such.config', '1', /unknown topic config 'no.such.config'/],
    ['retention.ms', 'soon', /expected an integer/],
    ['retention.ms', '0', /retention.ms 0 is not supported/],
    ['retention.ms', '-2', /expected an integer in \[-1/],
    ['max.message.bytes', '99999999999', /expected an integer/],
    ['cleanup.policy', 'compact', /no log compaction/],
    ['message.timestamp.type', 'LogAppendTime', /not supported/],
    ['retention.bytes', '1000', /retains by time only/],
    ['min.insync.replicas', '2', /expected an integer in \[1, 1\]/],
    ['compression.type', 'brotli', /expected one of producer/],
  ])('refuses %s=%s', (name, value, message) => {
    const result = validateTopicConfigs([{ name, value }]);
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' ? result.message : '').toMatch(message);
  });

  it('refuses a name given twice', () => {
    const result = validateTopicConfigs([
      { name: 'retention.ms', value: '1' },
      { name: 'retention.ms', value: '2' },
    ]);
    expect(result).toEqual({ status: 'invalid', message: "config 'retention.ms' is given twice" });
  });
});

describe('retention.ms ⇄ retentionMs', () => {
  it('maps set, forever and default', () => {
    expect(retentionMsOf(new Map([['retention.ms', '5000']]))).toBe(5000);
    expect(retentionMsOf(new Map([['retention.ms', '-1']]))).toBe(RETENTION_FOREVER_MS);
    expect(retentionMsOf(new Map())).toBeUndefined();
    expect(retentionConfigOf(topic(5000))).toBe('5000');
    expect(retentionConfigOf(topic(RETENTION_FOREVER_MS))).toBe('-1');
    expect(retentionConfigOf(topic(undefined))).toBeUndefined();
  });
});

describe('describeTopicConfigs', () => {
  it('lists every config with its default, and overrides as dynamic topic configs', () => {
    const entries = describeTopicConfigs(
      topic(3_600_000),
      new Map([['max.message.bytes', '2048']]),
      config,
      null,
      false,
    );
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'cleanup.policy',
        'compression.type',
        'min.insync.replicas',
        'message.timestamp.type',
        'segment.bytes',
        'retention.bytes',
        'retention.ms',
        'max.message.bytes',
      ]),
    );
    expect(byName.get('retention.ms')).toMatchObject({
      value: '3600000',
      isDefault: false,
      configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG,
    });
    expect(byName.get('max.message.bytes')).toMatchObject({
      value: '2048',
      isDefault: false,
      configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG,
    });
    expect(byName.get('cleanup.policy')).toMatchObject({
      value: 'delete',
      isDefault: true,
      configSource: ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
    });
    expect(byName.get('compression.type')?.value).toBe('producer');
    expect(byName.get('min.insync.replicas')?.value).toBe('1');
    expect(byName.get('message.timestamp.type')?.value).toBe('CreateTime');
    expect(byName.get('retention.bytes')?.value).toBe('-1');
    expect(entries.every((entry) => entry.synonyms.length === 0)).toBe(true);
  });

  it('defaults retention.ms to Kafka’s 7 days and max.message.bytes to the gateway limit', () => {
    const entries = describeTopicConfigs(
      topic(undefined),
      new Map(),
      config,
      ['retention.ms', 'max.message.bytes', 'nope'],
      true,
    );
    expect(entries).toEqual([
      {
        name: 'max.message.bytes',
        value: '1048576',
        readOnly: false,
        isDefault: true,
        configSource: ConfigSource.DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: [{ name: 'message.max.bytes', value: '1048576', source: ConfigSource.DEFAULT_CONFIG }],
      },
      {
        name: 'retention.ms',
        value: '604800000',
        readOnly: false,
        isDefault: true,
        configSource: ConfigSource.DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: [{ name: 'log.retention.ms', value: '604800000', source: ConfigSource.DEFAULT_CONFIG }],
      },
    ]);
  });

  it('every described default is accepted back (read-modify-write through AlterConfigs)', () => {
    const entries = describeTopicConfigs(topic(undefined), new Map(), config, null, false);
    expect(validateTopicConfigs(entries.map(({ name, value }) => ({ name, value }))).status).toBe('ok');
  });
});

describe('broker configs', () => {
  it('are read-only static configs', () => {
    const entries = describeBrokerConfigs(config, ['broker.id', 'num.partitions'], true);
    expect(entries).toEqual([
      {
        name: 'broker.id',
        value: '0',
        readOnly: true,
        isDefault: false,
        configSource: ConfigSource.STATIC_BROKER_CONFIG,
        isSensitive: false,
        synonyms: [{ name: 'broker.id', value: '0', source: ConfigSource.STATIC_BROKER_CONFIG }],
      },
      {
        name: 'num.partitions',
        value: '1',
        readOnly: true,
        isDefault: false,
        configSource: ConfigSource.STATIC_BROKER_CONFIG,
        isSensitive: false,
        synonyms: [{ name: 'num.partitions', value: '1', source: ConfigSource.STATIC_BROKER_CONFIG }],
      },
    ]);
  });

  it('name this node by id or by the empty (cluster default) name', () => {
    expect(isThisBroker('0', 0)).toBe(true);
    expect(isThisBroker('', 0)).toBe(true);
    expect(isThisBroker('1', 0)).toBe(false);
  });
});
