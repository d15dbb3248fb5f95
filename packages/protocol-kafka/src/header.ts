import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** The fields of a request header (v1, or v2 for flexible requests). */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Never compact, even in header v2; null when the client sent -1. */
  readonly clientId: string | null;
}

/**
 * Reads a request header: `api_key int16, api_version int16, correlation_id int32, client_id nullable
 * int16-string`, then (header v2, when the request's version is flexible) a tagged-field section that is
 * skipped. Header v0 (no client id) is only used by ControlledShutdown v0, which Eddy does not serve.
 * `isFlexible` decides per (apiKey, version); for an unknown api key it should answer false.
 */
export function decodeRequestHeader(
  reader: KafkaReader,
  isFlexible: (apiKey: number, version: number) => boolean,
): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const clientId = reader.nullableString();
  if (isFlexible(apiKey, apiVersion)) reader.taggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Writes a response header: `correlation_id int32`, plus an empty tagged-field section when `flexible`
 * (header v1). ApiVersions responses always use header v0 (pass `flexible: false`), whatever their version:
 * a client parses the header before it knows which version the broker speaks.
 */
export function encodeResponseHeader(writer: KafkaWriter, correlationId: number, flexible: boolean): void {
  writer.int32(correlationId);
  if (flexible) writer.taggedFields();
}

/** Writes a request header (v1, or v2 when `flexible`); for tests and tools. */
export function encodeRequestHeader(writer: KafkaWriter, header: RequestHeader, flexible: boolean): void {
  writer.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId).nullableString(header.clientId);
  if (flexible) writer.taggedFields();
}

/** Reads a response header (v0, or v1 when `flexible`); for tests and tools. */
export function decodeResponseHeader(reader: KafkaReader, flexible: boolean): { correlationId: number } {
  const correlationId = reader.int32();
  if (flexible) reader.taggedFields();
  return { correlationId };
}
