import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** Special timestamps of a ListOffsets partition. */
export const ListOffsetsTimestamp = {
  /** The end of the log (high watermark, or LSO under read_committed). */
  LATEST: -1n,
  /** The start of the log. */
  EARLIEST: -2n,
} as const;

/** ListOffsets request (key 2). */
export interface ListOffsetsRequest {
  /** -1 for consumers. */
  readonly replicaId: number;
  /** v2+; 0 read_uncommitted, 1 read_committed. */
  readonly isolationLevel: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      /** v4+; -1 below (decoded always; omitted = -1 when encoding). */
      readonly currentLeaderEpoch?: number;
      readonly timestamp: bigint;
    }[];
  }[];
}

/** One partition's answer: the first offset whose timestamp ≥ the requested one, or -1. */
export interface ListOffsetsPartitionResponse {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly timestamp: bigint;
  readonly offset: bigint;
  /** v4+; -1 below (decoded always; omitted = -1 when encoding). */
  readonly leaderEpoch?: number;
}

/** ListOffsets response. */
export interface ListOffsetsResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly ListOffsetsPartitionResponse[] }[];
}

const FIRST_IMPLEMENTED = 1;
const MAX_VERSION = 5;

/*
 * Request v1–5: replica_id int32, isolation_level int8 (v2+), topics [name string, partitions
 * [partition_index int32, current_leader_epoch int32 (v4+), timestamp int64]]. (v0 adds max_num_offsets and
 * answers with an offsets array: not implemented.)
 * Response: throttle_time_ms int32 (v2+), topics [name string, partitions [partition_index int32, error_code
 * int16, timestamp int64, offset int64, leader_epoch int32 (v4+)]].
 * v5 is v4 on the wire (it may answer OFFSET_NOT_AVAILABLE); v6 is flexible (not advertised).
 */
/** Codec of ListOffsets v1–5 (advertised 0–5). */
export const listOffsetsCodec: ApiCodec<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): ListOffsetsRequest {
    checkVersion('ListOffsets', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const replicaId = reader.int32();
    const isolationLevel = version >= 2 ? reader.int8() : 0;
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({
        partitionIndex: p.int32(),
        currentLeaderEpoch: version >= 4 ? p.int32() : -1,
        timestamp: p.int64(),
      })),
    }));
    return { replicaId, isolationLevel, topics };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: ListOffsetsRequest): void {
    checkVersion('ListOffsets', version, FIRST_IMPLEMENTED, MAX_VERSION);
    writer.int32(request.replicaId);
    if (version >= 2) writer.int8(request.isolationLevel);
    writer.array(request.topics, (w, topic) =>
      w.string(topic.name).array(topic.partitions, (p, partition) => {
        p.int32(partition.partitionIndex);
        if (version >= 4) p.int32(partition.currentLeaderEpoch ?? -1);
        p.int64(partition.timestamp);
      }),
    );
  },

  encodeResponse(writer: KafkaWriter, version: number, response: ListOffsetsResponse): void {
    checkVersion('ListOffsets', version, FIRST_IMPLEMENTED, MAX_VERSION);
    if (version >= 2) writer.int32(response.throttleTimeMs);
    writer.array(response.topics, (w, topic) =>
      w.string(topic.name).array(topic.partitions, (p, partition) => {
        p.int32(partition.partitionIndex).int16(partition.errorCode).int64(partition.timestamp).int64(partition.offset);
        if (version >= 4) p.int32(partition.leaderEpoch ?? -1);
      }),
    );
  },

  decodeResponse(reader: KafkaReader, version: number): ListOffsetsResponse {
    checkVersion('ListOffsets', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const throttleTimeMs = version >= 2 ? reader.int32() : 0;
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({
        partitionIndex: p.int32(),
        errorCode: p.int16(),
        timestamp: p.int64(),
        offset: p.int64(),
        leaderEpoch: version >= 4 ? p.int32() : -1,
      })),
    }));
    return { throttleTimeMs, topics };
  },
};
