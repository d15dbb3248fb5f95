/**
 * The shapes `@grpc/proto-loader` produces from and accepts for `apache.rocketmq.v2` messages, with the
 * options in `PROTO_LOADER_OPTIONS`: camelCase names, enums as names, int64 as numbers, and every field
 * optional on decode (a client may leave out anything). Only the fields the gateway reads or writes
 * are listed; the `.proto` files stay the definition.
 */

/** `Code` names the gateway sends (numbers in `docs/rocketmq-compatibility.md`). */
export type CodeName =
  | 'OK'
  | 'MULTIPLE_RESULTS'
  | 'BAD_REQUEST'
  | 'ILLEGAL_TOPIC'
  | 'ILLEGAL_CONSUMER_GROUP'
  | 'ILLEGAL_MESSAGE_KEY'
  | 'ILLEGAL_MESSAGE_PROPERTY_KEY'
  | 'INVALID_TRANSACTION_ID'
  | 'ILLEGAL_FILTER_EXPRESSION'
  | 'ILLEGAL_INVISIBLE_TIME'
  | 'ILLEGAL_DELIVERY_TIME'
  | 'INVALID_RECEIPT_HANDLE'
  | 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'
  | 'UNRECOGNIZED_CLIENT_TYPE'
  | 'CLIENT_ID_REQUIRED'
  | 'ILLEGAL_OFFSET'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'TOPIC_NOT_FOUND'
  | 'MESSAGE_BODY_TOO_LARGE'
  | 'MESSAGE_BODY_EMPTY'
  | 'MESSAGE_PROPERTIES_TOO_LARGE'
  | 'INTERNAL_ERROR'
  | 'NOT_IMPLEMENTED'
  | 'PROXY_TIMEOUT'
  | 'UNSUPPORTED';

/** `Status`. */
export interface WireStatus {
  code: CodeName;
  message: string;
}

/** `google.protobuf.Duration` and `google.protobuf.Timestamp` (same two fields). */
export interface WireTime {
  seconds?: number;
  nanos?: number;
}

/** `Resource`. */
export interface WireResource {
  resourceNamespace?: string;
  name?: string;
}

/** `AddressScheme`. */
export type WireAddressScheme = 'ADDRESS_SCHEME_UNSPECIFIED' | 'IPv4' | 'IPv6' | 'DOMAIN_NAME';

/** `Endpoints`. */
export interface WireEndpoints {
  scheme?: WireAddressScheme;
  addresses?: { host?: string; port?: number }[];
}

/** `Permission`. */
export type WirePermission = 'PERMISSION_UNSPECIFIED' | 'NONE' | 'READ' | 'WRITE' | 'READ_WRITE';

/** `MessageType`. */
export type WireMessageType =
  | 'MESSAGE_TYPE_UNSPECIFIED'
  | 'NORMAL'
  | 'FIFO'
  | 'DELAY'
  | 'TRANSACTION'
  | 'LITE'
  | 'PRIORITY';

/** `Broker`. */
export interface WireBroker {
  name?: string;
  id?: number;
  endpoints?: WireEndpoints;
}

/** `MessageQueue`. */
export interface WireMessageQueue {
  topic?: WireResource;
  id?: number;
  permission?: WirePermission;
  broker?: WireBroker;
  acceptMessageTypes?: WireMessageType[];
}

/** `FilterExpression`; `type` is `FilterType`. */
export interface WireFilterExpression {
  type?: 'FILTER_TYPE_UNSPECIFIED' | 'TAG' | 'SQL';
  expression?: string;
}

/** `SystemProperties`. */
export interface WireSystemProperties {
  tag?: string;
  keys?: string[];
  messageId?: string;
  bodyDigest?: { type?: 'DIGEST_TYPE_UNSPECIFIED' | 'CRC32' | 'MD5' | 'SHA1'; checksum?: string };
  bodyEncoding?: 'ENCODING_UNSPECIFIED' | 'IDENTITY' | 'GZIP';
  messageType?: WireMessageType;
  bornTimestamp?: WireTime;
  bornHost?: string;
  storeTimestamp?: WireTime;
  storeHost?: string;
  deliveryTimestamp?: WireTime;
  receiptHandle?: string;
  queueId?: number;
  queueOffset?: number;
  invisibleDuration?: WireTime;
  deliveryAttempt?: number;
  messageGroup?: string;
  traceContext?: string;
  orphanedTransactionRecoveryDuration?: WireTime;
  liteTopic?: string;
  priority?: number;
}

/** `Message`. */
export interface WireMessage {
  topic?: WireResource;
  userProperties?: Record<string, string>;
  systemProperties?: WireSystemProperties;
  body?: Uint8Array;
}

/** `ClientType`. */
export type WireClientType =
  | 'CLIENT_TYPE_UNSPECIFIED'
  | 'PRODUCER'
  | 'PUSH_CONSUMER'
  | 'SIMPLE_CONSUMER'
  | 'PULL_CONSUMER'
  | 'LITE_PUSH_CONSUMER'
  | 'LITE_SIMPLE_CONSUMER';

