import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** One partition's offset to commit. */
export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  /** v6+; -1 otherwise. */
  readonly committedLeaderEpoch: number;
  /** v1 only; -1 otherwise. */
  readonly commitTimestamp: bigint;
  readonly committedMetadata: string | null;
}

/** One topic's offsets to commit. */
export interface OffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitRequestPartition[];
}

/** OffsetCommit request (key 8), versions 0–8. */
export interface OffsetCommitRequest {
  readonly groupId: string;
  /** v1+; -1 on v0 and for commits outside the group protocol. */
  readonly generationId: number;
  /** v1+; empty on v0. */
  readonly memberId: string;
  /** v7+. */
  readonly groupInstanceId: string | null;
  /** v2–4; -1 otherwise (the broker's retention applies). */
  readonly retentionTimeMs: bigint;
  readonly topics: readonly OffsetCommitRequestTopic[];
}

/** One partition's outcome. */
export interface OffsetCommitResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

/** One topic's outcomes. */
export interface OffsetCommitResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitResponsePartition[];
}

/** OffsetCommit response. */
export interface OffsetCommitResponse {
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly OffsetCommitResponseTopic[];
}

const MAX_VERSION = 8;
const FLEXIBLE_VERSION = 8;

// Request: group_id string, generation_id int32 (v1+), member_id string (v1+), group_instance_id nullable
// string (v7+), retention_time_ms int64 (v2–4), topics [name string, partitions [partition_index int32,
// committed_offset int64, committed_leader_epoch int32 (v6+), commit_timestamp int64 (v1 only),
// committed_metadata nullable string]].
// Response: throttle_time_ms int32 (v3+), topics [name string, partitions [partition_index int32, error_code int16]].
// v8 is v7 made flexible.
/** Codec of OffsetCommit v0–8 (v9+ is the KIP-848 consumer protocol; not advertised). */
export const offsetCommitCodec: ApiCodec<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): OffsetCommitRequest {
    checkVersion('OffsetCommit', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupId = f.string();
    const generationId = version >= 1 ? reader.int32() : -1;
    const memberId = version >= 1 ? f.string() : '';
    const groupInstanceId = version >= 7 ? f.nullableString() : null;
    const retentionTimeMs = version >= 2 && version <= 4 ? reader.int64() : -1n;
    const topics = f.array(() =>
      f.struct(() => ({
        name: f.string(),
        partitions: f.array(() =>
          f.struct(() => ({
            partitionIndex: reader.int32(),
            committedOffset: reader.int64(),
            committedLeaderEpoch: version >= 6 ? reader.int32() : -1,
            commitTimestamp: version === 1 ? reader.int64() : -1n,
            committedMetadata: f.nullableString(),
          })),
        ),
      })),
    );
    f.tags();
    return { groupId, generationId, memberId, groupInstanceId, retentionTimeMs, topics };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: OffsetCommitRequest): void {
    checkVersion('OffsetCommit', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.string(request.groupId);
    if (version >= 1) {
      writer.int32(request.generationId);
      f.string(request.memberId);
    }
    if (version >= 7) f.nullableString(request.groupInstanceId);
    if (version >= 2 && version <= 4) writer.int64(request.retentionTimeMs);
    f.array(request.topics, (topic) => {
      f.string(topic.name).array(topic.partitions, (partition) => {
        writer.int32(partition.partitionIndex).int64(partition.committedOffset);
        if (version >= 6) writer.int32(partition.committedLeaderEpoch);
        if (version === 1) writer.int64(partition.commitTimestamp);
        f.nullableString(partition.committedMetadata).tags();
      });
      f.tags();
    });
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: OffsetCommitResponse): void {
    checkVersion('OffsetCommit', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 3) writer.int32(response.throttleTimeMs);
    f.array(response.topics, (topic) => {
      f.string(topic.name).array(topic.partitions, (partition) => {
        writer.int32(partition.partitionIndex).int16(partition.errorCode);
        f.tags();
      });
      f.tags();
    });
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): OffsetCommitResponse {
    checkVersion('OffsetCommit', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 3 ? reader.int32() : 0;
    const topics = f.array(() =>
      f.struct(() => ({
        name: f.string(),
        partitions: f.array(() => f.struct(() => ({ partitionIndex: reader.int32(), errorCode: reader.int16() }))),
      })),
    );
    f.tags();
    return { throttleTimeMs, topics };
  },
};
