import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import type { ConfigEntry } from './create-topics.js';

/** A resource whose configs are replaced: configs not listed go back to their defaults. */
export interface AlterConfigsResource {
  /** `ConfigResourceType`. */
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly ConfigEntry[];
}

/** AlterConfigs request (key 33), versions 0–1. */
export interface AlterConfigsRequest {
  readonly resources: readonly AlterConfigsResource[];
  readonly validateOnly: boolean;
}

/** One resource's outcome. */
export interface AlterConfigsResourceResponse {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
}

/** AlterConfigs response. */
export interface AlterConfigsResponse {
  readonly throttleTimeMs: number;
  readonly responses: readonly AlterConfigsResourceResponse[];
}

const MAX_VERSION = 1;

// Request v0–1: resources [resource_type int8, resource_name string, configs [name string, value nullable string]],
//   validate_only bool. v1 only changes quota behaviour.
// Response: throttle_time_ms int32, responses [error_code int16, error_message nullable string, resource_type int8,
//   resource_name string].
/** Codec of AlterConfigs v0–1 (v2+ is flexible and not advertised). */
export const alterConfigsCodec: ApiCodec<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): AlterConfigsRequest {
    checkVersion('AlterConfigs', version, 0, MAX_VERSION);
    const resources = reader.array((r) => ({
      resourceType: r.int8(),
      resourceName: r.string(),
      configs: r.array((c) => ({ name: c.string(), value: c.nullableString() })),
    }));
    return { resources, validateOnly: reader.bool() };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: AlterConfigsRequest): void {
    checkVersion('AlterConfigs', version, 0, MAX_VERSION);
    writer.array(request.resources, (w, resource) => {
      w.int8(resource.resourceType).string(resource.resourceName);
      w.array(resource.configs, (c, config) => c.string(config.name).nullableString(config.value));
    });
    writer.bool(request.validateOnly);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: AlterConfigsResponse): void {
    checkVersion('AlterConfigs', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs);
    writer.array(response.responses, (w, result) =>
      w
        .int16(result.errorCode)
        .nullableString(result.errorMessage)
        .int8(result.resourceType)
        .string(result.resourceName),
    );
  },

  decodeResponse(reader: KafkaReader, version: number): AlterConfigsResponse {
    checkVersion('AlterConfigs', version, 0, MAX_VERSION);
    const throttleTimeMs = reader.int32();
    const responses = reader.array((r) => ({
      errorCode: r.int16(),
      errorMessage: r.nullableString(),
      resourceType: r.int8(),
      resourceName: r.string(),
    }));
    return { throttleTimeMs, responses };
  },
};
