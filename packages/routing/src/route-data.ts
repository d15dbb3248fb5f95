import { TOPIC_MESSAGE_TYPES, type TopicConfig, type TopicMessageType, validateTopicName } from '@eddy/message';
import { z } from 'zod';
import { compareStrings } from './compare-strings.js';

/** Broker id of a master (RocketMQ's `MixAll.MASTER_ID`); slaves have ids above 0. */
export const MASTER_ID = 0;

/** One topic's queues on one broker (RocketMQ's `QueueData`). Queue ids run `0..n-1`. */
export interface QueueData {
  /** The broker (master/slave group) the queues live on. */
  readonly brokerName: string;
  /** Queues consumers read from: ids `0..readQueueNums-1`. */
  readonly readQueueNums: number;
  /** Queues producers write to: ids `0..writeQueueNums-1`. */
  readonly writeQueueNums: number;
  /** `Permission` bits (from `@eddy/message`) of the topic on this broker. */
  readonly perm: number;
  /** RocketMQ's topic system flag (unit / unit-sub topics); 0 for ordinary topics. */
  readonly topicSysFlag: number;
  /** Which messages the topic accepts (RocketMQ 5's `message.type`). */
  readonly messageType: TopicMessageType;
}

/** Where a broker serves each protocol, as `host:port`. A front the broker does not run is absent. */
export interface BrokerEndpoints {
  /** RocketMQ 5 gRPC (`apache.rocketmq.v2.MessagingService`). */
  readonly grpc?: string;
  /** The Kafka listener. */
  readonly kafka?: string;
  /** HTTP health, metrics and admin. */
  readonly http?: string;
}

/** A broker (one master and its slaves) as a route shows it (RocketMQ's `BrokerData`). */
export interface BrokerData {
  /** The cluster the broker belongs to. */
  readonly cluster: string;
  /** The broker name, shared by the master and its slaves. */
  readonly brokerName: string;
  /** Broker id → address (`host:port`): {@link MASTER_ID} (0) is the master, above 0 a slave. */
  readonly brokerAddrs: Readonly<Record<number, string>>;
  /** The fronts of the master, or of the lowest live broker id when the master is gone. */
  readonly endpoints: BrokerEndpoints;
}

/** What a client needs to reach a topic: its queues per broker and those brokers (RocketMQ's `TopicRouteData`). */
export interface TopicRouteData {
  /** The topic. */
  readonly topic: string;
  /** One entry per broker holding the topic, sorted by broker name. */
  readonly queueDatas: readonly QueueData[];
  /** The brokers named in {@link TopicRouteData.queueDatas}, sorted by broker name. */
  readonly brokerDatas: readonly BrokerData[];
}

/**
 * The version of a broker's topic table (RocketMQ's `DataVersion`). A broker bumps it when its topics
 * change; a registration carrying the version the name server already holds only refreshes liveness.
 */
export interface DataVersion {
  /** When the table last changed, ms since the epoch. */
  readonly timestamp: number;
  /** A counter the broker increments on every change. */
  readonly counter: number;
}

/** What a broker sends to every name server, every 30 s (RocketMQ's `RegisterBrokerRequestHeader` + body). */
export interface BrokerRegistration {
  /** The cluster the broker belongs to. */
  readonly cluster: string;
  /** The broker name, shared by a master and its slaves. */
  readonly brokerName: string;
  /** {@link MASTER_ID} (0) for the master, above 0 for a slave. */
  readonly brokerId: number;
  /** The broker's address (`host:port`): its identity in the name server's live table. */
  readonly address: string;
  /** Where the broker serves each protocol. */
  readonly endpoints: BrokerEndpoints;
  /** The version of {@link BrokerRegistration.topics}. */
  readonly dataVersion: DataVersion;
  /** The broker's full topic table; a slave's is ignored (the master's is authoritative). */
  readonly topics: readonly TopicConfig[];
}

/** Compares two data versions for equality: same timestamp and same counter. */
export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.timestamp === b.timestamp && a.counter === b.counter;
}

/** Most topics one registration may carry; RocketMQ brokers with retry topics can hold tens of thousands. */
export const MAX_REGISTERED_TOPICS = 100_000;
/** Most characters in a cluster name, broker name or address. */
export const MAX_ROUTE_NAME_LENGTH = 255;

