/**
 * Eddy's name server role over HTTP/JSON, and the broker side of registration.
 *
 * - {@link startNameServer}: RocketMQ's NameServer as an HTTP/JSON service (default port 9876) over
 *   `NameServerCore` from `@eddy/routing`. Brokers register with their topic tables; clients ask for a
 *   topic's route, the topic list and the cluster. Silent brokers expire (120 s by default) on the
 *   injected clock. Every request is validated with zod; bad input gets a 4xx JSON error naming the
 *   problem, and no client input, aborted request or socket error stops the server.
 * - {@link BrokerRegistrar}: what a broker runs to register with every name server every 30 s, each on
 *   its own schedule with retries and backoff, and to unregister when it stops.
 * - {@link TopicRouteClient}: what a broker runs to read a topic's route over every live broker from the
 *   name servers (first to answer wins, answers validated and cached briefly), so that its own clients
 *   learn the other brokers' queues.
 * - `eddy-namesrv` (this package's bin): a name server from command-line flags, until the server app
 *   hosts the role.
 *
 * It does not replicate: name servers never talk to each other, and keep nothing on disk, so a
 * restarted name server knows the brokers again within one registration interval. It neither selects
 * queues nor allocates them to consumers (that is `@eddy/routing`), and it has no authentication:
 * listen on a trusted network.
 *
 * @packageDocumentation
 */

export { createJsonLogger, type Logger, silentLogger } from '@eddy/message';
export {
  BrokerRegistrar,
  type BrokerRegistrarOptions,
  BrokerRegistrarOptionsSchema,
  DEFAULT_REGISTER_INTERVAL_MS,
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_RETRY_BACKOFF_MS,
  type NameServerStatus,
} from './broker-registrar.js';
export { HostPortSchema } from './host-port.js';
export { HTTP_ERROR_CODES, type HttpErrorBody, type HttpErrorCode } from './http-json.js';
export {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_NAME_SERVER_PORT,
  type NameServerOptions,
  NameServerOptionsSchema,
  type RunningNameServer,
  startNameServer,
} from './name-server.js';
export {
  DEFAULT_ROUTE_CACHE_MS,
  DEFAULT_ROUTE_TIMEOUT_MS,
  TopicRouteClient,
  type TopicRouteClientOptions,
  TopicRouteClientOptionsSchema,
} from './topic-route-client.js';
