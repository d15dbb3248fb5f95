/**
 * Eddy's routing layer: RocketMQ's model, pure.
 *
 * - Route data ({@link TopicRouteData}, {@link QueueData}, {@link BrokerData}, {@link BrokerRegistration},
 *   {@link MessageQueue}) with zod schemas for every shape that crosses a process boundary.
 * - {@link NameServerCore}: the name server's tables, registration with cheap data-version refreshes,
 *   unregistration, and expiry of silent brokers on an injected `Clock`.
 * - Producer side: {@link QueueSelector} (round robin per topic with `sendWhichQueue`), avoiding slow or
 *   failed brokers through {@link LatencyFaultTolerance}; {@link MessageQueueSelector}s by key hash or at random.
 * - Consumer side: {@link AllocateMessageQueueStrategy} functions (averagely, by circle, consistent hash,
 *   by config) that every client of a group evaluates alone and agrees on.
 *
 * It does not do I/O: no sockets, files or HTTP (`@eddy/name-server` serves {@link NameServerCore} over
 * HTTP; brokers and clients do the sending). It starts no timers of its own (scheduling goes through the
 * injected clock), reads randomness only from an injected `random`, and keeps no global state.
 *
 * Guarantees: routes list only brokers within their expiry; queue lists and assignments are sorted by
 * code units, so they are the same in every process; hashes are published algorithms ({@link stringHashCode},
 * {@link murmurHash3}) that will not change between versions.
 *
 * @packageDocumentation
 */
export {
  ALLOCATION_STRATEGIES,
  type AllocateMessageQueueStrategy,
  allocateAll,
  allocateAveragely,
  allocateAveragelyByCircle,
  allocateByConfig,
  allocateConsistentHash,
  consistentHashStrategy,
  DEFAULT_VIRTUAL_NODE_COUNT,
  MAX_VIRTUAL_NODE_COUNT,
} from './allocation.js';
export {
  DEFAULT_LATENCY_MAX,
  DEFAULT_NOT_AVAILABLE_DURATION,
  type FaultItem,
  ISOLATION_LATENCY_MS,
  LatencyFaultTolerance,
  type LatencyFaultToleranceOptions,
  type LatencyTables,
  notAvailableFor,
} from './latency-fault-tolerance.js';
export {
  type ClusterInfo,
  DEFAULT_BROKER_EXPIRY_MS,
  DEFAULT_SCAN_INTERVAL_MS,
  NameServerCore,
  type NameServerCoreOptions,
  NameServerCoreOptionsSchema,
  type RegisterResult,
} from './name-server-core.js';
export {
  type MessageQueueSelector,
  QueueSelector,
  type QueueSelectorOptions,
  readableQueuesOf,
  selectByHash,
  selectByRandom,
  selectMessageQueueByHash,
  selectMessageQueueByRandom,
  writableQueuesOf,
} from './queue-selector.js';
export {
  BrokerAddressSchema,
  type BrokerData,
  BrokerDataSchema,
  type BrokerEndpoints,
  BrokerEndpointsSchema,
  type BrokerIdentity,
  BrokerIdentitySchema,
  BrokerIdSchema,
  BrokerNameSchema,
  type BrokerRegistration,
  BrokerRegistrationSchema,
  compareMessageQueues,
  type DataVersion,
  DataVersionSchema,
  MASTER_ID,
  MAX_REGISTERED_TOPICS,
  MAX_ROUTE_NAME_LENGTH,
  type MessageQueue,
  MessageQueueSchema,
  messageQueueKey,
  type QueueData,
  QueueDataSchema,
  sameDataVersion,
  sameMessageQueue,
  sortMessageQueues,
  type TopicRouteData,
  TopicRouteDataSchema,
} from './route-data.js';
export { murmurHash3, stringHashCode } from './stable-hash.js';
