import type { Broker } from '@eddy/broker';
import type { TopicConfig } from '@eddy/message';
import { ConfigSource, type DescribeConfigsEntry } from '@eddy/protocol-kafka';
import { z } from 'zod';
import type { KafkaGatewayConfig } from '../gateway-state.js';

/**
 * Kafka topic configs ⇄ Eddy topic settings.
 *
 * `retention.ms` lives in the Eddy topic config (`retentionMs`), so the RocketMQ side and the admin API see
 * the same value; Kafka's -1 ("forever") is stored as {@link RETENTION_FOREVER_MS}. Every other override is
 * kept in store metadata under {@link TOPIC_OVERRIDES_PREFIX}; of those only `max.message.bytes` changes
 * behaviour (Produce checks it). Settings whose semantics Eddy does not have (`cleanup.policy=compact`,
 * `message.timestamp.type=LogAppendTime`, a finite `retention.bytes`) are refused with INVALID_CONFIG rather
 * than stored and ignored.
 */

/** Metadata key prefix of a topic's Kafka overrides: `kafka/topic-config/<topic>` → JSON `{name: value}`. */
export const TOPIC_OVERRIDES_PREFIX = 'kafka/topic-config/';

/** Kafka's default `retention.ms` (7 days), shown for topics whose `retentionMs` is the broker default. */
export const KAFKA_DEFAULT_RETENTION_MS = 604_800_000;

/** Eddy `retentionMs` standing for Kafka's `retention.ms=-1` (Eddy retention must be a positive number). */
export const RETENTION_FOREVER_MS = Number.MAX_SAFE_INTEGER;

/** A config name → value map of explicitly set topic configs. */
export type TopicOverrides = ReadonlyMap<string, string>;

type Check = (value: string) => string | undefined;

interface TopicConfigDefinition {
  readonly name: string;
  readonly defaultValue: (config: KafkaGatewayConfig) => string;
  /** The broker config Kafka falls back to, reported as a synonym. */
  readonly brokerSynonym: string;
  /** Why the value is refused, or undefined when it is accepted. */
  readonly check: Check;
}

const INT32_MAX = 2_147_483_647;

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (value) => {
    const trimmed = value.trim();
    const parsed = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      return `expected an integer in [${min}, ${max}], got '${value}'`;
    }
    return undefined;
  };
}

function oneOf(allowed: readonly string[], unsupported: Readonly<Record<string, string>> = {}): Check {
  return (value) => {
    const normalized = value.trim();
    if (allowed.includes(normalized)) return undefined;
    return unsupported[normalized] ?? `expected one of ${allowed.join(', ')}, got '${value}'`;
  };
}

const retentionCheck: Check = (value) => {
  const error = integer(-1)(value);
  if (error !== undefined) return error;
  return Number(value.trim()) === 0 ? 'retention.ms 0 is not supported; use -1 (forever) or at least 1' : undefined;
};

/**
 * Every topic config the gateway knows, in Kafka's (alphabetical) order. DescribeConfigs lists all of them,
 * so a client doing read-modify-write with AlterConfigs sends back only names and values accepted here.
 */
