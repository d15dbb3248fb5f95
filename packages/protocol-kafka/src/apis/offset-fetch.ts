import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** The partitions of one topic whose committed offsets are asked for. */
export interface OffsetFetchRequestTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

/** One group's offsets asked for (OffsetFetch v8+). */
export interface OffsetFetchRequestGroup {
  readonly groupId: string;
  /** null = every partition the group has committed offsets for. */
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
}

/** OffsetFetch request (key 9), versions 1–8 (0 is advertised but not decoded: it read ZooKeeper offsets). */
export interface OffsetFetchRequest {
  /** v0–7; on v8 the first of {@link groups} (empty when none). */
  readonly groupId: string;
  /** null (v2+) = every partition the group has committed offsets for; on v8 the first group's. */
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
  /** v7+ (KIP-447); absent when decoding v1–6, false when absent. */
  readonly requireStable?: boolean;
  /** v8+: every group asked for; encoding v8 without it sends `[{ groupId, topics }]`. Absent when decoding v1–7. */
  readonly groups?: readonly OffsetFetchRequestGroup[];
}

/** One partition's committed offset. */
export interface OffsetFetchResponsePartition {
  readonly partitionIndex: number;
  /** -1 when nothing was committed. */
  readonly committedOffset: bigint;
  /** v5+; -1 when unknown. */
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: number;
}

/** One topic's committed offsets. */
export interface OffsetFetchResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetFetchResponsePartition[];
}

/** One group's committed offsets (OffsetFetch v8+). */
export interface OffsetFetchResponseGroup {
  readonly groupId: string;
  readonly topics: readonly OffsetFetchResponseTopic[];
  /** The group-level error. */
  readonly errorCode: number;
}

/** OffsetFetch response. */
export interface OffsetFetchResponse {
  /** v3+. */
  readonly throttleTimeMs: number;
  /** v0–7 (decoding v8 copies the first group's). */
  readonly topics: readonly OffsetFetchResponseTopic[];
  /** v2–7 top-level error (decoding v8 copies the first group's). */
  readonly errorCode: number;
  /** v8+: one entry per group asked for (encoding v8 without it writes an empty array). */
  readonly groups?: readonly OffsetFetchResponseGroup[];
}

const MAX_VERSION = 8;
const FLEXIBLE_VERSION = 6;

// Request v1–7: group_id string, topics [name string, partition_indexes [int32]] (nullable from v2: null = all),
// require_stable bool (v7+). v8: groups [group_id string, topics nullable [name string, partition_indexes
// [int32]]], require_stable bool.
// Response v1–7: throttle_time_ms int32 (v3+), topics [name string, partitions [partition_index int32,
// committed_offset int64, committed_leader_epoch int32 (v5+), metadata nullable string, error_code int16]],
// error_code int16 (v2+). v8: throttle_time_ms int32, groups [group_id string, topics [same as above],
// error_code int16].
// v6+ flexible.
/** Codec of OffsetFetch v1–8; v0 is advertised (librdkafka gates on it) but answers UNSUPPORTED_VERSION. */
export const offsetFetchCodec: ApiCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): OffsetFetchRequest {
    checkVersion('OffsetFetch', version, 1, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const readTopic = (): OffsetFetchRequestTopic =>
      f.struct(() => ({ name: f.string(), partitionIndexes: f.array(() => reader.int32()) }));
    if (version >= 8) {
      const groups = f.array(() => f.struct(() => ({ groupId: f.string(), topics: f.nullableArray(readTopic) })));
      const requireStable = reader.bool();
      f.tags();
      const first = groups[0];
      return { groupId: first?.groupId ?? '', topics: first?.topics ?? null, requireStable, groups };
    }
    const groupId = f.string();
    const topics = version >= 2 ? f.nullableArray(readTopic) : f.array(readTopic);
    if (version < 7) {
      f.tags();
      return { groupId, topics };
    }
    const requireStable = reader.bool();
    f.tags();
    return { groupId, topics, requireStable };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: OffsetFetchRequest): void {
    checkVersion('OffsetFetch', version, 1, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    const writeTopic = (topic: OffsetFetchRequestTopic): void => {
      f.string(topic.name).array(topic.partitionIndexes, (index) => writer.int32(index));
      f.tags();
    };
    if (version >= 8) {
      const groups = request.groups ?? [{ groupId: request.groupId, topics: request.topics }];
      f.array(groups, (group) => f.string(group.groupId).nullableArray(group.topics, writeTopic).tags());
    } else {
      f.string(request.groupId);
      if (version >= 2) f.nullableArray(request.topics, writeTopic);
      else f.array(request.topics ?? [], writeTopic);
    }
    if (version >= 7) writer.bool(request.requireStable ?? false);
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: OffsetFetchResponse): void {
    checkVersion('OffsetFetch', version, 1, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    const writeTopic = (topic: OffsetFetchResponseTopic): void => {
      f.string(topic.name).array(topic.partitions, (partition) => {
        writer.int32(partition.partitionIndex).int64(partition.committedOffset);
        if (version >= 5) writer.int32(partition.committedLeaderEpoch);
        f.nullableString(partition.metadata);
        writer.int16(partition.errorCode);
        f.tags();
      });
      f.tags();
    };
    if (version >= 3) writer.int32(response.throttleTimeMs);
    if (version >= 8) {
      f.array(response.groups ?? [], (group) => {
        f.string(group.groupId).array(group.topics, writeTopic);
        writer.int16(group.errorCode);
        f.tags();
      });
    } else {
      f.array(response.topics, writeTopic);
      if (version >= 2) writer.int16(response.errorCode);
    }
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): OffsetFetchResponse {
    checkVersion('OffsetFetch', version, 1, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const readTopic = (): OffsetFetchResponseTopic =>
      f.struct(() => ({
        name: f.string(),
        partitions: f.array(() =>
          f.struct(() => ({
            partitionIndex: reader.int32(),
            committedOffset: reader.int64(),
            committedLeaderEpoch: version >= 5 ? reader.int32() : -1,
            metadata: f.nullableString(),
            errorCode: reader.int16(),
          })),
        ),
      }));
    const throttleTimeMs = version >= 3 ? reader.int32() : 0;
    if (version >= 8) {
      const groups = f.array(() =>
        f.struct(() => ({ groupId: f.string(), topics: f.array(readTopic), errorCode: reader.int16() })),
      );
      f.tags();
      const first = groups[0];
      return { throttleTimeMs, topics: first?.topics ?? [], errorCode: first?.errorCode ?? 0, groups };
    }
    const topics = f.array(readTopic);
    const errorCode = version >= 2 ? reader.int16() : 0;
    f.tags();
    return { throttleTimeMs, topics, errorCode };
  },
};
