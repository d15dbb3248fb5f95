import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** A topic config name and value as admin requests carry them (AlterConfigs and CreateTopics). */
export interface ConfigEntry {
  readonly name: string;
  /** `null` asks for the default. */
  readonly value: string | null;
}

/** A topic to create. */
export interface CreatableTopic {
  readonly name: string;
  /** -1 with manual assignments, or (v4+) for the broker's default. */
  readonly numPartitions: number;
  /** -1 with manual assignments, or (v4+) for the broker's default. */
  readonly replicationFactor: number;
  /** Manual replica placement: empty for automatic assignment. */
  readonly assignments: readonly { readonly partitionIndex: number; readonly brokerIds: readonly number[] }[];
  readonly configs: readonly ConfigEntry[];
}

/** CreateTopics request (key 19), versions 0–4. */
export interface CreateTopicsRequest {
  readonly topics: readonly CreatableTopic[];
  readonly timeoutMs: number;
  /** v1+: check only, create nothing. False on v0. */
  readonly validateOnly: boolean;
}

/** One topic's outcome. */
export interface CreatableTopicResult {
  readonly name: string;
  readonly errorCode: number;
  /** v1+; dropped on v0. */
  readonly errorMessage: string | null;
}

/** CreateTopics response. */
export interface CreateTopicsResponse {
  /** v2+; dropped on v0–1. */
  readonly throttleTimeMs: number;
  readonly topics: readonly CreatableTopicResult[];
}

const MAX_VERSION = 4;

// Request v0–4: topics [name string, num_partitions int32, replication_factor int16,
//   assignments [partition_index int32, broker_ids [int32]], configs [name string, value nullable string]],
//   timeout_ms int32, validate_only bool (v1+). v4 only changes semantics (-1 counts), not the grammar.
// Response: throttle_time_ms int32 (v2+), topics [name string, error_code int16, error_message nullable string (v1+)].
/** Codec of CreateTopics v0–4 (v5+ is flexible and not advertised). */
export const createTopicsCodec: ApiCodec<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): CreateTopicsRequest {
    checkVersion('CreateTopics', version, 0, MAX_VERSION);
    const topics = reader.array((r) => ({
      name: r.string(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      assignments: r.array((a) => ({ partitionIndex: a.int32(), brokerIds: a.array((b) => b.int32()) })),
      configs: r.array((c) => ({ name: c.string(), value: c.nullableString() })),
    }));
    const timeoutMs = reader.int32();
    const validateOnly = version >= 1 ? reader.bool() : false;
    return { topics, timeoutMs, validateOnly };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: CreateTopicsRequest): void {
    checkVersion('CreateTopics', version, 0, MAX_VERSION);
    writer.array(request.topics, (w, topic) => {
      w.string(topic.name).int32(topic.numPartitions).int16(topic.replicationFactor);
      w.array(topic.assignments, (a, assignment) => {
        a.int32(assignment.partitionIndex).array(assignment.brokerIds, (b, id) => b.int32(id));
      });
      w.array(topic.configs, (c, config) => c.string(config.name).nullableString(config.value));
    });
    writer.int32(request.timeoutMs);
    if (version >= 1) writer.bool(request.validateOnly);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: CreateTopicsResponse): void {
    checkVersion('CreateTopics', version, 0, MAX_VERSION);
    if (version >= 2) writer.int32(response.throttleTimeMs);
    writer.array(response.topics, (w, topic) => {
      w.string(topic.name).int16(topic.errorCode);
      if (version >= 1) w.nullableString(topic.errorMessage);
    });
  },

  decodeResponse(reader: KafkaReader, version: number): CreateTopicsResponse {
    checkVersion('CreateTopics', version, 0, MAX_VERSION);
    const throttleTimeMs = version >= 2 ? reader.int32() : 0;
    const topics = reader.array((r) => ({
      name: r.string(),
      errorCode: r.int16(),
      errorMessage: version >= 1 ? r.nullableString() : null,
    }));
    return { throttleTimeMs, topics };
  },
};
