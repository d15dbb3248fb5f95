import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** A partition whose end offset for a leader epoch is asked for. */
export interface OffsetForLeaderPartition {
  readonly partition: number;
  /** v2+ (fencing); -1 on v0–1. */
  readonly currentLeaderEpoch: number;
  readonly leaderEpoch: number;
}

/** OffsetForLeaderEpoch request (key 23), versions 0–3. */
export interface OffsetForLeaderEpochRequest {
  /** v3+: -1 for a consumer, -2 for a debugging client; -2 on v0–2 (a broker follower used v0–2 without it). */
  readonly replicaId: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly OffsetForLeaderPartition[] }[];
}

/** One partition's outcome. */
export interface EpochEndOffset {
  readonly errorCode: number;
  readonly partition: number;
  /** v1+: the largest epoch ≤ the requested one; -1 on error. */
  readonly leaderEpoch: number;
  /** The end offset of that epoch; -1 on error. */
  readonly endOffset: bigint;
}

/** OffsetForLeaderEpoch response. */
export interface OffsetForLeaderEpochResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly EpochEndOffset[] }[];
}

const MAX_VERSION = 3;

// Request v0–3: replica_id int32 (v3+), topics [topic string, partitions [partition int32,
//   current_leader_epoch int32 (v2+), leader_epoch int32]].
// Response: throttle_time_ms int32 (v2+), topics [topic string, partitions [error_code int16, partition int32,
//   leader_epoch int32 (v1+), end_offset int64]].
/** Codec of OffsetForLeaderEpoch v0–3 (v4+ is flexible and not advertised). */
export const offsetForLeaderEpochCodec: ApiCodec<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): OffsetForLeaderEpochRequest {
    checkVersion('OffsetForLeaderEpoch', version, 0, MAX_VERSION);
    const replicaId = version >= 3 ? reader.int32() : -2;
    const topics = reader.array((r) => ({
      topic: r.string(),
      partitions: r.array((p) => ({
        partition: p.int32(),
        currentLeaderEpoch: version >= 2 ? p.int32() : -1,
        leaderEpoch: p.int32(),
      })),
    }));
    return { replicaId, topics };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: OffsetForLeaderEpochRequest): void {
    checkVersion('OffsetForLeaderEpoch', version, 0, MAX_VERSION);
    if (version >= 3) writer.int32(request.replicaId);
    writer.array(request.topics, (w, topic) => {
      w.string(topic.topic).array(topic.partitions, (p, partition) => {
        p.int32(partition.partition);
        if (version >= 2) p.int32(partition.currentLeaderEpoch);
        p.int32(partition.leaderEpoch);
      });
    });
  },

  encodeResponse(writer: KafkaWriter, version: number, response: OffsetForLeaderEpochResponse): void {
    checkVersion('OffsetForLeaderEpoch', version, 0, MAX_VERSION);
    if (version >= 2) writer.int32(response.throttleTimeMs);
    writer.array(response.topics, (w, topic) => {
      w.string(topic.topic).array(topic.partitions, (p, partition) => {
        p.int16(partition.errorCode).int32(partition.partition);
        if (version >= 1) p.int32(partition.leaderEpoch);
        p.int64(partition.endOffset);
      });
    });
  },

  decodeResponse(reader: KafkaReader, version: number): OffsetForLeaderEpochResponse {
    checkVersion('OffsetForLeaderEpoch', version, 0, MAX_VERSION);
    const throttleTimeMs = version >= 2 ? reader.int32() : 0;
    const topics = reader.array((r) => ({
      topic: r.string(),
      partitions: r.array((p) => ({
        errorCode: p.int16(),
        partition: p.int32(),
        leaderEpoch: version >= 1 ? p.int32() : -1,
        endOffset: p.int64(),
      })),
    }));
    return { throttleTimeMs, topics };
  },
};
