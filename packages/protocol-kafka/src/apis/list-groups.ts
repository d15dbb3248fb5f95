import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** ListGroups request (key 16), versions 0–4. */
export interface ListGroupsRequest {
  /** v4+: only groups in these states (Kafka's names, e.g. `Stable`); empty or absent = every group. */
  readonly statesFilter?: readonly string[];
}

/** One listed group. */
export interface ListedGroup {
  readonly groupId: string;
  /** `consumer` for Kafka consumer groups; empty for groups that only store offsets. */
  readonly protocolType: string;
  /** v4+ (`Empty`, `Stable`, …); encoding v4 without it writes an empty string. */
  readonly groupState?: string;
}

/** ListGroups response. */
export interface ListGroupsResponse {
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly groups: readonly ListedGroup[];
}

const MAX_VERSION = 4;
const FLEXIBLE_VERSION = 3;

// Request: states_filter [string] (v4+).
// Response: throttle_time_ms int32 (v1+), error_code int16, groups [group_id string, protocol_type string,
// group_state string (v4+)].
// v3+ flexible.
/** Codec of ListGroups v0–4 (v5+ adds a group type filter; not advertised). */
export const listGroupsCodec: ApiCodec<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): ListGroupsRequest {
    checkVersion('ListGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const statesFilter = version >= 4 ? f.array(() => f.string()) : undefined;
    f.tags();
    return statesFilter === undefined ? {} : { statesFilter };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: ListGroupsRequest): void {
    checkVersion('ListGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 4) f.array(request.statesFilter ?? [], (state) => f.string(state));
    f.tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: ListGroupsResponse): void {
    checkVersion('ListGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    if (version >= 1) writer.int32(response.throttleTimeMs);
    writer.int16(response.errorCode);
    f.array(response.groups, (group) => {
      f.string(group.groupId).string(group.protocolType);
      if (version >= 4) f.string(group.groupState ?? '');
      f.tags();
    });
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): ListGroupsResponse {
    checkVersion('ListGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = version >= 1 ? reader.int32() : 0;
    const errorCode = reader.int16();
    const groups = f.array(() =>
      f.struct((): ListedGroup => {
        const groupId = f.string();
        const protocolType = f.string();
        return version >= 4 ? { groupId, protocolType, groupState: f.string() } : { groupId, protocolType };
      }),
    );
    f.tags();
    return { throttleTimeMs, errorCode, groups };
  },
};
