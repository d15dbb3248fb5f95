import {
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  describeClusterCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaApiHandler } from '../handler.js';

/** "Not asked for" in DescribeCluster's authorized-operations field (INT32_MIN). */
const OPERATIONS_NOT_REQUESTED = -2_147_483_648;

// Kafka's AclOperation codes valid on the cluster resource: CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12. The gateway has no ACLs, so all are allowed.
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, operation) => bits | (1 << operation), 0);

/** DescribeCluster: this single node, which is also the controller; the cluster id from the gateway config. */
export const describeClusterHandler: KafkaApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  codec: describeClusterCodec,
  async handle(request, { state }) {
    const { nodeId, advertisedHost, port, clusterId } = state.config;
    return {
      throttleTimeMs: 0,
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      clusterId,
      controllerId: nodeId,
      brokers: [{ brokerId: nodeId, host: advertisedHost, port, rack: null }],
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? CLUSTER_OPERATIONS
        : OPERATIONS_NOT_REQUESTED,
    };
  },
};
