import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** One protocol (assignor) a member supports, with its opaque subscription metadata. */
export interface JoinGroupRequestProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/** JoinGroup request (key 11), versions 0–6. */
export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** v1+; equals the session timeout on v0. */
  readonly rebalanceTimeoutMs: number;
  /** Empty on a member's first join. */
  readonly memberId: string;
  /** v5+ static membership (KIP-345); null otherwise. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupRequestProtocol[];
}

/** A member as the leader sees it in the JoinGroup response. */
export interface JoinGroupResponseMember {
  readonly memberId: string;
  /** v5+. */
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

/** JoinGroup response. */
export interface JoinGroupResponse {
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  /** Non-empty for the leader only. */
  readonly members: readonly JoinGroupResponseMember[];
}

const MAX_VERSION = 6;
const FLEXIBLE_VERSION = 6;

// Request: group_id string, session_timeout_ms int32, rebalance_timeout_ms int32 (v1+), member_id string,
// group_instance_id nullable string (v5+), protocol_type string, protocols [name string, metadata bytes].
// Response: throttle_time_ms int32 (v2+), error_code int16, generation_id int32, protocol_name string,
// leader string, member_id string, members [member_id string, group_instance_id nullable string (v5+),
// metadata bytes].
// v6 is v5 made flexible (compact strings, bytes and arrays; tagged fields after every struct).
/** Codec of JoinGroup v0–6 (v7+ add a nullable protocol type/name, reason, skip_assignment; not advertised). */
export const joinGroupCodec: ApiCodec<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): JoinGroupRequest {
    checkVersion('JoinGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupId = f.string();
    const sessionTimeoutMs = reader.int32();
    const rebalanceTimeoutMs = version >= 1 ? reader.int32() : sessionTimeoutMs;
    const memberId = f.string();
    const groupInstanceId = version >= 5 ? f.nullableString() : null;
    const protocolType = f.string();
    const protocols = f.array(() => f.struct(() => ({ name: f.string(), metadata: f.bytes() })));
    f.tags();
    return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: JoinGroupRequest): void {
    checkVersion('JoinGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.string(request.groupId);
    writer.int32(request.sessionTimeoutMs);
    if (version >= 1) writer.int32(request.rebalanceTimeoutMs);
    f.string(request.memberId);
    if (version >= 5) f.nullableString(request.groupInstanceId);
    f.string(request.protocolType);
    f.array(request.protocols, (protocol) => f.string(protocol.name).bytes(protocol.metadata).tags());
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: JoinGroupResponse): void {
    checkVersion('JoinGroup', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 2) writer.int32(response.throttleTimeMs);
    writer.int16(response.errorCode).int32(response.generationId);
    f.string(response.protocolName).string(response.leader).string(response.memberId);
    f.array(response.members, (member) => {
      f.string(member.memberId);
      if (version >= 5) f.nullableString(member.groupInstanceId);
      f.bytes(member.metadata).tags();
    });
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): JoinGroupResponse {
    checkVersion('JoinGroup', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 2 ? reader.int32() : 0;
    const errorCode = reader.int16();
    const generationId = reader.int32();
    const protocolName = f.string();
    const leader = f.string();
    const memberId = f.string();
    const members = f.array(() =>
      f.struct(() => ({
        memberId: f.string(),
        groupInstanceId: version >= 5 ? f.nullableString() : null,
        metadata: f.bytes(),
      })),
    );
    f.tags();
    return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
  },
};
