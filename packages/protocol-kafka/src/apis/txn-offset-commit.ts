import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** One partition's offset to commit with the transaction. */
export interface TxnOffsetCommitRequestPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  /** v2+; -1 when unknown or on v0–1. */
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

/** One topic's offsets. */
export interface TxnOffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: readonly TxnOffsetCommitRequestPartition[];
}

/** TxnOffsetCommit request (key 28), versions 0–3; sent to the group coordinator. */
export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /**
   * v3+ (KIP-447): the producer's consumer-group generation; -1 when unknown. Decoded only on v3+ (absent
   * on v0–2); encoded on v3+ as -1 when absent.
   */
  readonly generationId?: number;
  /** v3+: the producer's consumer-group member id; '' when unknown. Absent on v0–2; '' when encoded absent. */
  readonly memberId?: string;
  /** v3+: the static member id (KIP-345), null when none. Absent on v0–2; null when encoded absent. */
  readonly groupInstanceId?: string | null;
  readonly topics: readonly TxnOffsetCommitRequestTopic[];
}

/** One partition's outcome. */
export interface TxnOffsetCommitResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

/** One topic's outcomes. */
export interface TxnOffsetCommitResponseTopic {
  readonly name: string;
  readonly partitions: readonly TxnOffsetCommitResponsePartition[];
}

/** TxnOffsetCommit response. */
export interface TxnOffsetCommitResponse {
  readonly throttleTimeMs: number;
  readonly topics: readonly TxnOffsetCommitResponseTopic[];
}

const MAX_VERSION = 3;
const FLEXIBLE_VERSION = 3;

// Request v0–3: transactional_id string, group_id string, producer_id int64, producer_epoch int16,
// generation_id int32 (v3+), member_id string (v3+), group_instance_id nullable string (v3+),
// topics [name string, partitions [partition_index int32, committed_offset int64,
// committed_leader_epoch int32 (v2+), committed_metadata nullable string]].
// Response: throttle_time_ms int32, topics [name string, partitions [partition_index int32, error_code int16]].
// v3 is flexible (compact strings/arrays, a tagged-field section after every struct and the body).
// v4 only allows TRANSACTION_ABORTABLE; it is not advertised.
/** Codec of TxnOffsetCommit v0–3. */
export const txnOffsetCommitCodec: ApiCodec<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): TxnOffsetCommitRequest {
    checkVersion('TxnOffsetCommit', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const transactionalId = v.string();
    const groupId = v.string();
    const producerId = reader.int64();
    const producerEpoch = reader.int16();
    const membership =
      version >= 3 ? { generationId: reader.int32(), memberId: v.string(), groupInstanceId: v.nullableString() } : {};
    const topics = v.array(() =>
      v.struct(() => ({
        name: v.string(),
        partitions: v.array(() =>
          v.struct(() => ({
            partitionIndex: reader.int32(),
            committedOffset: reader.int64(),
            committedLeaderEpoch: version >= 2 ? reader.int32() : -1,
            committedMetadata: v.nullableString(),
          })),
        ),
      })),
    );
    v.tags();
    return { transactionalId, groupId, producerId, producerEpoch, ...membership, topics };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: TxnOffsetCommitRequest): void {
    checkVersion('TxnOffsetCommit', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    v.string(request.transactionalId).string(request.groupId);
    writer.int64(request.producerId).int16(request.producerEpoch);
    if (version >= 3) {
      writer.int32(request.generationId ?? -1);
      v.string(request.memberId ?? '').nullableString(request.groupInstanceId ?? null);
    }
    v.array(request.topics, (topic) => {
      v.string(topic.name).array(topic.partitions, (partition) => {
        writer.int32(partition.partitionIndex).int64(partition.committedOffset);
        if (version >= 2) writer.int32(partition.committedLeaderEpoch);
        v.nullableString(partition.committedMetadata).tags();
      });
      v.tags();
    });
    v.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: TxnOffsetCommitResponse): void {
    checkVersion('TxnOffsetCommit', version, 0, MAX_VERSION);
    const v = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    writer.int32(response.throttleTimeMs);
    v.array(response.topics, (topic) => {
      v.string(topic.name).array(topic.partitions, (partition) => {
        writer.int32(partition.partitionIndex).int16(partition.errorCode);
        v.tags();
      });
      v.tags();
    });
    v.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): TxnOffsetCommitResponse {
    checkVersion('TxnOffsetCommit', version, 0, MAX_VERSION);
    const v = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    return v.struct(() => ({
      throttleTimeMs: reader.int32(),
      topics: v.array(() =>
        v.struct(() => ({
          name: v.string(),
          partitions: v.array(() => v.struct(() => ({ partitionIndex: reader.int32(), errorCode: reader.int16() }))),
        })),
      ),
    }));
  },
};