const TOPIC_CONFIGS: readonly TopicConfigDefinition[] = [
  {
    name: 'cleanup.policy',
    defaultValue: () => 'delete',
    brokerSynonym: 'log.cleanup.policy',
    check: oneOf(['delete'], {
      compact: 'cleanup.policy=compact is not supported: Eddy has no log compaction',
      'compact,delete': 'cleanup.policy=compact is not supported: Eddy has no log compaction',
      'delete,compact': 'cleanup.policy=compact is not supported: Eddy has no log compaction',
    }),
  },
  {
    name: 'compression.type',
    defaultValue: () => 'producer',
    brokerSynonym: 'compression.type',
    check: oneOf(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']),
  },
  {
    name: 'delete.retention.ms',
    defaultValue: () => '86400000',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    check: integer(0),
  },
  {
    name: 'file.delete.delay.ms',
    defaultValue: () => '60000',
    brokerSynonym: 'log.segment.delete.delay.ms',
    check: integer(0),
  },
  {
    name: 'flush.messages',
    defaultValue: () => '9223372036854775807',
    brokerSynonym: 'log.flush.interval.messages',
    check: (value) =>
      /^\d+$/.test(value.trim()) && value.trim() !== '0' ? undefined : `expected a positive integer, got '${value}'`,
  },
  {
    name: 'flush.ms',
    defaultValue: () => '9223372036854775807',
    brokerSynonym: 'log.flush.interval.ms',
    check: (value) => (/^\d+$/.test(value.trim()) ? undefined : `expected a non-negative integer, got '${value}'`),
  },
  {
    name: 'max.message.bytes',
    defaultValue: (config) => String(config.maxMessageBytes),
    brokerSynonym: 'message.max.bytes',
    check: integer(0, INT32_MAX),
  },
  {
    name: 'message.timestamp.type',
    defaultValue: () => 'CreateTime',
    brokerSynonym: 'log.message.timestamp.type',
    check: oneOf(['CreateTime'], {
      LogAppendTime: 'message.timestamp.type=LogAppendTime is not supported: records keep their producer timestamp',
    }),
  },
  {
    name: 'min.insync.replicas',
    defaultValue: () => '1',
    brokerSynonym: 'min.insync.replicas',
    check: integer(1, 1),
  },
  {
    name: 'retention.bytes',
    defaultValue: () => '-1',
    brokerSynonym: 'log.retention.bytes',
    check: (value) =>
      value.trim() === '-1' ? undefined : `retention.bytes=${value} is not supported: Eddy retains by time only`,
  },
  {
    name: 'retention.ms',
    defaultValue: () => String(KAFKA_DEFAULT_RETENTION_MS),
    brokerSynonym: 'log.retention.ms',
    check: retentionCheck,
  },
  {
    name: 'segment.bytes',
    defaultValue: () => '1073741824',
    brokerSynonym: 'log.segment.bytes',
    check: integer(14, INT32_MAX),
  },
  {
    name: 'segment.ms',
    defaultValue: () => '604800000',
    brokerSynonym: 'log.roll.ms',
    check: integer(1),
  },
  {
    name: 'unclean.leader.election.enable',
    defaultValue: () => 'false',
    brokerSynonym: 'unclean.leader.election.enable',
    check: oneOf(['true', 'false']),
  },
];

const DEFINITIONS = new Map(TOPIC_CONFIGS.map((definition) => [definition.name, definition]));

/** The outcome of {@link validateTopicConfigs}. */
export type TopicConfigValidation =
  | { readonly status: 'ok'; readonly overrides: TopicOverrides }
  | { readonly status: 'invalid'; readonly message: string };

/**
 * Checks configs as CreateTopics or AlterConfigs give them. A `null` value means "the default" and sets
 * nothing; a repeated name is an error (Kafka refuses it too).
 */
export function validateTopicConfigs(
  entries: readonly { readonly name: string; readonly value: string | null }[],
): TopicConfigValidation {
  const overrides = new Map<string, string>();
  const seen = new Set<string>();
  for (const { name, value } of entries) {
    if (seen.has(name)) return { status: 'invalid', message: `config '${name}' is given twice` };
    seen.add(name);
    const definition = DEFINITIONS.get(name);
    if (definition === undefined) return { status: 'invalid', message: `unknown topic config '${name}'` };
    if (value === null) continue;
    const error = definition.check(value);
    if (error !== undefined) return { status: 'invalid', message: `invalid value for '${name}': ${error}` };
    overrides.set(name, value.trim());
  }
  return { status: 'ok', overrides };
}

/** The Eddy `retentionMs` for a set of overrides: undefined (broker default) when `retention.ms` is not set. */
export function retentionMsOf(overrides: TopicOverrides): number | undefined {
  const value = overrides.get('retention.ms');
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return parsed === -1 ? RETENTION_FOREVER_MS : parsed;
}

/** The `retention.ms` a topic shows, or undefined when it has none of its own. */
export function retentionConfigOf(topic: TopicConfig): string | undefined {
  if (topic.retentionMs === undefined) return undefined;
  return topic.retentionMs >= RETENTION_FOREVER_MS ? '-1' : String(topic.retentionMs);
}

/**
 * The configs of a topic as DescribeConfigs reports them: every known config (or only `keys`, unknown ones
 * left out, as Kafka does), explicitly set ones as DYNAMIC_TOPIC_CONFIG, the rest as DEFAULT_CONFIG.
 */
export function describeTopicConfigs(
  topic: TopicConfig,
  overrides: TopicOverrides,
  config: KafkaGatewayConfig,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
): DescribeConfigsEntry[] {
  const wanted = keys === null ? undefined : new Set(keys);
  const entries: DescribeConfigsEntry[] = [];
  for (const definition of TOPIC_CONFIGS) {
    if (wanted !== undefined && !wanted.has(definition.name)) continue;
    const set = definition.name === 'retention.ms' ? retentionConfigOf(topic) : overrides.get(definition.name);
    const defaultValue = definition.defaultValue(config);
    const synonyms = [];
    if (includeSynonyms) {
      if (set !== undefined)
        synonyms.push({ name: definition.name, value: set, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      synonyms.push({ name: definition.brokerSynonym, value: defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    entries.push({
      name: definition.name,
      value: set ?? defaultValue,
      readOnly: false,
      isDefault: set === undefined,
      configSource: set === undefined ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG,
      isSensitive: false,
      synonyms,
    });
  }
  return entries;
}

/** Broker configs DescribeConfigs shows; all read-only (they come from the gateway's startup config). */
export function describeBrokerConfigs(
  config: KafkaGatewayConfig,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
): DescribeConfigsEntry[] {
  const values: [string, string][] = [
    ['auto.create.topics.enable', String(config.autoCreateTopics)],
    ['broker.id', String(config.nodeId)],
    ['default.replication.factor', '1'],
    ['group.initial.rebalance.delay.ms', String(config.groupInitialRebalanceDelayMs)],
    ['group.max.session.timeout.ms', String(config.groupMaxSessionTimeoutMs)],
    ['group.min.session.timeout.ms', String(config.groupMinSessionTimeoutMs)],
    ['log.retention.ms', String(KAFKA_DEFAULT_RETENTION_MS)],
    ['message.max.bytes', String(config.maxMessageBytes)],
    ['min.insync.replicas', '1'],
    ['num.partitions', String(config.defaultPartitions)],
    ['offsets.topic.replication.factor', '1'],
    ['transaction.max.timeout.ms', String(config.transactionMaxTimeoutMs)],
    ['transaction.state.log.replication.factor', '1'],
  ];
  const wanted = keys === null ? undefined : new Set(keys);
  return values
    .filter(([name]) => wanted === undefined || wanted.has(name))
    .map(([name, value]) => ({
      name,
      value,
      readOnly: true,
      isDefault: false,
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      isSensitive: false,
      synonyms: includeSynonyms ? [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }] : [],
    }));
}

type Metadata = Broker['store']['metadata'];

const StoredOverridesSchema = z.record(z.string(), z.string());
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A topic's stored overrides (not `retention.ms`, which is the topic's `retentionMs`); empty when none. */
export async function readTopicOverrides(metadata: Metadata, topic: string): Promise<Map<string, string>> {
  const bytes = await metadata.get(TOPIC_OVERRIDES_PREFIX + topic);
  if (bytes === undefined) return new Map();
  let parsed: ReturnType<typeof StoredOverridesSchema.safeParse> | undefined;
  try {
    parsed = StoredOverridesSchema.safeParse(JSON.parse(decoder.decode(bytes)));
  } catch {
    parsed = undefined;
  }
  // An unreadable entry means defaults: safer than refusing every request on the topic.
  return parsed?.success === true ? new Map(Object.entries(parsed.data)) : new Map();
}

/** Replaces a topic's stored overrides (`retention.ms` is left out: it is saved as the topic's `retentionMs`). */
export async function writeTopicOverrides(metadata: Metadata, topic: string, overrides: TopicOverrides): Promise<void> {
  const stored = Object.fromEntries([...overrides].filter(([name]) => name !== 'retention.ms'));
  if (Object.keys(stored).length === 0) {
    await metadata.delete(TOPIC_OVERRIDES_PREFIX + topic);
    return;
  }
  await metadata.put(TOPIC_OVERRIDES_PREFIX + topic, encoder.encode(JSON.stringify(stored)));
}

/** Forgets a topic's overrides (the topic was deleted). */
export async function deleteTopicOverrides(metadata: Metadata, topic: string): Promise<void> {
  await metadata.delete(TOPIC_OVERRIDES_PREFIX + topic);
}

/**
 * The largest record batch a topic accepts, bytes: its `max.message.bytes`, else the gateway's
 * `maxMessageBytes`. For the Produce path.
 */
export async function topicMaxMessageBytes(broker: Broker, config: KafkaGatewayConfig, topic: string): Promise<number> {
  const value = (await readTopicOverrides(broker.store.metadata, topic)).get('max.message.bytes');
  return value === undefined ? config.maxMessageBytes : Number(value);
}

/**
 * A topic's Kafka partition count: its read queues (every readable queue is a partition a consumer may be
 * assigned; topics made through Kafka have as many write queues).
 */
export function partitionCountOf(topic: TopicConfig): number {
  return topic.readQueueNums;
}

/** True when a broker resource name means this node: its id, or "" (the cluster-wide default). */
export function isThisBroker(resourceName: string, nodeId: number): boolean {
  return resourceName === '' || resourceName === String(nodeId);
}
