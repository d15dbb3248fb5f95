import {
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
  findCoordinatorCodec,
  KafkaErrorCode,
} from '@eddy/protocol-kafka';
import type { KafkaGatewayConfig } from '../gateway-state.js';
import type { KafkaApiHandler } from '../handler.js';

// Group (0) and transaction (1) coordinators; both are this node, the whole cluster.
const KEY_TYPES = new Set([0, 1]);

/** FindCoordinator: this node coordinates every group and every transactional id (v4+: each key asked for). */
export const findCoordinatorHandler: KafkaApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  codec: findCoordinatorCodec,
  async handle(request, context) {
    const { config } = context.state;
    const answer = (key: string) => coordinatorFor(config, key, request.keyType);
    const { key: _key, ...first } = answer(request.key);
    const response: FindCoordinatorResponse = { throttleTimeMs: 0, ...first };
    if (context.apiVersion < 4) return response;
    return { ...response, coordinators: (request.coordinatorKeys ?? [request.key]).map(answer) };
  },
};

function coordinatorFor(config: KafkaGatewayConfig, key: string, keyType: number): FindCoordinatorResponseCoordinator {
  if (!KEY_TYPES.has(keyType)) {
    return {
      key,
      errorCode: KafkaErrorCode.INVALID_REQUEST,
      errorMessage: `unknown coordinator key type ${keyType}`,
      nodeId: -1,
      host: '',
      port: -1,
    };
  }
  return {
    key,
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    nodeId: config.nodeId,
    host: config.advertisedHost,
    port: config.port,
  };
}
