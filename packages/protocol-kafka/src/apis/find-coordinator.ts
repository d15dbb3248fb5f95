import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** FindCoordinator request (key 10), versions 0–4. */
export interface FindCoordinatorRequest {
  /** The group id (key type 0) or transactional id (key type 1); on v4 the first of {@link coordinatorKeys}. */
  readonly key: string;
  /** v1+: 0 = group, 1 = transaction; 0 on v0. */
  readonly keyType: number;
  /** v4+ (KIP-699): every key asked for; encoding v4 without it sends `[key]`. Absent when decoding v0–3. */
  readonly coordinatorKeys?: readonly string[];
}

/** One key's coordinator (FindCoordinator v4+). */
export interface FindCoordinatorResponseCoordinator {
  readonly key: string;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** FindCoordinator response. */
export interface FindCoordinatorResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  /** v0–3 (decoding v4 copies the first coordinator's). */
  readonly errorCode: number;
  /** v1–3. */
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** v4+: one entry per requested key (encoding v4 without it writes an empty array). */
  readonly coordinators?: readonly FindCoordinatorResponseCoordinator[];
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 3;

// Request: key string (v0–3), key_type int8 (v1+), coordinator_keys [string] (v4+).
// Response: throttle_time_ms int32 (v1+), error_code int16 (v0–3), error_message nullable string (v1–3),
// node_id int32, host string, port int32 (v0–3), coordinators [key string, node_id int32, host string,
// port int32, error_code int16, error_message nullable string] (v4+).
// v3+ flexible: compact strings and arrays, tagged fields after every struct.
/** Codec of FindCoordinator v0–4 (v3+ flexible, v4+ batches keys). */
export const findCoordinatorCodec: ApiCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): FindCoordinatorRequest {
    checkVersion('FindCoordinator', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    if (version >= 4) {
      const keyType = reader.int8();
      const coordinatorKeys = f.array(() => f.string());
      f.tags();
      return { key: coordinatorKeys[0] ?? '', keyType, coordinatorKeys };
    }
    const key = f.string();
    const keyType = version >= 1 ? reader.int8() : 0;
    f.tags();
    return { key, keyType };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: FindCoordinatorRequest): void {
    checkVersion('FindCoordinator', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 4) {
      writer.int8(request.keyType);
      f.array(request.coordinatorKeys ?? [request.key], (key) => f.string(key));
    } else {
      f.string(request.key);
      if (version >= 1) writer.int8(request.keyType);
    }
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: FindCoordinatorResponse): void {
    checkVersion('FindCoordinator', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    if (version >= 4) {
      f.array(response.coordinators ?? [], (c) => {
        f.string(c.key);
        writer.int32(c.nodeId);
        f.string(c.host);
        writer.int32(c.port).int16(c.errorCode);
        f.nullableString(c.errorMessage).tags();
      });
    } else {
      writer.int16(response.errorCode);
      if (version >= 1) f.nullableString(response.errorMessage);
      writer.int32(response.nodeId);
      f.string(response.host);
      writer.int32(response.port);
    }
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): FindCoordinatorResponse {
    checkVersion('FindCoordinator', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    if (version >= 4) {
      const coordinators = f.array(() =>
        f.struct(() => ({
          key: f.string(),
          nodeId: reader.int32(),
          host: f.string(),
          port: reader.int32(),
          errorCode: reader.int16(),
          errorMessage: f.nullableString(),
        })),
      );
      f.tags();
      const first = coordinators[0];
      return {
        throttleTimeMs,
        errorCode: first?.errorCode ?? 0,
        errorMessage: first?.errorMessage ?? null,
        nodeId: first?.nodeId ?? -1,
        host: first?.host ?? '',
        port: first?.port ?? -1,
        coordinators,
      };
    }
    const errorCode = reader.int16();
    const errorMessage = version >= 1 ? f.nullableString() : null;
    const nodeId = reader.int32();
    const host = f.string();
    const port = reader.int32();
    f.tags();
    return { throttleTimeMs, errorCode, errorMessage, nodeId, host, port };
  },
};
