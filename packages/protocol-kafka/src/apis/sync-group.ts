import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** One member's assignment, as the leader sends it. */
export interface SyncGroupRequestAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

/** SyncGroup request (key 14), versions 0–4. */
export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+. */
  readonly groupInstanceId: string | null;
  /** The leader's assignments; empty from followers. */
  readonly assignments: readonly SyncGroupRequestAssignment[];
}

/** SyncGroup response. */
export interface SyncGroupResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  /** This member's assignment (opaque to the broker). */
  readonly assignment: Uint8Array;
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 4;

// Request: group_id string, generation_id int32, member_id string, group_instance_id nullable string (v3+),
// assignments [member_id string, assignment bytes].
// Response: throttle_time_ms int32 (v1+), error_code int16, assignment bytes.
// v4 is v3 made flexible.
/** Codec of SyncGroup v0–4 (v5+ adds protocol type/name; not advertised). */
export const syncGroupCodec: ApiCodec<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): SyncGroupRequest {
    checkVersion('SyncGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupId = f.string();
    const generationId = reader.int32();
    const memberId = f.string();
    const groupInstanceId = version >= 3 ? f.nullableString() : null;
    const assignments = f.array(() => f.struct(() => ({ memberId: f.string(), assignment: f.bytes() })));
    f.tags();
    return { groupId, generationId, memberId, groupInstanceId, assignments };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: SyncGroupRequest): void {
    checkVersion('SyncGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.string(request.groupId);
    writer.int32(request.generationId);
    f.string(request.memberId);
    if (version >= 3) f.nullableString(request.groupInstanceId);
    f.array(request.assignments, (item) => f.string(item.memberId).bytes(item.assignment).tags());
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: SyncGroupResponse): void {
    checkVersion('SyncGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    writer.int16(response.errorCode);
    f.bytes(response.assignment).tags();
  },

  decodeResponse(reader: KafkaReader, version: number): SyncGroupResponse {
    checkVersion('SyncGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const errorCode = reader.int16();
    const assignment = f.bytes();
    f.tags();
    return { throttleTimeMs, errorCode, assignment };
  },
};
