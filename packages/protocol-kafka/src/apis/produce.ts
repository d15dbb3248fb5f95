import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** One partition's data: the record batches as raw bytes (decode with `decodeRecordBatches`). */
export interface ProducePartitionData {
  readonly index: number;
  readonly records: Uint8Array | null;
}

/** Produce request (key 0). */
export interface ProduceRequest {
  /** v3+. */
  readonly transactionalId: string | null;
  /** 0 (no response), 1 (leader) or -1 (all in-sync replicas). */
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly ProducePartitionData[] }[];
}

/** One partition's outcome. */
export interface ProducePartitionResponse {
  readonly index: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  /** v2+; -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: bigint;
  /** v5+. */
  readonly logStartOffset: bigint;
}

/** Produce response. */
export interface ProduceResponse {
  readonly topics: readonly { readonly name: string; readonly partitions: readonly ProducePartitionResponse[] }[];
  readonly throttleTimeMs: number;
}

const FIRST_IMPLEMENTED = 3;
const MAX_VERSION = 7;

/*
 * Request v3–7: transactional_id nullable string, acks int16, timeout_ms int32, topic_data [name string,
 * partition_data [index int32, records nullable int32-length bytes]]. v0–2 carry message sets v0/v1 and
 * are not implemented (UNSUPPORTED_VERSION); v4–7 change only semantics (v7 permits zstd).
 * Response: responses [name string, partition_responses [index int32, error_code int16, base_offset int64,
 * log_append_time_ms int64, log_start_offset int64 (v5+)]], throttle_time_ms int32.
 */
/** Codec of Produce v3–7 (advertised 0–7). */
export const produceCodec: ApiCodec<ProduceRequest, ProduceResponse> = {
  apiKey: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): ProduceRequest {
    checkVersion('Produce', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const transactionalId = reader.nullableString();
    const acks = reader.int16();
    const timeoutMs = reader.int32();
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
    }));
    return { transactionalId, acks, timeoutMs, topics };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: ProduceRequest): void {
    checkVersion('Produce', version, FIRST_IMPLEMENTED, MAX_VERSION);
    writer.nullableString(request.transactionalId).int16(request.acks).int32(request.timeoutMs);
    writer.array(request.topics, (w, topic) =>
      w
        .string(topic.name)
        .array(topic.partitions, (p, partition) => p.int32(partition.index).nullableBytes(partition.records)),
    );
  },

  encodeResponse(writer: KafkaWriter, version: number, response: ProduceResponse): void {
    checkVersion('Produce', version, FIRST_IMPLEMENTED, MAX_VERSION);
    writer.array(response.topics, (w, topic) =>
      w.string(topic.name).array(topic.partitions, (p, partition) => {
        p.int32(partition.index)
          .int16(partition.errorCode)
          .int64(partition.baseOffset)
          .int64(partition.logAppendTimeMs);
        if (version >= 5) p.int64(partition.logStartOffset);
      }),
    );
    writer.int32(response.throttleTimeMs);
  },

  decodeResponse(reader: KafkaReader, version: number): ProduceResponse {
    checkVersion('Produce', version, FIRST_IMPLEMENTED, MAX_VERSION);
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((p) => ({
        index: p.int32(),
        errorCode: p.int16(),
        baseOffset: p.int64(),
        logAppendTimeMs: p.int64(),
        logStartOffset: version >= 5 ? p.int64() : -1n,
      })),
    }));
    return { topics, throttleTimeMs: reader.int32() };
  },
};
