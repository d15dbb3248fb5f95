import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** Metadata request (key 3). */
export interface MetadataRequest {
  /**
   * Topic names; null means all topics. On v0 an empty array means all, so v0's `[]` decodes as null
   * (and null encodes as `[]`); from v1 on `[]` means none.
   */
  readonly topics: readonly string[] | null;
  /** v4+; v0–3 decode as true (those brokers always auto-created). */
  readonly allowAutoTopicCreation: boolean;
  /** v8+; false below (decoded always; omitted = false when encoding). */
  readonly includeClusterAuthorizedOperations?: boolean;
  /** v8+; false below (decoded always; omitted = false when encoding). */
  readonly includeTopicAuthorizedOperations?: boolean;
}

/** A broker in the cluster. */
export interface MetadataBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** v1+. */
  readonly rack: string | null;
}

/** One partition's leadership. */
export interface MetadataPartition {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  /** v7+; -1 (unknown) below and when omitted. */
  readonly leaderEpoch?: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  /** v5+. */
  readonly offlineReplicas: readonly number[];
}

/** One topic. */
export interface MetadataTopic {
  readonly errorCode: number;
  readonly name: string;
  /** v1+. */
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataPartition[];
  /** v8+; {@link AUTHORIZED_OPERATIONS_OMITTED} below, when not requested and when omitted. */
  readonly topicAuthorizedOperations?: number;
}

/** Metadata response. */
export interface MetadataResponse {
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly brokers: readonly MetadataBroker[];
  /** v2+. */
  readonly clusterId: string | null;
  /** v1+; -1 when unknown. */
  readonly controllerId: number;
  readonly topics: readonly MetadataTopic[];
  /** v8+; {@link AUTHORIZED_OPERATIONS_OMITTED} below, when not requested and when omitted. */
  readonly clusterAuthorizedOperations?: number;
}

/** Kafka's authorized-operations value when they were not requested (INT32_MIN). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const FLEXIBLE = 9;
const MAX_VERSION = 9;

/** A string, compact when flexible. */
function writeString(writer: KafkaWriter, flexible: boolean, value: string): void {
  if (flexible) writer.compactString(value);
  else writer.string(value);
}

/** A nullable string, compact when flexible. */
function writeNullableString(writer: KafkaWriter, flexible: boolean, value: string | null): void {
  if (flexible) writer.compactNullableString(value);
  else writer.nullableString(value);
}

/** An array of structs: compact with a tagged-field section after each element when flexible. */
function writeStructs<T>(
  writer: KafkaWriter,
  flexible: boolean,
  items: readonly T[],
  write: (writer: KafkaWriter, item: T) => void,
): void {
  if (flexible) {
    writer.compactArray(items, (w, item) => {
      write(w, item);
      w.taggedFields();
    });
  } else {
    writer.array(items, write);
  }
}

/** An int32 array, compact when flexible. */
function writeInt32s(writer: KafkaWriter, flexible: boolean, items: readonly number[]): void {
  if (flexible) writer.compactArray(items, (w, id) => w.int32(id));
  else writer.array(items, (w, id) => w.int32(id));
}

/** Reads an array of structs: compact with a tagged-field section after each element when flexible. */
function readStructs<T>(reader: KafkaReader, flexible: boolean, read: (reader: KafkaReader) => T): T[] {
  if (!flexible) return reader.array(read);
  return reader.compactArray((r) => {
    const item = read(r);
    r.taggedFields();
    return item;
  });
}

/*
 * Request: topics [name string] (v1+ nullable: null = all), allow_auto_topic_creation bool (v4+),
 * include_cluster_authorized_operations bool (v8+), include_topic_authorized_operations bool (v8+).
 * Response: throttle_time_ms int32 (v3+), brokers [node_id int32, host string, port int32, rack nullable
 * string (v1+)], cluster_id nullable string (v2+), controller_id int32 (v1+), topics [error_code int16,
 * name string, is_internal bool (v1+), partitions [error_code int16, partition_index int32, leader_id int32,
 * leader_epoch int32 (v7+), replica_nodes [int32], isr_nodes [int32], offline_replicas [int32] (v5+)],
 * topic_authorized_operations int32 (v8+)], cluster_authorized_operations int32 (v8+).
 * v6 only changes the quota behaviour. v9 is flexible: compact strings and arrays, a tagged-field section
 * after every struct (request topics are `[name, tags]`) and at the end of both bodies; unknown tags are
 * skipped. v10 adds topic ids (not advertised).
 */
