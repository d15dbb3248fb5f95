/**
 * Apache RocketMQ 5's gRPC protocol (`apache.rocketmq.v2.MessagingService`) in front of an Eddy broker,
 * so that the official RocketMQ 5 clients (checked against `rocketmq-client-nodejs` 1.0.8) produce and
 * consume through Eddy unchanged.
 *
 * - {@link startRocketMqGateway} serves every RPC those clients call: QueryRoute, Heartbeat, Telemetry
 *   (settings and transaction check-backs), SendMessage (normal, FIFO, delay, transactional),
 *   QueryAssignment, ReceiveMessage, AckMessage, ChangeInvisibleDuration,
 *   ForwardMessageToDeadLetterQueue, EndTransaction and NotifyClientTermination.
 * - {@link ROCKETMQ_CODE_OF_ERROR}: the one table from Eddy error codes to RocketMQ status codes.
 *
 * It does not offer offset-based pull (PullMessage, UpdateOffset, GetOffset, QueryOffset), recalling
 * delay messages, lite topics, priority messages, namespaces, TLS or authentication: those RPCs answer
 * NOT_IMPLEMENTED. Routes (QueryRoute, QueryAssignment) list the topic's queues on every live broker
 * when given a cluster route lookup (a name server's `TopicRouteData`), each broker with its own
 * endpoint, so that producers fail over to other brokers; without one they name this broker alone.
 * Each broker serves only its own queues, and the client's queue choice is ignored (the broker picks
 * the queue on itself, as RocketMQ's proxy does).
 *
 * Guarantees: every response carries an explicit status (never code 0); no client input makes an
 * exception escape a handler or stop the server; a receive stream always ends before the client's
 * deadline; messages of push consumers stay invisible while their consumer lives (renewed), and are
 * handed back at once when a receive is cancelled.
 *
 * @packageDocumentation
 */
export type { ClusterRouteLookup, ClusterTopicRoute } from './cluster-route.js';
export { ROCKETMQ_CODE_OF_ERROR } from './error-status.js';
export {
  type RocketMqGateway,
  RocketMqGatewayConfigSchema,
  type RocketMqGatewayOptions,
  startRocketMqGateway,
} from './gateway.js';
export type { ObserveCall } from './rpc-adapters.js';
