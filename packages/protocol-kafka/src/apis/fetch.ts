import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** One partition to fetch. */
export interface FetchPartition {
  readonly partition: number;
  /** v9+; -1 when absent. */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: bigint;
  /** v12+; -1 below (decoded always; omitted = -1 when encoding). */
  readonly lastFetchedEpoch?: number;
  /** v5+ (a follower's log start; -1 from consumers). */
  readonly logStartOffset: bigint;
  readonly partitionMaxBytes: number;
}

/** Fetch request (key 1). */
export interface FetchRequest {
  readonly replicaId: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  readonly isolationLevel: number;
  /** v7+ (KIP-227 fetch sessions); 0 and -1 when absent. */
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly FetchPartition[] }[];
  /** v7+. */
  readonly forgottenTopics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
  /** v11+; '' when absent. */
  readonly rackId: string;
}

/** An aborted transaction overlapping the returned data. */
export interface FetchAbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** One partition's data. */
export interface FetchPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  /** v5+. */
  readonly logStartOffset: bigint;
  /** null for read_uncommitted (Kafka sends -1 then). */
  readonly abortedTransactions: readonly FetchAbortedTransaction[] | null;
  /** v11+; -1 = none. */
  readonly preferredReadReplica: number;
  /** Concatenated record batches, as stored. */
  readonly records: Uint8Array | null;
  /**
   * Encoding only: the records as pieces to send in order (e.g. batches kept as produced), written by
   * reference without being concatenated. When set, it replaces `records` (which should then be null).
   */
  readonly recordChunks?: readonly Uint8Array[];
}

// Records by reference (KafkaWriter.chunk): the response goes out as pieces, the records not copied.
function writeRecords(writer: KafkaWriter, flexible: boolean, partition: FetchPartitionResponse): void {
  const chunks = partition.recordChunks;
  const records = partition.records;
  if (chunks === undefined && records === null) {
    if (flexible) writer.uvarint(0);
    else writer.int32(-1);
    return;
  }
  const pieces = chunks ?? [records as Uint8Array];
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (flexible) writer.uvarint(length + 1);
  else writer.int32(length);
  for (const piece of pieces) writer.chunk(piece);
}

/** Fetch response. */
export interface FetchResponse {
  readonly throttleTimeMs: number;
  /** v7+. */
  readonly errorCode: number;
  /** v7+; 0 = no session. */
  readonly sessionId: number;
  readonly responses: readonly { readonly topic: string; readonly partitions: readonly FetchPartitionResponse[] }[];
}

const FIRST_IMPLEMENTED = 4;
const FLEXIBLE = 12;
const MAX_VERSION = 12;

/** A string, compact when flexible. */
function writeString(writer: KafkaWriter, flexible: boolean, value: string): void {
  if (flexible) writer.compactString(value);
  else writer.string(value);
}

/** A nullable array of structs: compact with a tagged-field section after each element when flexible. */
function writeStructs<T>(
  writer: KafkaWriter,
  flexible: boolean,
  items: readonly T[] | null,
  write: (writer: KafkaWriter, item: T) => void,
): void {
  if (flexible) {
    writer.compactNullableArray(items, (w, item) => {
      write(w, item);
      w.taggedFields();
    });
  } else {
    writer.nullableArray(items, write);
  }
}

/** Reads a nullable array of structs: compact with a tagged-field section after each element when flexible. */
function readStructs<T>(reader: KafkaReader, flexible: boolean, read: (reader: KafkaReader) => T): T[] | null {
  if (!flexible) return reader.nullableArray(read);
  return reader.compactNullableArray((r) => {
    const item = read(r);
    r.taggedFields();
    return item;
  });
}

/*
 * Request v4–12: replica_id int32, max_wait_ms int32, min_bytes int32, max_bytes int32, isolation_level int8,
 * session_id int32 (v7+), session_epoch int32 (v7+), topics [topic string, partitions [partition int32,
 * current_leader_epoch int32 (v9+), fetch_offset int64, last_fetched_epoch int32 (v12+), log_start_offset
 * int64 (v5+), partition_max_bytes int32]], forgotten_topics_data [topic string, partitions [int32]] (v7+),
 * rack_id string (v11+).
 * Response: throttle_time_ms int32, error_code int16 (v7+), session_id int32 (v7+), responses [topic string,
 * partitions [partition_index int32, error_code int16, high_watermark int64, last_stable_offset int64,
 * log_start_offset int64 (v5+), aborted_transactions nullable [producer_id int64, first_offset int64],
 * preferred_read_replica int32 (v11+), records nullable bytes]].
 * v12 is flexible: compact strings, arrays and records, a tagged-field section after every struct and at the
 * end of both bodies. Tags are skipped on read (request: cluster_id; response partition: diverging_epoch,
 * current_leader, snapshot_id) and never written. v13 replaces topic names with ids (not advertised).
 * v0–3 return message sets v0/v1 and are not implemented (UNSUPPORTED_VERSION).
 */
