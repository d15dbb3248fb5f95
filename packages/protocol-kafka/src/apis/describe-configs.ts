import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** Kafka's `ConfigResource.Type` codes (DescribeConfigs, AlterConfigs). */
export const ConfigResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** Kafka's `ConfigEntry.ConfigSource` codes (DescribeConfigs v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** A resource whose configs are asked for. */
export interface DescribeConfigsResource {
  /** {@link ConfigResourceType}. */
  readonly resourceType: number;
  readonly resourceName: string;
  /** `null` asks for every config. */
  readonly configurationKeys: readonly string[] | null;
}

/** DescribeConfigs request (key 32), versions 0–2. */
export interface DescribeConfigsRequest {
  readonly resources: readonly DescribeConfigsResource[];
  /** v1+; false on v0. */
  readonly includeSynonyms: boolean;
}

/** Where else a config's value could come from, most specific first (v1+). */
export interface DescribeConfigsSynonym {
  readonly name: string;
  readonly value: string | null;
  /** {@link ConfigSource}. */
  readonly source: number;
}

/** One config of a resource. */
export interface DescribeConfigsEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** Written on v0 only (v1+ says it with `configSource`); on v1+ decodes as `configSource === DEFAULT_CONFIG`. */
  readonly isDefault: boolean;
  /** {@link ConfigSource}; written on v1+ only, decodes as -1 on v0. */
  readonly configSource: number;
  readonly isSensitive: boolean;
  /** v1+; empty unless synonyms were asked for. */
  readonly synonyms: readonly DescribeConfigsSynonym[];
}

/** One resource's outcome. */
export interface DescribeConfigsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly DescribeConfigsEntry[];
}

/** DescribeConfigs response. */
export interface DescribeConfigsResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly DescribeConfigsResult[];
}

const MAX_VERSION = 2;

// Request v0–2: resources [resource_type int8, resource_name string, configuration_keys nullable [string]],
//   include_synonyms bool (v1+).
// Response: throttle_time_ms int32, results [error_code int16, error_message nullable string, resource_type int8,
//   resource_name string, configs [name string, value nullable string, read_only bool, is_default bool (v0 only),
//   config_source int8 (v1+), is_sensitive bool, synonyms [name string, value nullable string, source int8] (v1+)]].
/** Codec of DescribeConfigs v0–2 (v3 adds config types and documentation; not advertised). */
export const describeConfigsCodec: ApiCodec<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: Number.POSITIVE_INFINITY,

  decodeRequest(reader: KafkaReader, version: number): DescribeConfigsRequest {
    checkVersion('DescribeConfigs', version, 0, MAX_VERSION);
    const resources = reader.array((r) => ({
      resourceType: r.int8(),
      resourceName: r.string(),
      configurationKeys: r.nullableArray((k) => k.string()),
    }));
    return { resources, includeSynonyms: version >= 1 ? reader.bool() : false };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DescribeConfigsRequest): void {
    checkVersion('DescribeConfigs', version, 0, MAX_VERSION);
    writer.array(request.resources, (w, resource) => {
      w.int8(resource.resourceType).string(resource.resourceName);
      w.nullableArray(resource.configurationKeys, (k, key) => k.string(key));
    });
    if (version >= 1) writer.bool(request.includeSynonyms);
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DescribeConfigsResponse): void {
    checkVersion('DescribeConfigs', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs);
    writer.array(response.results, (w, result) => {
      w.int16(result.errorCode).nullableString(result.errorMessage);
      w.int8(result.resourceType).string(result.resourceName);
      w.array(result.configs, (c, config) => {
        c.string(config.name).nullableString(config.value).bool(config.readOnly);
        if (version === 0) c.bool(config.isDefault);
        else c.int8(config.configSource);
        c.bool(config.isSensitive);
        if (version >= 1) {
          c.array(config.synonyms, (s, synonym) =>
            s.string(synonym.name).nullableString(synonym.value).int8(synonym.source),
          );
        }
      });
    });
  },

  decodeResponse(reader: KafkaReader, version: number): DescribeConfigsResponse {
    checkVersion('DescribeConfigs', version, 0, MAX_VERSION);
    const throttleTimeMs = reader.int32();
    const results = reader.array((r) => ({
      errorCode: r.int16(),
      errorMessage: r.nullableString(),
      resourceType: r.int8(),
      resourceName: r.string(),
      configs: r.array((c): DescribeConfigsEntry => {
        const name = c.string();
        const value = c.nullableString();
        const readOnly = c.bool();
        const isDefault = version === 0 ? c.bool() : false;
        const configSource = version >= 1 ? c.int8() : -1;
        const isSensitive = c.bool();
        const synonyms =
          version >= 1 ? c.array((s) => ({ name: s.string(), value: s.nullableString(), source: s.int8() })) : [];
        return {
          name,
          value,
          readOnly,
          isDefault: version === 0 ? isDefault : configSource === ConfigSource.DEFAULT_CONFIG,
          configSource,
          isSensitive,
          synonyms,
        };
      }),
    }));
    return { throttleTimeMs, results };
  },
};
