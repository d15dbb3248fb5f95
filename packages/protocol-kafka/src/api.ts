import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/**
 * The codec of one Kafka API across its versions: pure functions over a reader or writer, body only (the
 * request and response headers are {@link decodeRequestHeader} / {@link encodeResponseHeader}'s job).
 * A codec may implement fewer versions than it advertises; it then throws `UNSUPPORTED_VERSION` (35) from
 * the functions for the versions it does not implement (see `checkVersion` in api-version.ts).
 */
export interface ApiCodec<Req, Res> {
  /** Kafka's api key, e.g. 0 for Produce. */
  readonly apiKey: number;
  /** Kafka's name for the API, e.g. `'Produce'`. */
  readonly name: string;
  /** Lowest version advertised in ApiVersions (0 for every API: librdkafka gates features on low versions). */
  readonly minVersion: number;
  /** Highest version advertised in ApiVersions and implemented. */
  readonly maxVersion: number;
  /** First flexible (KIP-482) version; `Infinity` when none of the advertised versions is flexible. */
  readonly flexibleVersion: number;
  /** Reads a request body (after the request header). Throws {@link KafkaProtocolError}. */
  decodeRequest(reader: KafkaReader, version: number): Req;
  /** Writes a response body (after the response header). */
  encodeResponse(writer: KafkaWriter, version: number, response: Res): void;
  /** Writes a request body; for tests and tools. */
  encodeRequest(writer: KafkaWriter, version: number, request: Req): void;
  /** Reads a response body; for tests and tools. */
  decodeResponse(reader: KafkaReader, version: number): Res;
}

/** True when `version` of the codec's API uses the flexible (KIP-482) encoding and headers. */
export function isFlexibleVersion(
  codec: Pick<ApiCodec<unknown, unknown>, 'flexibleVersion'>,
  version: number,
): boolean {
  return version >= codec.flexibleVersion;
}
