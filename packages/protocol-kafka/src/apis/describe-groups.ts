import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** DescribeGroups request (key 15), versions 0–5. */
export interface DescribeGroupsRequest {
  readonly groups: readonly string[];
  /** v3+. */
  readonly includeAuthorizedOperations: boolean;
}

/** A member of a described group. */
export interface DescribedGroupMember {
  readonly memberId: string;
  /** v4+. */
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberMetadata: Uint8Array;
  readonly memberAssignment: Uint8Array;
}

/** One described group. */
export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  /** `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable` or `Dead`. */
  readonly groupState: string;
  readonly protocolType: string;
  /** The selected protocol (assignor) name. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
  /** v3+; INT32_MIN when not asked for. */
  readonly authorizedOperations: number;
}

/** DescribeGroups response. */
export interface DescribeGroupsResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly groups: readonly DescribedGroup[];
}

const MAX_VERSION = 5;
const FLEXIBLE_VERSION = 5;

// Request: groups [string], include_authorized_operations bool (v3+).
// Response: throttle_time_ms int32 (v1+), groups [error_code int16, group_id string, group_state string,
// protocol_type string, protocol_data string, members [member_id string, group_instance_id nullable string
// (v4+), client_id string, client_host string, member_metadata bytes, member_assignment bytes],
// authorized_operations int32 (v3+)].
// v5 is v4 made flexible.
/** Codec of DescribeGroups v0–5 (v6+ adds error messages; not advertised). */
export const describeGroupsCodec: ApiCodec<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): DescribeGroupsRequest {
    checkVersion('DescribeGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groups = f.array(() => f.string());
    const includeAuthorizedOperations = version >= 3 ? reader.bool() : false;
    f.tags();
    return { groups, includeAuthorizedOperations };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DescribeGroupsRequest): void {
    checkVersion('DescribeGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.array(request.groups, (group) => f.string(group));
    if (version >= 3) writer.bool(request.includeAuthorizedOperations);
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DescribeGroupsResponse): void {
    checkVersion('DescribeGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    f.array(response.groups, (group) => {
      writer.int16(group.errorCode);
      f.string(group.groupId).string(group.groupState).string(group.protocolType).string(group.protocolData);
      f.array(group.members, (member) => {
        f.string(member.memberId);
        if (version >= 4) f.nullableString(member.groupInstanceId);
        f.string(member.clientId)
          .string(member.clientHost)
          .bytes(member.memberMetadata)
          .bytes(member.memberAssignment)
          .tags();
      });
      if (version >= 3) writer.int32(group.authorizedOperations);
      f.tags();
    });
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): DescribeGroupsResponse {
    checkVersion('DescribeGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const groups = f.array(() =>
      f.struct(() => ({
        errorCode: reader.int16(),
        groupId: f.string(),
        groupState: f.string(),
        protocolType: f.string(),
        protocolData: f.string(),
        members: f.array(() =>
          f.struct(() => ({
            memberId: f.string(),
            groupInstanceId: version >= 4 ? f.nullableString() : null,
            clientId: f.string(),
            clientHost: f.string(),
            memberMetadata: f.bytes(),
            memberAssignment: f.bytes(),
          })),
        ),
        authorizedOperations: version >= 3 ? reader.int32() : -2147483648,
      })),
    );
    f.tags();
    return { throttleTimeMs, groups };
  },
};
