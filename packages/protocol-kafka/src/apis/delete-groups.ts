import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';
import { VersionedReader, VersionedWriter } from './versioned-encoding.js';

/** DeleteGroups request (key 42), versions 0–2. */
export interface DeleteGroupsRequest {
  readonly groupsNames: readonly string[];
}

/** One group's outcome. */
export interface DeletableGroupResult {
  readonly groupId: string;
  readonly errorCode: number;
}

/** DeleteGroups response. */
export interface DeleteGroupsResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly DeletableGroupResult[];
}

const MAX_VERSION = 2;
const FLEXIBLE_VERSION = 2;

// Request: groups_names [string]. Response: throttle_time_ms int32, results [group_id string, error_code int16].
// v1 only changes quota behaviour; v2 is v1 made flexible.
/** Codec of DeleteGroups v0–2. */
export const deleteGroupsCodec: ApiCodec<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: FLEXIBLE_VERSION,

  decodeRequest(reader: KafkaReader, version: number): DeleteGroupsRequest {
    checkVersion('DeleteGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const groupsNames = f.array(() => f.string());
    f.tags();
    return { groupsNames };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DeleteGroupsRequest): void {
    checkVersion('DeleteGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    f.array(request.groupsNames, (name) => f.string(name)).tags();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DeleteGroupsResponse): void {
    checkVersion('DeleteGroups', version, 0, MAX_VERSION);
    const f = new VersionedWriter(writer, version >= FLEXIBLE_VERSION);
    writer.int32(response.throttleTimeMs);
    f.array(response.results, (result) => {
      f.string(result.groupId);
      writer.int16(result.errorCode);
      f.tags();
    });
    f.tags();
  },

  decodeResponse(reader: KafkaReader, version: number): DeleteGroupsResponse {
    checkVersion('DeleteGroups', version, 0, MAX_VERSION);
    const f = new VersionedReader(reader, version >= FLEXIBLE_VERSION);
    const throttleTimeMs = reader.int32();
    const results = f.array(() => f.struct(() => ({ groupId: f.string(), errorCode: reader.int16() })));
    f.tags();
    return { throttleTimeMs, results };
  },
};
