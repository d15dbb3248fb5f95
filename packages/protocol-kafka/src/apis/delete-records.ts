import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** A topic whose partitions are truncated from the front. */
export interface DeleteRecordsTopic {
  readonly name: string;
  /** `offset`: delete every record below it; -1 means the high watermark. */
  readonly partitions: readonly { readonly partitionIndex: number; readonly offset: bigint }[];
}

/** DeleteRecords request (key 21), versions 0–1. */
export interface DeleteRecordsRequest {
  readonly topics: readonly DeleteRecordsTopic[];
  readonly timeoutMs: number;
}

/** One partition's outcome. */
export interface DeleteRecordsPartitionResult {
  readonly partitionIndex: number;
  /** The partition's new log start offset (-1 on error). */
  readonly lowWatermark: bigint;
  readonly errorCode: number;
}

/** DeleteRecords response. */
export interface DeleteRecordsResponse {
  readonly throttleTimeMs: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly DeleteRecordsPartitionResult[] }[];
}

const MAX_VERSION = 1;

// Request v0–1: topics [name string, partitions [partition_index int32, offset int64]], timeout_ms int32.
// Response: throttle_time_ms int32, topics [name string, partitions [partition_index int32, low_watermark int64,
//   error_code int16]]. v1 only changes quota behaviour.
/** Codec of DeleteRecords v0–1 (v2+ is flexible and not advertised). */
export const deleteRecordsCodec: ApiCodec<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): DeleteRecordsRequest {
    checkVersion('DeleteRecords', version, 0, MAX_VERSION);
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({ partitionIndex: p.int32(), offset: p.int64() })),
    }));
    return { topics, timeoutMs: reader.int32() };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DeleteRecordsRequest): void {
    checkVersion('DeleteRecords', version, 0, MAX_VERSION);
    writer.array(request.topics, (w, topic) => {
      w.string(topic.name).array(topic.partitions, (p, partition) =>
        p.int32(partition.partitionIndex).int64(partition.offset),
      );
    });
    writer.int32(request.timeoutMs);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DeleteRecordsResponse): void {
    checkVersion('DeleteRecords', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs);
    writer.array(response.topics, (w, topic) => {
      w.string(topic.name).array(topic.partitions, (p, partition) =>
        p.int32(partition.partitionIndex).int64(partition.lowWatermark).int16(partition.errorCode),
      );
    });
  },

  decodeResponse(reader: KafkaReader, version: number): DeleteRecordsResponse {
    checkVersion('DeleteRecords', version, 0, MAX_VERSION);
    const throttleTimeMs = reader.int32();
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({ partitionIndex: p.int32(), lowWatermark: p.int64(), errorCode: p.int16() })),
    }));
    return { throttleTimeMs, topics };
  },
};
