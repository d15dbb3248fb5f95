/**
 * Names of system properties, as RocketMQ spells them, for where a message's system fields travel as
 * properties (the RocketMQ protocol, DLQ history, scheduled and transactional bookkeeping).
 */
export const SystemProperty = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT_STORE_MSG_OK: 'WAIT',
  DELAY_TIME_LEVEL: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QUEUE_ID: 'REAL_QID',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  PRODUCER_GROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  UNIQUE_CLIENT_MESSAGE_ID: 'UNIQ_KEY',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  TRANSACTION_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  TRANSACTION_ID: '__transactionId__',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  MESSAGE_TYPE: 'MSG_TYPE',
  POP_CHECKPOINT: 'POP_CK',
  FIRST_POP_TIME: '1ST_POP_TIME',
  SHARDING_KEY: '__SHARDINGKEY',
  TRACE_CONTEXT: 'TRACE_CONTEXT',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  BORN_HOST: '__BORNHOST',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
  DLQ_FAILURE_REASON: 'DLQ_FAILURE_REASON',
  MESSAGE_GROUP: '__MESSAGE_GROUP',
  DELIVERY_TIMESTAMP: '__STARTDELIVERTIME',
  /**
   * Set by the broker on a message it relays from a system topic (scheduled, timer, transactional) to
   * its real queue: one id per relay, so that a relay interrupted by a crash is finished exactly once.
   */
  DELIVERY_ID: '__DELIVERY_ID',
  /** The random half of a transaction id, kept on the half message so a guessed id is refused. */
  TRANSACTION_NONCE: '__TRANSACTION_NONCE',
} as const;

/** One of the {@link SystemProperty} names. */
export type SystemPropertyName = (typeof SystemProperty)[keyof typeof SystemProperty];

/** Property names a user may not set: the system's own, and RocketMQ's reserved set. */
export const RESERVED_PROPERTY_NAMES: ReadonlySet<string> = new Set<string>([
  ...Object.values(SystemProperty),
  'MSG_REGION',
  'TRACE_ON',
  'INSTANCE_ID',
  'CLUSTER',
  'UNIQ_KEY',
  'PROPERTY_STARTDELIVERTIME',
  'PROPERTY_TIMER_ENQUEUE_MS',
  'PROPERTY_TIMER_DEQUEUE_MS',
  'PROPERTY_TIMER_ROLL_TIMES',
  'PROPERTY_TIMER_OUT_MS',
  'PROPERTY_TIMER_DEL_UNIQKEY',
  'PROPERTY_TIMER_DELAY_LEVEL',
  'PROPERTY_TIMER_DELAY_MS',
  'PUSH_REPLY_TIME',
  'CONSUME_CONTEXT_TYPE',
]);
