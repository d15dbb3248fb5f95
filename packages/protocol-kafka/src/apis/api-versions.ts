import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** ApiVersions request (key 18). The client software fields exist from v3 on; null before. */
export interface ApiVersionsRequest {
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
}

/** One API's supported range. */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** ApiVersions response. */
export interface ApiVersionsResponse {
  readonly errorCode: number;
  readonly apiKeys: readonly ApiVersionRange[];
  /** v1+; dropped on v0. */
  readonly throttleTimeMs: number;
}

const MAX_VERSION = 3;
const FLEXIBLE = 3;

/*
 * Request v0–2: empty. v3 (flexible): client_software_name compact string, client_software_version compact
 * string, tagged fields.
 * Response: error_code int16, api_keys [api_key int16, min_version int16, max_version int16 (+ tags v3)],
 * throttle_time_ms int32 (v1+), tagged fields (v3; SupportedFeatures & co. are tags we never write).
 *
 * The response header is always v0 (no tagged fields), even for v3: clients read it before they know the
 * version. A request above v3 should be answered with a v0-shaped body (error UNSUPPORTED_VERSION plus
 * api_keys): encode it with `encodeResponse(writer, 0, …)`; librdkafka and kafkajs then retry lower.
 */
/** Codec of ApiVersions v0–3. */
export const apiVersionsCodec: ApiCodec<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE,

  decodeRequest(reader: KafkaReader, version: number): ApiVersionsRequest {
    checkVersion('ApiVersions', version, 0, MAX_VERSION);
    if (version < FLEXIBLE) return { clientSoftwareName: null, clientSoftwareVersion: null };
    const clientSoftwareName = reader.compactString();
    const clientSoftwareVersion = reader.compactString();
    reader.taggedFields();
    return { clientSoftwareName, clientSoftwareVersion };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: ApiVersionsRequest): void {
    checkVersion('ApiVersions', version, 0, MAX_VERSION);
    if (version < FLEXIBLE) return;
    writer
      .compactString(request.clientSoftwareName ?? '')
      .compactString(request.clientSoftwareVersion ?? '')
      .taggedFields();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: ApiVersionsResponse): void {
    checkVersion('ApiVersions', version, 0, MAX_VERSION);
    writer.int16(response.errorCode);
    if (version >= FLEXIBLE) {
      writer.compactArray(response.apiKeys, (w, api) =>
        w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion).taggedFields(),
      );
    } else {
      writer.array(response.apiKeys, (w, api) => w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion));
    }
    if (version >= 1) writer.int32(response.throttleTimeMs);
    if (version >= FLEXIBLE) writer.taggedFields();
  },

  decodeResponse(reader: KafkaReader, version: number): ApiVersionsResponse {
    checkVersion('ApiVersions', version, 0, MAX_VERSION);
    const errorCode = reader.int16();
    const readRange = (r: KafkaReader): ApiVersionRange => {
      const range = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
      if (version >= FLEXIBLE) r.taggedFields();
      return range;
    };
    const apiKeys = version >= FLEXIBLE ? reader.compactArray(readRange) : reader.array(readRange);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    if (version >= FLEXIBLE) reader.taggedFields();
    return { errorCode, apiKeys, throttleTimeMs };
  },
};