/** Codec of Fetch v4–12 (advertised 0–12). */
export const fetchCodec: ApiCodec<FetchRequest, FetchResponse> = {
  apiKey: 1,
  name: 'Fetch',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE,

  decodeRequest(reader: KafkaReader, version: number): FetchRequest {
    checkVersion('Fetch', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    const string = (r: KafkaReader) => (flexible ? r.compactString() : r.string());
    const replicaId = reader.int32();
    const maxWaitMs = reader.int32();
    const minBytes = reader.int32();
    const maxBytes = reader.int32();
    const isolationLevel = reader.int8();
    const sessionId = version >= 7 ? reader.int32() : 0;
    const sessionEpoch = version >= 7 ? reader.int32() : -1;
    const topics =
      readStructs(reader, flexible, (r) => ({
        topic: string(r),
        partitions:
          readStructs(
            r,
            flexible,
            (p): FetchPartition => ({
              partition: p.int32(),
              currentLeaderEpoch: version >= 9 ? p.int32() : -1,
              fetchOffset: p.int64(),
              lastFetchedEpoch: version >= 12 ? p.int32() : -1,
              logStartOffset: version >= 5 ? p.int64() : -1n,
              partitionMaxBytes: p.int32(),
            }),
          ) ?? [],
      })) ?? [];
    const forgottenTopics =
      version >= 7
        ? (readStructs(reader, flexible, (r) => ({
            topic: string(r),
            partitions: flexible ? r.compactArray((p) => p.int32()) : r.array((p) => p.int32()),
          })) ?? [])
        : [];
    const rackId = version >= 11 ? string(reader) : '';
    if (flexible) reader.taggedFields();
    return {
      replicaId,
      maxWaitMs,
      minBytes,
      maxBytes,
      isolationLevel,
      sessionId,
      sessionEpoch,
      topics,
      forgottenTopics,
      rackId,
    };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: FetchRequest): void {
    checkVersion('Fetch', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    writer
      .int32(request.replicaId)
      .int32(request.maxWaitMs)
      .int32(request.minBytes)
      .int32(request.maxBytes)
      .int8(request.isolationLevel);
    if (version >= 7) writer.int32(request.sessionId).int32(request.sessionEpoch);
    writeStructs(writer, flexible, request.topics, (w, topic) => {
      writeString(w, flexible, topic.topic);
      writeStructs(w, flexible, topic.partitions, (p, partition) => {
        p.int32(partition.partition);
        if (version >= 9) p.int32(partition.currentLeaderEpoch);
        p.int64(partition.fetchOffset);
        if (version >= 12) p.int32(partition.lastFetchedEpoch ?? -1);
        if (version >= 5) p.int64(partition.logStartOffset);
        p.int32(partition.partitionMaxBytes);
      });
    });
    if (version >= 7) {
      writeStructs(writer, flexible, request.forgottenTopics, (w, topic) => {
        writeString(w, flexible, topic.topic);
        if (flexible) w.compactArray(topic.partitions, (p, partition) => p.int32(partition));
        else w.array(topic.partitions, (p, partition) => p.int32(partition));
      });
    }
    if (version >= 11) writeString(writer, flexible, request.rackId);
    if (flexible) writer.taggedFields();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: FetchResponse): void {
    checkVersion('Fetch', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    writer.int32(response.throttleTimeMs);
    if (version >= 7) writer.int16(response.errorCode).int32(response.sessionId);
    writeStructs(writer, flexible, response.responses, (w, topic) => {
      writeString(w, flexible, topic.topic);
      writeStructs(w, flexible, topic.partitions, (p, partition) => {
        p.int32(partition.partitionIndex)
          .int16(partition.errorCode)
          .int64(partition.highWatermark)
          .int64(partition.lastStableOffset);
        if (version >= 5) p.int64(partition.logStartOffset);
        writeStructs(p, flexible, partition.abortedTransactions, (a, aborted) =>
          a.int64(aborted.producerId).int64(aborted.firstOffset),
        );
        if (version >= 11) p.int32(partition.preferredReadReplica);
        writeRecords(p, flexible, partition);
      });
    });
    if (flexible) writer.taggedFields();
  },

  decodeResponse(reader: KafkaReader, version: number): FetchResponse {
    checkVersion('Fetch', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const flexible = version >= FLEXIBLE;
    const throttleTimeMs = reader.int32();
    const errorCode = version >= 7 ? reader.int16() : 0;
    const sessionId = version >= 7 ? reader.int32() : 0;
    const responses =
      readStructs(reader, flexible, (r) => ({
        topic: flexible ? r.compactString() : r.string(),
        partitions:
          readStructs(
            r,
            flexible,
            (p): FetchPartitionResponse => ({
              partitionIndex: p.int32(),
              errorCode: p.int16(),
              highWatermark: p.int64(),
              lastStableOffset: p.int64(),
              logStartOffset: version >= 5 ? p.int64() : -1n,
              abortedTransactions: readStructs(p, flexible, (a) => ({
                producerId: a.int64(),
                firstOffset: a.int64(),
              })),
              preferredReadReplica: version >= 11 ? p.int32() : -1,
              records: flexible ? p.compactNullableBytes() : p.nullableBytes(),
            }),
          ) ?? [],
      })) ?? [];
    if (flexible) reader.taggedFields();
    return { throttleTimeMs, errorCode, sessionId, responses };
  },
};