/** `RetryPolicy` (only the exponential strategy is sent: the Node client understands no other). */
export interface WireRetryPolicy {
  maxAttempts?: number;
  exponentialBackoff?: { initial?: WireTime; max?: WireTime; multiplier?: number };
}

/** `Settings`. `pubSub` names the set member of the `pub_sub` oneof on decode. */
export interface WireSettings {
  clientType?: WireClientType;
  accessPoint?: WireEndpoints;
  backoffPolicy?: WireRetryPolicy;
  requestTimeout?: WireTime;
  publishing?: { topics?: WireResource[]; maxBodySize?: number; validateMessageType?: boolean };
  subscription?: {
    group?: WireResource;
    subscriptions?: { topic?: WireResource; expression?: WireFilterExpression }[];
    fifo?: boolean;
    receiveBatchSize?: number;
    longPollingTimeout?: WireTime;
  };
  userAgent?: { language?: string; version?: string; platform?: string; hostname?: string };
  pubSub?: 'publishing' | 'subscription';
}

/** `TelemetryCommand`. `command` names the set member of the `command` oneof on decode. */
export interface WireTelemetryCommand {
  status?: WireStatus;
  settings?: WireSettings;
  recoverOrphanedTransactionCommand?: { message?: WireMessage; transactionId?: string };
  command?: string;
}

/** `QueryRouteRequest`. */
export interface QueryRouteRequest {
  topic?: WireResource;
  endpoints?: WireEndpoints;
}

/** `QueryRouteResponse`. */
export interface QueryRouteResponse {
  status: WireStatus;
  messageQueues?: WireMessageQueue[];
}

/** `HeartbeatRequest`. */
export interface HeartbeatRequest {
  group?: WireResource;
  clientType?: WireClientType;
}

/** `SendMessageRequest`. */
export interface SendMessageRequest {
  messages?: WireMessage[];
}

/** `SendResultEntry`. */
export interface SendResultEntry {
  status: WireStatus;
  messageId?: string;
  transactionId?: string;
  offset?: number;
  recallHandle?: string;
}

/** `SendMessageResponse`. */
export interface SendMessageResponse {
  status: WireStatus;
  entries?: SendResultEntry[];
}

/** `QueryAssignmentRequest`. */
export interface QueryAssignmentRequest {
  topic?: WireResource;
  group?: WireResource;
  endpoints?: WireEndpoints;
}

/** `QueryAssignmentResponse`. */
export interface QueryAssignmentResponse {
  status: WireStatus;
  assignments?: { messageQueue?: WireMessageQueue }[];
}

/** `ReceiveMessageRequest`. */
export interface ReceiveMessageRequest {
  group?: WireResource;
  messageQueue?: WireMessageQueue;
  filterExpression?: WireFilterExpression;
  batchSize?: number;
  invisibleDuration?: WireTime;
  autoRenew?: boolean;
  longPollingTimeout?: WireTime;
  attemptId?: string;
}

/** `ReceiveMessageResponse`: exactly one of the three. */
export type ReceiveMessageResponse =
  | { status: WireStatus }
  | { message: WireMessage }
  | { deliveryTimestamp: WireTime };

/** `AckMessageRequest`. */
export interface AckMessageRequest {
  group?: WireResource;
  topic?: WireResource;
  entries?: { messageId?: string; receiptHandle?: string }[];
}

/** `AckMessageResponse`. */
export interface AckMessageResponse {
  status: WireStatus;
  entries?: { messageId?: string; receiptHandle?: string; status: WireStatus }[];
}

/** `ChangeInvisibleDurationRequest`. */
export interface ChangeInvisibleDurationRequest {
  group?: WireResource;
  topic?: WireResource;
  receiptHandle?: string;
  invisibleDuration?: WireTime;
  messageId?: string;
}

/** `ChangeInvisibleDurationResponse`. */
export interface ChangeInvisibleDurationResponse {
  status: WireStatus;
  receiptHandle: string;
}

/** `ForwardMessageToDeadLetterQueueRequest`. */
export interface ForwardMessageToDeadLetterQueueRequest {
  group?: WireResource;
  topic?: WireResource;
  receiptHandle?: string;
  messageId?: string;
  deliveryAttempt?: number;
  maxDeliveryAttempts?: number;
}

/** `EndTransactionRequest`. */
export interface EndTransactionRequest {
  topic?: WireResource;
  messageId?: string;
  transactionId?: string;
  resolution?: 'TRANSACTION_RESOLUTION_UNSPECIFIED' | 'COMMIT' | 'ROLLBACK';
  source?: 'SOURCE_UNSPECIFIED' | 'SOURCE_CLIENT' | 'SOURCE_SERVER_CHECK';
}

/** `NotifyClientTerminationRequest`. */
export interface NotifyClientTerminationRequest {
  group?: WireResource;
}

/** The many responses that are only a status (`HeartbeatResponse`, `EndTransactionResponse`, …). */
export interface StatusOnlyResponse {
  status: WireStatus;
}
