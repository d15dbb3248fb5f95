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
 * - **Push consumer** ({@link PushConsumer}): RocketMQ 4.x push semantics over pull, CLUSTERING or
 *   BROADCASTING, rebalancing on membership changes; at least once, duplicates only around a rebalance.
 * - **Pop** ({@link PopService}): RocketMQ 5's simple-consumer delivery with receipt handles, invisible
 *   times, redelivery with attempt counts, acks that commit the lowest unacked offset, and FIFO message
 *   groups; in-flight and acked state is durable through the metadata store (at least once across restarts).
 * - **Orderly locks** ({@link QueueLockManager}): per-group queue leases (60 s, renewed every 20 s).
 * - **Delay levels, retry and dead letters** ({@link DelayLevelScheduler}, {@link RetryService}): RocketMQ's
 *   18 delay levels through `SCHEDULE_TOPIC_XXXX`, `%RETRY%<group>` with backoff 10s … 2h, and after 16
 *   retries (per-group setting) `%DLQ%<group>` with the history in properties, re-sendable from there.
 * - **Timer messages** ({@link TimerScheduler}): any due time up to 24 h ahead (configurable), a timer
 *   log in `rmq_sys_wheel_timer`, one clock task for any number of pending timers.
 * - **Transactional messages** ({@link TransactionService}): half messages, commit / rollback, check-back
 *   through the producer group.
 * - **Exactly once across crashes** ({@link DeliveryJournal}): every relay from a system topic to a real
 *   queue (delay levels, timers, commits) is finished exactly once after a crash at any point.
 *
 * @packageDocumentation
 */

export { type Logger, silentLogger } from '@eddy/message';
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
  DEAD_LETTER_QUEUE_ID,
  type DeadLetterHistory,
  deadLetterHistory,
  MAX_FAILURE_REASON_LENGTH,
  originMessageIdOf,
  originTopicOf,
  RETRY_QUEUE_ID,
  toDeadLetter,
  toResent,
} from './dead-letter.js';
export {
  DEFAULT_DELAY_LEVELS,
  DelayLevelScheduler,
  DelayLevelSchedulerConfigSchema,
  type DelayLevelSchedulerOptions,
  parseDelayLevels,
  SCHEDULE_BATCH_SIZE,
  SCHEDULE_FAILURE_BACKOFF_MS,
  SCHEDULE_PROGRESS_PREFIX,
  type ScheduleResult,
  type ScheduleTarget,
} from './delay-scheduler.js';
export {
  DELIVERY_JOURNAL_PREFIX,
  DeliveryJournal,
  type DeliveryJournalOptions,
  type JournalEntry,
  type RecoveredRelay,
  type RelayedEntry,
} from './delivery-journal.js';
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
export {
  type LongPollOutcome,
  LongPollRegistry,
  type LongPollRegistryOptions,
  type LongPollWait,
  type WatchedQueue,
} from './long-poll.js';
export {
  type AckResult,
  type AckStatus,
  type ChangeInvisibleDurationResult,
  type PopFilter,
  type PoppedMessage,
  type PopQueueState,
  type PopRecovery,
  type PopRequest,
  type PopResult,
  PopService,
  PopServiceConfigSchema,
  type PopServiceOptions,
} from './pop-service.js';
export { POP_STATE_PREFIX } from './pop-state.js';
export {
  type PullFilter,
  type PullRequest,
  type PullResult,
  PullService,
  type PullServiceOptions,
  type PullStatus,
} from './pull-service.js';
export {
  type ConsumeContext,
  type ConsumeStatus,
  PushConsumer,
  PushConsumerConfigSchema,
  type PushConsumerOptions,
  type PushMessageHandler,
  type PushSubscription,
  PushSubscriptionSchema,
  type RebalanceEvent,
  type RetryHook,
} from './push-consumer.js';
export {
  DEFAULT_LOCK_LEASE_MS,
  type LockedQueue,
  QueueLockConfigSchema,
  type QueueLockHolder,
  QueueLockManager,
  type QueueLockManagerOptions,
  RENEW_INTERVAL_MS,
} from './queue-lock.js';
export { type AssignableMember, type AssignQueuesRequest, assignQueues } from './rebalance.js';
export { decodeReceiptHandle, encodeReceiptHandle, type ReceiptHandleFields } from './receipt-handle.js';
export {
  DEFAULT_FIRST_RETRY_LEVEL,
  DEFAULT_LAST_RETRY_LEVEL,
  DEFAULT_MAX_RECONSUME_TIMES,
  RetryPolicy,
  RetryPolicyConfigSchema,
  type RetryPolicyOptions,
} from './retry-policy.js';
export {
  type DeadLetterResult,
  type ResendOptions,
  type ResendResult,
  RetryService,
  type RetryServiceOptions,
  type SendBackResult,
} from './retry-service.js';
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
export { TIMER_PROGRESS_KEY, type TimerProgress } from './timer-progress.js';
export {
  DEFAULT_MAX_TIMER_DELAY_MS,
  TIMER_BATCH_SIZE,
  TIMER_FAILURE_BACKOFF_MS,
  type TimerScheduleResult,
  TimerScheduler,
  TimerSchedulerConfigSchema,
  type TimerSchedulerOptions,
} from './timer-scheduler.js';
export {
  formatTransactionId,
  parseTransactionId,
  type TransactionIdParts,
  TransactionNonceSource,
} from './transaction-id.js';
export {
  checkImmunityMs,
  OP_RECORD_TAG,
  TRANSACTION_NONCE_PROPERTY,
  TRANSACTION_QUEUE_ID,
  TRANSACTION_RESOLUTION_PROPERTY,
  type TransactionOutcome,
  type TransactionTarget,
} from './transaction-message.js';
export type { TransactionWatermarks } from './transaction-progress.js';
export type { TransactionRecoveryReport } from './transaction-recovery.js';
export {
  DEFAULT_TRANSACTION_CHECK_INTERVAL_MS,
  DEFAULT_TRANSACTION_MAX_CHECKS,
  DEFAULT_TRANSACTION_TIMEOUT_MS,
  type EndTransactionOptions,
  type EndTransactionResult,
  type HalfMessageCheck,
  type PrepareResult,
  TRANSACTION_PROGRESS_EVERY,
  TRANSACTION_RELAY_BATCH,
  type TransactionResolution,
  TransactionService,
  TransactionServiceConfigSchema,
  type TransactionServiceOptions,
} from './transaction-service.js';
export { TRANSACTION_JOURNAL_NAME, TRANSACTION_STATE_PREFIX } from './transaction-state.js';
