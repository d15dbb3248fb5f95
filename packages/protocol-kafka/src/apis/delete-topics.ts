import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** DeleteTopics request (key 20), versions 0–3. */
export interface DeleteTopicsRequest {
  readonly topicNames: readonly string[];
  readonly timeoutMs: number;
}

/** One topic's outcome. */
export interface DeletableTopicResult {
  readonly name: string;
  readonly errorCode: number;
}

/** DeleteTopics response. */
export interface DeleteTopicsResponse {
  /** v1+; dropped on v0. */
  readonly throttleTimeMs: number;
  readonly responses: readonly DeletableTopicResult[];
}

const MAX_VERSION = 3;

// Request v0–3: topic_names [string], timeout_ms int32 (v2–3 only change quota behaviour).
// Response: throttle_time_ms int32 (v1+), responses [name string, error_code int16].
/** Codec of DeleteTopics v0–3 (v4+ is flexible and not advertised). */
export const deleteTopicsCodec: ApiCodec<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): DeleteTopicsRequest {
    checkVersion('DeleteTopics', version, 0, MAX_VERSION);
    const topicNames = reader.array((r) => r.string());
    return { topicNames, timeoutMs: reader.int32() };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DeleteTopicsRequest): void {
    checkVersion('DeleteTopics', version, 0, MAX_VERSION);
    writer.array(request.topicNames, (w, name) => w.string(name)).int32(request.timeoutMs);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DeleteTopicsResponse): void {
    checkVersion('DeleteTopics', version, 0, MAX_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    writer.array(response.responses, (w, topic) => w.string(topic.name).int16(topic.errorCode));
  },

  decodeResponse(reader: KafkaReader, version: number): DeleteTopicsResponse {
    checkVersion('DeleteTopics', version, 0, MAX_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const responses = reader.array((r) => ({ name: r.string(), errorCode: r.int16() }));
    return { throttleTimeMs, responses };
  },
};
