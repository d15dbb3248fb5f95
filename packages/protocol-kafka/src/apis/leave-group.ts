import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** A member leaving (v3+ batches them; v0–2 carry exactly one, without an instance id). */
export interface LeaveGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** LeaveGroup request (key 13), versions 0–4. */
export interface LeaveGroupRequest {
  readonly groupId: string;
  /** One member on v0–2 (encoding v0–2 writes the first one's id). */
  readonly members: readonly LeaveGroupMember[];
}

/** One leaving member's outcome (v3+). */
export interface LeaveGroupMemberResponse extends LeaveGroupMember {
  readonly errorCode: number;
}

/** LeaveGroup response. */
export interface LeaveGroupResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  /** v3+. */
  readonly members: readonly LeaveGroupMemberResponse[];
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 4;

// Request: group_id string, then member_id string (v0–2) or members [member_id string,
// group_instance_id nullable string] (v3+).
// Response: throttle_time_ms int32 (v1+), error_code int16, members [member_id string,
// group_instance_id nullable string, error_code int16] (v3+).
// v4 is v3 made flexible.
/** Codec of LeaveGroup v0–4 (v5+ adds a reason per member; not advertised). */
export const leaveGroupCodec: ApiCodec<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): LeaveGroupRequest {
    checkVersion('LeaveGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupId = f.string();
    if (version < 3) return { groupId, members: [{ memberId: f.string(), groupInstanceId: null }] };
    const members = f.array(() => f.struct(() => ({ memberId: f.string(), groupInstanceId: f.nullableString() })));
    f.tags();
    return { groupId, members };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: LeaveGroupRequest): void {
    checkVersion('LeaveGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.string(request.groupId);
    if (version < 3) f.string(request.members[0]?.memberId ?? '');
    else f.array(request.members, (member) => f.string(member.memberId).nullableString(member.groupInstanceId).tags());
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: LeaveGroupResponse): void {
    checkVersion('LeaveGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    writer.int16(response.errorCode);
    if (version >= 3) {
      f.array(response.members, (member) => {
        f.string(member.memberId).nullableString(member.groupInstanceId);
        writer.int16(member.errorCode);
        f.tags();
      });
    }
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): LeaveGroupResponse {
    checkVersion('LeaveGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const errorCode = reader.int16();
    const members =
      version >= 3
        ? f.array(() =>
            f.struct(() => ({ memberId: f.string(), groupInstanceId: f.nullableString(), errorCode: reader.int16() })),
          )
        : [];
    f.tags();
    return { throttleTimeMs, errorCode, members };
  },
};
