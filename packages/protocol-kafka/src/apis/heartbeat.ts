import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** Heartbeat request (key 12), versions 0–4. */
export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+. */
  readonly groupInstanceId: string | null;
}

/** Heartbeat response. */
export interface HeartbeatResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 4;

// Request: group_id string, generation_id int32, member_id string, group_instance_id nullable string (v3+).
// Response: throttle_time_ms int32 (v1+), error_code int16.
// v4 is v3 made flexible.
/** Codec of Heartbeat v0–4 (v4 flexible). */
export const heartbeatCodec: ApiCodec<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): HeartbeatRequest {
    checkVersion('Heartbeat', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupId = f.string();
    const generationId = reader.int32();
    const memberId = f.string();
    const groupInstanceId = version >= 3 ? f.nullableString() : null;
    f.tags();
    return { groupId, generationId, memberId, groupInstanceId };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: HeartbeatRequest): void {
    checkVersion('Heartbeat', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.string(request.groupId);
    writer.int32(request.generationId);
    f.string(request.memberId);
    if (version >= 3) f.nullableString(request.groupInstanceId);
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: HeartbeatResponse): void {
    checkVersion('Heartbeat', version, 0, MAX_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    writer.int16(response.errorCode);
    new VersionedWriter(writer, version >= FLEXIBLE_VERSION).tags();
  },

  decodeResponse(reader: KafkaReader, version: number): HeartbeatResponse {
    checkVersion('Heartbeat', version, 0, MAX_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const errorCode = reader.int16();
    new VersionedReader(reader, version >= FLEXIBLE_VERSION).tags();
    return { throttleTimeMs, errorCode };
  },
};
