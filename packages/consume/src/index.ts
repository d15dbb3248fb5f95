/**
 * Eddy's consume engines, over any storage engine of the `@eddy/store` contract.
 *
 * Available now:
 * - **Filters**: RocketMQ tag expressions (`*`, `TagA || TagB`) and SQL92 property filters with a real
 *   parser, three-valued logic and `INVALID_FILTER` errors; a {@link MessageFilter} tells the store which
 *   tags it can pre-filter by code and confirms each match exactly.
 * - **Consumer groups**: members, subscriptions, heartbeats and expiry on an injected clock, and a
 *   consistency report for groups whose members subscribe differently.
 * - **Offsets**: committed offsets per (group, topic, queue) and per member for broadcasting, durable
 *   through the store's metadata; start positions; admin resets; lag.
 * - **Rebalancing**: queue assignment with the routing package's allocation strategies.
 * - **Pull with long polling**: a held request is answered as soon as a message arrives, with one clock
 *   task for all idle requests.
 *
 * Pop delivery with receipt handles, orderly delivery with queue locks, and retry with dead letters are
 * not built yet.
 *
 * @packageDocumentation
 */
export {
  ConsumerGroupRegistry,
  ConsumerGroupRegistryConfigSchema,
  type ConsumerGroupRegistryOptions,
  type ConsumerHeartbeat,
  ConsumerHeartbeatSchema,
  type ConsumerMember,
  type GroupChangeListener,
  type GroupConsistency,
  MAX_EXPRESSION_LENGTH,
  MAX_SUBSCRIPTIONS,
  type MessageModel,
  type Subscription,
  type SubscriptionDifference,
  SubscriptionSchema,
} from './consumer-group-registry.js';
export {
  BROADCASTING_OFFSET_PREFIX,
  CLUSTERING_OFFSET_PREFIX,
  type CommitOptions,
  type CommittedOffset,
  ConsumerOffsetStore,
  type OffsetCommit,
  type OffsetScope,
} from './consumer-offset-store.js';
export {
  createMessageFilter,
  FILTER_TYPES,
  type FilterExpression,
  FilterExpressionSchema,
  type FilterType,
  type MessageFilter,
} from './filter/message-filter.js';
export {
  compileSqlCondition,
  type SqlConditionEvaluator,
  type SqlTruth,
  sqlPropertyValue,
} from './filter/sql-evaluator.js';
export { SQL_KEYWORDS, type SqlKeyword, type SqlToken, type SqlTokenKind, tokenizeSql } from './filter/sql-lexer.js';
export {
  formatSqlCondition,
  MAX_SQL_NESTING,
  parseSqlFilter,
  type SqlComparisonOperator,
  type SqlCondition,
  type SqlOperand,
} from './filter/sql-parser.js';
export { parseTagExpression, type TagExpression } from './filter/tag-expression.js';
export { type Logger, silentLogger } from './logger.js';
export {
  type LongPollOutcome,
  LongPollRegistry,
  type LongPollRegistryOptions,
  type LongPollWait,
  type WatchedQueue,
} from './long-poll.js';
export {
  type PullFilter,
  type PullRequest,
  type PullResult,
  PullService,
  type PullServiceOptions,
  type PullStatus,
} from './pull-service.js';
export { type AssignableMember, type AssignQueuesRequest, assignQueues } from './rebalance.js';
export {
  type ConsumeFromWhere,
  ConsumeFromWhereSchema,
  DEFAULT_CONSUME_FROM_WHERE,
  OffsetAdmin,
  type OffsetAdminOptions,
  type OffsetReset,
  type QueueLag,
  resolveStartOffset,
} from './start-position.js';
