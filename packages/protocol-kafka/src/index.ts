/**
 * Kafka wire protocol for Eddy, sans-I/O: pure codecs from bytes to typed values and back.
 *
 * - {@link KafkaReader} / {@link KafkaWriter}: Kafka's primitive types (fixed ints, zig-zag and unsigned
 *   varints, classic and compact strings, bytes and arrays, KIP-482 tagged fields). Every read is
 *   bounds-checked before it allocates and fails with {@link KafkaProtocolError}.
 * - {@link ApiCodec}: one object per API (`produceCodec`, `fetchCodec`, …) with the advertised version
 *   range and the four body codecs; {@link decodeRequestHeader} / {@link encodeResponseHeader} for headers.
 * - Record batches v2 (magic 2) with CRC32C, decompression (gzip, snappy raw and xerial, lz4 frame, zstd);
 *   encoding is always uncompressed. {@link scanRecordBatch} checks one produced batch and extracts its
 *   header and each record's key and tag without decoding records into objects, for brokers that store
 *   batches as they came.
 * - {@link KafkaErrorCode}: Kafka's error table by name.
 *
 * It does not open sockets, frame the TCP stream, keep connection state or decide broker semantics: that is
 * `@eddy/gateway-kafka`. Message sets v0/v1 (magic 0/1) are not supported.
 *
 * @packageDocumentation
 */
export { type ApiCodec, isFlexibleVersion } from './api.js';
export { checkVersion } from './api-version.js';
export {
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  addOffsetsToTxnCodec,
} from './apis/add-offsets-to-txn.js';
export {
  type AddPartitionsToTxnPartitionResult,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnTopic,
  type AddPartitionsToTxnTopicResult,
  addPartitionsToTxnCodec,
} from './apis/add-partitions-to-txn.js';
export {
  type AlterConfigsRequest,
  type AlterConfigsResource,
  type AlterConfigsResourceResponse,
  type AlterConfigsResponse,
  alterConfigsCodec,
} from './apis/alter-configs.js';
export {
  type ApiVersionRange,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsCodec,
} from './apis/api-versions.js';
export {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopic,
  type CreatePartitionsTopicResult,
  createPartitionsCodec,
} from './apis/create-partitions.js';
export {
  type ConfigEntry,
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  createTopicsCodec,
} from './apis/create-topics.js';
export {
  type DeletableGroupResult,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  deleteGroupsCodec,
} from './apis/delete-groups.js';
export {
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type DeleteRecordsTopic,
  deleteRecordsCodec,
} from './apis/delete-records.js';
export {
  type DeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  deleteTopicsCodec,
} from './apis/delete-topics.js';
export {
  type DescribeClusterBroker,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  describeClusterCodec,
} from './apis/describe-cluster.js';
export {
  ConfigResourceType,
  ConfigSource,
  type DescribeConfigsEntry,
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  type DescribeConfigsSynonym,
  describeConfigsCodec,
} from './apis/describe-configs.js';
export {
  type DescribedGroup,
  type DescribedGroupMember,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  describeGroupsCodec,
} from './apis/describe-groups.js';
export { type EndTxnRequest, type EndTxnResponse, endTxnCodec } from './apis/end-txn.js';
export {
  type FetchAbortedTransaction,
  type FetchPartition,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  fetchCodec,
} from './apis/fetch.js';
export {
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
  findCoordinatorCodec,
} from './apis/find-coordinator.js';
export { type HeartbeatRequest, type HeartbeatResponse, heartbeatCodec } from './apis/heartbeat.js';
export {
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  initProducerIdCodec,
} from './apis/init-producer-id.js';
export {
  type JoinGroupRequest,
  type JoinGroupRequestProtocol,
  type JoinGroupResponse,
  type JoinGroupResponseMember,
  joinGroupCodec,
} from './apis/join-group.js';
export {
  type LeaveGroupMember,
  type LeaveGroupMemberResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  leaveGroupCodec,
} from './apis/leave-group.js';
export {
  type ListedGroup,
  type ListGroupsRequest,
  type ListGroupsResponse,
  listGroupsCodec,
} from './apis/list-groups.js';
export {
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  ListOffsetsTimestamp,
  listOffsetsCodec,
} from './apis/list-offsets.js';
export {
  AUTHORIZED_OPERATIONS_OMITTED,
  type MetadataBroker,
  type MetadataPartition,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataTopic,
  metadataCodec,
} from './apis/metadata.js';
export {
  type OffsetCommitRequest,
  type OffsetCommitRequestPartition,
  type OffsetCommitRequestTopic,
  type OffsetCommitResponse,
  type OffsetCommitResponsePartition,
  type OffsetCommitResponseTopic,
  offsetCommitCodec,
} from './apis/offset-commit.js';
export {
  type OffsetFetchRequest,
  type OffsetFetchRequestGroup,
  type OffsetFetchRequestTopic,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  type OffsetFetchResponsePartition,
  type OffsetFetchResponseTopic,
  offsetFetchCodec,
} from './apis/offset-fetch.js';
export {
  type EpochEndOffset,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderPartition,
  offsetForLeaderEpochCodec,
} from './apis/offset-for-leader-epoch.js';
export {
  type ProducePartitionData,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  produceCodec,
} from './apis/produce.js';
export {
  type SyncGroupRequest,
  type SyncGroupRequestAssignment,
  type SyncGroupResponse,
  syncGroupCodec,
} from './apis/sync-group.js';
export {
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitRequestPartition,
  type TxnOffsetCommitRequestTopic,
  type TxnOffsetCommitResponse,
  type TxnOffsetCommitResponsePartition,
  type TxnOffsetCommitResponseTopic,
  txnOffsetCommitCodec,
} from './apis/txn-offset-commit.js';
export {
  type CompressionType,
  compressionId,
  compressionOf,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
} from './compression.js';
export {
  invalidRequest,
  isRetriableKafkaError,
  KafkaErrorCode,
  type KafkaErrorName,
  KafkaProtocolError,
  kafkaErrorName,
} from './errors.js';
export {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  type RequestHeader,
} from './header.js';
export { KafkaReader } from './reader.js';
export {
  assembleRecordBatch,
  type ControlRecord,
  type DecodeRecordBatchesOptions,
  decodeControlRecord,
  decodeRecordBatches,
  encodeControlRecord,
  encodeRecordBatch,
  encodeRecordBatches,
  encodeRecords,
  type KafkaRecord,
  type KafkaRecordInit,
  RECORD_BATCH_HEADER_LENGTH,
  type RecordBatch,
  RecordBatchAttribute,
  type RecordBatchHeader,
  type RecordBatchInit,
  type RecordBatchSpan,
  type RecordBatchSpansOptions,
  recordBatchSpans,
} from './record-batch.js';
export { type RecordBatchScan, type ScanRecordBatchOptions, scanRecordBatch } from './record-batch-scan.js';
export { KafkaWriter, uvarintSize, varintSize, varlongSize } from './writer.js';
