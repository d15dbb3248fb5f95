import type { ApiCodec } from '../api.js';
import { checkVersion } from '../api-version.js';
import type { KafkaReader } from '../reader.js';
import type { KafkaWriter } from '../writer.js';

/** DescribeCluster request (key 60), version 0. */
export interface DescribeClusterRequest {
  readonly includeClusterAuthorizedOperations: boolean;
}

/** A broker of the cluster. */
export interface DescribeClusterBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** DescribeCluster response. */
export interface DescribeClusterResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: readonly DescribeClusterBroker[];
  /** A bit field of ACL operations; `-2147483648` (INT32_MIN) means "not asked for". */
  readonly clusterAuthorizedOperations: number;
}

const MAX_VERSION = 0;

// Flexible from v0 (compact strings and arrays, a tagged-field section after every struct).
// Request v0: include_cluster_authorized_operations bool, tags.
// Response v0: throttle_time_ms int32, error_code int16, error_message compact nullable string,
//   cluster_id compact string, controller_id int32, brokers compact [broker_id int32, host compact string,
//   port int32, rack compact nullable string, tags], cluster_authorized_operations int32, tags.
/** Codec of DescribeCluster v0 (v1 adds endpoint types for controllers; not advertised). */
export const describeClusterCodec: ApiCodec<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  flexibleVersion: 0,

  decodeRequest(reader: KafkaReader, version: number): DescribeClusterRequest {
    checkVersion('DescribeCluster', version, 0, MAX_VERSION);
    const includeClusterAuthorizedOperations = reader.bool();
    reader.taggedFields();
    return { includeClusterAuthorizedOperations };
  },

  encodeRequest(writer: KafkaWriter, version: number, request: DescribeClusterRequest): void {
    checkVersion('DescribeCluster', version, 0, MAX_VERSION);
    writer.bool(request.includeClusterAuthorizedOperations).taggedFields();
  },

  encodeResponse(writer: KafkaWriter, version: number, response: DescribeClusterResponse): void {
    checkVersion('DescribeCluster', version, 0, MAX_VERSION);
    writer.int32(response.throttleTimeMs).int16(response.errorCode).compactNullableString(response.errorMessage);
    writer.compactString(response.clusterId).int32(response.controllerId);
    writer.compactArray(response.brokers, (w, broker) =>
      w
        .int32(broker.brokerId)
        .compactString(broker.host)
        .int32(broker.port)
        .compactNullableString(broker.rack)
        .taggedFields(),
    );
    writer.int32(response.clusterAuthorizedOperations).taggedFields();
  },

  decodeResponse(reader: KafkaReader, version: number): DescribeClusterResponse {
    checkVersion('DescribeCluster', version, 0, MAX_VERSION);
    const throttleTimeMs = reader.int32();
    const errorCode = reader.int16();
    const errorMessage = reader.compactNullableString();
    const clusterId = reader.compactString();
    const controllerId = reader.int32();
    const brokers = reader.compactArray((r) => {
      const broker = { brokerId: r.int32(), host: r.compactString(), port: r.int32(), rack: r.compactNullableString() };
      r.taggedFields();
      return broker;
    });
    const clusterAuthorizedOperations = reader.int32();
    reader.taggedFields();
    return { throttleTimeMs, errorCode, errorMessage, clusterId, controllerId, brokers, clusterAuthorizedOperations };
  },
};