/** Codec of Metadata v0–9. */
export const metadataCodec: ApiCodec<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE,

  decodeRequest(reader: KafkaReader, version: number): MetadataRequest {
    checkVersion('Metadata', version, 0, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    let topics = flexible
      ? reader.compactNullableArray((r) => {
          const name = r.compactString();
          r.taggedFields();
          return name;
        })
      : reader.nullableArray((r) => r.string());
    if (version === 0 && (topics === null || topics.length === 0)) topics = null;
    const allowAutoTopicCreation = version >= 4 ? reader.bool() : true;
    const includeClusterAuthorizedOperations = version >= 8 ? reader.bool() : false;
    const includeTopicAuthorizedOperations = version >= 8 ? reader.bool() : false;
    if (flexible) reader.taggedFields();
    return { topics, allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: MetadataRequest): void {
    checkVersion('Metadata', version, 0, MAX_VERSION);
    const topics = version === 0 ? (request.topics ?? []) : request.topics;
    if (version >= FLEXIBLE) {
      writer.compactNullableArray(topics, (w, name) => w.compactString(name).taggedFields());
    } else {
      writer.nullableArray(topics, (w, name) => w.string(name));
    }
    if (version >= 4) writer.bool(request.allowAutoTopicCreation);
    if (version >= 8) {
      writer
        .bool(request.includeClusterAuthorizedOperations ?? false)
        .bool(request.includeTopicAuthorizedOperations ?? false);
    }
    if (version >= FLEXIBLE) writer.taggedFields();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: MetadataResponse): void {
    checkVersion('Metadata', version, 0, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    if (version >= 3) writer.int32(response.throttleTimeMs);
    writeStructs(writer, flexible, response.brokers, (w, broker) => {
      w.int32(broker.nodeId);
      writeString(w, flexible, broker.host);
      w.int32(broker.port);
      if (version >= 1) writeNullableString(w, flexible, broker.rack);
    });
    if (version >= 2) writeNullableString(writer, flexible, response.clusterId);
    if (version >= 1) writer.int32(response.controllerId);
    writeStructs(writer, flexible, response.topics, (w, topic) => {
      w.int16(topic.errorCode);
      writeString(w, flexible, topic.name);
      if (version >= 1) w.bool(topic.isInternal);
      writeStructs(w, flexible, topic.partitions, (p, partition) => {
        p.int16(partition.errorCode).int32(partition.partitionIndex).int32(partition.leaderId);
        if (version >= 7) p.int32(partition.leaderEpoch ?? -1);
        writeInt32s(p, flexible, partition.replicaNodes);
        writeInt32s(p, flexible, partition.isrNodes);
        if (version >= 5) writeInt32s(p, flexible, partition.offlineReplicas);
      });
      if (version >= 8) w.int32(topic.topicAuthorizedOperations ?? AUTHORIZED_OPERATIONS_OMITTED);
    });
    if (version >= 8) writer.int32(response.clusterAuthorizedOperations ?? AUTHORIZED_OPERATIONS_OMITTED);
    if (flexible) writer.taggedFields();
  },

  decodeResponse(reader: KafkaReader, version: number): MetadataResponse {
    checkVersion('Metadata', version, 0, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    const string = (r: KafkaReader) => (flexible ? r.compactString() : r.string());
    const nullableString = (r: KafkaReader) => (flexible ? r.compactNullableString() : r.nullableString());
    const int32s = (r: KafkaReader) => (flexible ? r.compactArray((n) => n.int32()) : r.array((n) => n.int32()));
    const throttleTimeMs = version >= 3 ? reader.int32() : 0;
    const brokers = readStructs(reader, flexible, (r) => ({
      nodeId: r.int32(),
      host: string(r),
      port: r.int32(),
      rack: version >= 1 ? nullableString(r) : null,
    }));
    const clusterId = version >= 2 ? nullableString(reader) : null;
    const controllerId = version >= 1 ? reader.int32() : -1;
    const topics = readStructs(reader, flexible, (r) => ({
      errorCode: r.int16(),
      name: string(r),
      isInternal: version >= 1 ? r.bool() : false,
      partitions: readStructs(r, flexible, (p) => ({
        errorCode: p.int16(),
        partitionIndex: p.int32(),
        leaderId: p.int32(),
        leaderEpoch: version >= 7 ? p.int32() : -1,
        replicaNodes: int32s(p),
        isrNodes: int32s(p),
        offlineReplicas: version >= 5 ? int32s(p) : [],
      })),
      topicAuthorizedOperations: version >= 8 ? r.int32() : AUTHORIZED_OPERATIONS_OMITTED,
    }));
    const clusterAuthorizedOperations = version >= 8 ? reader.int32() : AUTHORIZED_OPERATIONS_OMITTED;
    if (flexible) reader.taggedFields();
    return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
  },
};