// Names travel into logs and keys: printable ASCII without spaces, bounded.
const routeName = z
  .string()
  .min(1)
  .max(MAX_ROUTE_NAME_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
// A broker id as a JSON object key: a decimal integer without sign or leading zeros.
const brokerIdKey = z.string().regex(/^(0|[1-9][0-9]{0,5})$/, 'must be a broker id (0 = master, >0 = slave)');
const queueNums = z.number().int().min(0).max(65536);
const perm = z.number().int().min(0).max(15);

/** A cluster or broker name. */
export const BrokerNameSchema = routeName;
/** A broker address, `host:port`. */
export const BrokerAddressSchema = routeName;
/** A broker id: 0 is the master, above 0 a slave. */
export const BrokerIdSchema = z.number().int().min(0).max(999_999);

/** {@link BrokerEndpoints}. */
export const BrokerEndpointsSchema = z
  .object({
    grpc: BrokerAddressSchema.optional(),
    kafka: BrokerAddressSchema.optional(),
    http: BrokerAddressSchema.optional(),
  })
  .strict();

/** {@link QueueData}. */
export const QueueDataSchema = z
  .object({
    brokerName: BrokerNameSchema,
    readQueueNums: queueNums,
    writeQueueNums: queueNums,
    perm,
    topicSysFlag: z.number().int().min(0).max(0xffff),
    messageType: z.enum(TOPIC_MESSAGE_TYPES),
  })
  .strict();

/** {@link BrokerData}. */
export const BrokerDataSchema = z
  .object({
    cluster: BrokerNameSchema,
    brokerName: BrokerNameSchema,
    brokerAddrs: z.record(brokerIdKey, BrokerAddressSchema),
    endpoints: BrokerEndpointsSchema,
  })
  .strict();

/** {@link TopicRouteData}, as a name server answers it. */
export const TopicRouteDataSchema = z
  .object({
    topic: z.string().min(1),
    queueDatas: z.array(QueueDataSchema),
    brokerDatas: z.array(BrokerDataSchema),
  })
  .strict();

/** {@link DataVersion}. */
export const DataVersionSchema = z
  .object({
    timestamp: z.number().int().nonnegative(),
    counter: z.number().int().nonnegative(),
  })
  .strict();

// A registered topic may be a broker's own (%RETRY%group, RMQ_SYS_…), so system names are allowed here.
const registeredTopicConfig = z
  .object({
    name: z.string().superRefine((name, context) => {
      const error = validateTopicName(name, { system: true });
      if (error) context.addIssue({ code: 'custom', message: error.message });
    }),
    readQueueNums: queueNums,
    writeQueueNums: queueNums,
    perm,
    messageType: z.enum(TOPIC_MESSAGE_TYPES).default('NORMAL'),
    retentionMs: z.number().int().positive().optional(),
  })
  .strict()
  .transform((topic): TopicConfig => ({ ...topic, retentionMs: topic.retentionMs }));

/**
 * {@link BrokerRegistration}, as a broker sends it. Topic names may be system names; each topic may
 * appear once.
 */
export const BrokerRegistrationSchema = z
  .object({
    cluster: BrokerNameSchema,
    brokerName: BrokerNameSchema,
    brokerId: BrokerIdSchema,
    address: BrokerAddressSchema,
    endpoints: BrokerEndpointsSchema.default({}),
    dataVersion: DataVersionSchema,
    topics: z.array(registeredTopicConfig).max(MAX_REGISTERED_TOPICS),
  })
  .strict()
  .superRefine((registration, context) => {
    const seen = new Set<string>();
    registration.topics.forEach((topic, index) => {
      if (seen.has(topic.name)) {
        context.addIssue({
          code: 'custom',
          path: ['topics', index, 'name'],
          message: `topic '${topic.name}' is listed twice`,
        });
      }
      seen.add(topic.name);
    });
  });

/** What identifies one broker process to a name server: an unregister request. */
export interface BrokerIdentity {
  /** The cluster. */
  readonly cluster: string;
  /** The broker name. */
  readonly brokerName: string;
  /** The broker id (0 = master). */
  readonly brokerId: number;
}

/** {@link BrokerIdentity}. */
export const BrokerIdentitySchema = z
  .object({ cluster: BrokerNameSchema, brokerName: BrokerNameSchema, brokerId: BrokerIdSchema })
  .strict();

/** One queue of a topic on one broker (RocketMQ's `MessageQueue`): what producers send to and consumers own. */
export interface MessageQueue {
  /** The topic. */
  readonly topic: string;
  /** The broker the queue lives on. */
  readonly brokerName: string;
  /** The queue id on that broker, `0..n-1`. */
  readonly queueId: number;
}

/** {@link MessageQueue}. */
export const MessageQueueSchema = z
  .object({ topic: z.string().min(1), brokerName: BrokerNameSchema, queueId: z.number().int().min(0).max(65535) })
  .strict();

/**
 * Orders queues by topic, then broker name, then queue id (RocketMQ's `MessageQueue.compareTo`).
 * Strings compare by UTF-16 code units, so the order is the same in every process and locale.
 */
export function compareMessageQueues(a: MessageQueue, b: MessageQueue): number {
  return compareStrings(a.topic, b.topic) || compareStrings(a.brokerName, b.brokerName) || a.queueId - b.queueId;
}

/** A sorted copy of `queues` (see {@link compareMessageQueues}); the input is left alone. */
export function sortMessageQueues(queues: Iterable<MessageQueue>): MessageQueue[] {
  return [...queues].sort(compareMessageQueues);
}

/**
 * A string that identifies a queue, for map keys: `topic@brokerName@queueId`. Unambiguous because a
 * topic name cannot contain `@` and the queue id is always the part after the last `@`.
 */
export function messageQueueKey(queue: MessageQueue): string {
  return `${queue.topic}@${queue.brokerName}@${queue.queueId}`;
}

/** True when `a` and `b` name the same queue. */
export function sameMessageQueue(a: MessageQueue, b: MessageQueue): boolean {
  return a.topic === b.topic && a.brokerName === b.brokerName && a.queueId === b.queueId;
}
