import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** A topic to grow. */
export interface CreatePartitionsTopic {
  readonly name: string;
  /** The new total partition count. */
  readonly count: number;
  /** Replica placement of each new partition, or `null` for automatic placement. */
  readonly assignments: readonly { readonly brokerIds: readonly number[] }[] | null;
}

/** CreatePartitions request (key 37), versions 0–1. */
export interface CreatePartitionsRequest {
  readonly topics: readonly CreatePartitionsTopic[];
  readonly timeoutMs: number;
  readonly validateOnly: boolean;
}

/** One topic's outcome. */
export interface CreatePartitionsTopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** CreatePartitions response: one result per requested topic, always. */
export interface CreatePartitionsResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly CreatePartitionsTopicResult[];
}

const MAX_VERSION = 1;

// Request v0–1: topics [name string, count int32, assignments nullable [broker_ids [int32]]],
//   timeout_ms int32, validate_only bool. v1 only changes quota behaviour.
// Response: throttle_time_ms int32, results [name string, error_code int16, error_message nullable string].
/** Codec of CreatePartitions v0–1 (v2+ is flexible and not advertised). */
export const createPartitionsCodec: ApiCodec<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): CreatePartitionsRequest {
    checkVersion('CreatePartitions', version, 0, MAX_VERSION);
    const topics = reader.array((r) => ({
      name: r.string(),
      count: r.int32(),
      assignments: r.nullableArray((a) => ({ brokerIds: a.array((b) => b.int32()) })),
    }));
    const timeoutMs = reader.int32();
    return { topics, timeoutMs, validateOnly: reader.bool() };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: CreatePartitionsRequest): void {
    checkVersion('CreatePartitions', version, 0, MAX_VERSION);
    writer.array(request.topics, (w, topic) => {
      w.string(topic.name).int32(topic.count);
      w.nullableArray(topic.assignments, (a, assignment) => a.array(assignment.brokerIds, (b, id) => b.int32(id)));
    });
    writer.int32(request.timeoutMs).bool(request.validateOnly);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: CreatePartitionsResponse): void {
    checkVersion('CreatePartitions', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs);
    writer.array(response.results, (w, result) =>
      w.string(result.name).int16(result.errorCode).nullableString(result.errorMessage),
    );
  },

  decodeResponse(reader: KafkaReader, version: number): CreatePartitionsResponse {
    checkVersion('CreatePartitions', version, 0, MAX_VERSION);
    const throttleTimeMs = reader.int32();
    const results = reader.array((r) => ({ name: r.string(), errorCode: r.int16(), errorMessage: r.nullableString() }));
    return { throttleTimeMs, results };
  },
};
