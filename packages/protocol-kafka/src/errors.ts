import { EddyError, type EddyErrorCode } from '@eddy/message';

/**
 * Kafka's error codes by their Kafka names (`org.apache.kafka.common.protocol.Errors`). The wire carries the
 * number; handlers use the names. `NOT_LEADER_OR_FOLLOWER` (6) is what older clients call
 * NOT_LEADER_FOR_PARTITION; `COORDINATOR_*` are the former GROUP_COORDINATOR_* names.
 */
export const KafkaErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
} as const;

/** A Kafka error name, e.g. `'UNKNOWN_TOPIC_OR_PARTITION'`. */
export type KafkaErrorName = keyof typeof KafkaErrorCode;

const NAMES = new Map<number, KafkaErrorName>(
  Object.entries(KafkaErrorCode).map(([name, code]) => [code, name as KafkaErrorName]),
);

/** The Kafka name of an error code (`'UNKNOWN_ERROR_<n>'` for a code not in {@link KafkaErrorCode}). */
export function kafkaErrorName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_ERROR_${code}`;
}

// Kafka's RetriableException subclasses: a client may send the same request again and succeed.
const RETRIABLE = new Set<number>([
  1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 20, 51, 56, 57, 70, 71, 72, 74, 75, 78, 80, 83, 88, 89, 100, 108,
]);

/** True when Kafka clients treat the code as retriable. */
export function isRetriableKafkaError(code: number): boolean {
  return RETRIABLE.has(code);
}

function eddyCodeOf(errorCode: number): EddyErrorCode {
  switch (errorCode) {
    case KafkaErrorCode.CORRUPT_MESSAGE:
      return 'CORRUPT_DATA';
    case KafkaErrorCode.UNSUPPORTED_VERSION:
    case KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE:
    case KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return 'UNSUPPORTED';
    case KafkaErrorCode.MESSAGE_TOO_LARGE:
    case KafkaErrorCode.RECORD_LIST_TOO_LARGE:
      return 'MESSAGE_TOO_LARGE';
    default:
      return 'INVALID_ARGUMENT';
  }
}

/**
 * Thrown by the codecs for input that breaks the wire grammar (`INVALID_REQUEST`, 42), a record batch that
 * fails its checks (`CORRUPT_MESSAGE`, 2), a version or codec we do not implement (`UNSUPPORTED_VERSION`, 35,
 * `UNSUPPORTED_COMPRESSION_TYPE`, 76). `errorCode` is the Kafka code to answer with; `code` is the matching
 * Eddy code, so it is also an {@link EddyError}.
 */
export class KafkaProtocolError extends EddyError {
  /** The Kafka error code the broker should answer with. */
  readonly errorCode: number;

  constructor(errorCode: number, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(eddyCodeOf(errorCode), message, { ...options, retriable: isRetriableKafkaError(errorCode) });
    this.errorCode = errorCode;
  }

  /** True for a KafkaProtocolError, optionally with the given Kafka error code. */
  static isKafka(value: unknown, errorCode?: number): value is KafkaProtocolError {
    return value instanceof KafkaProtocolError && (errorCode === undefined || value.errorCode === errorCode);
  }
}

/** A malformed-input error (`INVALID_REQUEST`). */
export function invalidRequest(message: string, details?: Record<string, unknown>): KafkaProtocolError {
  return new KafkaProtocolError(KafkaErrorCode.INVALID_REQUEST, message, details ? { details } : undefined);
}
