import type { Broker } from '@eddy/broker';
import { EddyError, type Logger, parseWithSchema } from '@eddy/message';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { z } from 'zod';
import { ClientRegistry } from './client-registry.js';
import { type ClusterRouteLookup, tolerantLookup } from './cluster-route.js';
import { endpointOf, type GatewayContext } from './gateway-context.js';
import { ackMessage } from './handlers/ack-message.js';
import { changeInvisibleDuration } from './handlers/change-invisible-duration.js';
import { endTransaction } from './handlers/end-transaction.js';
import { forwardToDeadLetter } from './handlers/forward-to-dead-letter.js';
import { heartbeat } from './handlers/heartbeat.js';
import { notifyClientTermination } from './handlers/notify-client-termination.js';
import { queryAssignment } from './handlers/query-assignment.js';
import { queryRoute } from './handlers/query-route.js';
import { receiveMessage } from './handlers/receive-message.js';
import { sendMessage } from './handlers/send-message.js';
import { serveTelemetry } from './handlers/telemetry.js';
import { notImplemented, UNSUPPORTED_RPCS } from './handlers/unimplemented.js';
import { InvisibilityRenewer } from './invisibility-renewer.js';
import { loadMessagingService } from './proto/load-messaging-service.js';
import type {
  ChangeInvisibleDurationRequest,
  ChangeInvisibleDurationResponse,
  ReceiveMessageResponse,
  WireTelemetryCommand,
} from './proto/wire-types.js';
import { AUTO_RENEW_INVISIBLE_MS } from './receive-options.js';
import type { AdvertisedBroker } from './route.js';
import { type AdapterOptions, bidiStream, type ObserveCall, serverStream, unary } from './rpc-adapters.js';
import { DEFAULT_MAX_LONG_POLLING_MS } from './settings-reply.js';

/** The configurable options of {@link startRocketMqGateway}, for config files. */
export const RocketMqGatewayConfigSchema = z
  .object({
    /** Address to listen on. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port to listen on; 0 picks a free one (see {@link RocketMqGateway.port}). RocketMQ's proxy uses 8081. */
    port: z.number().int().min(0).max(65535),
    /**
     * Host clients are told to connect to (in routes): clients send and receive through the route's
     * endpoints, not the address they were configured with. Default: `host`, or 127.0.0.1 when `host`
     * is a wildcard (0.0.0.0, ::), in which case remote clients need this set.
     */
    advertisedHost: z.string().min(1).optional(),
    /**
     * The longest a receive waits for messages, ms, and the long-polling time push consumers are told
     * to use (RocketMQ proxy's `grpcClientConsumerMaxLongPollingTimeoutMillis`, 20 s).
     */
    maxLongPollingMs: z.number().int().min(0).max(60_000).default(DEFAULT_MAX_LONG_POLLING_MS),
  })
  .strict();

/** Options of {@link startRocketMqGateway}: the configuration plus what code injects. */
export interface RocketMqGatewayOptions extends z.input<typeof RocketMqGatewayConfigSchema> {
  readonly broker: Broker;
  /** Default: the broker's logger. */
  readonly logger?: Logger;
  /** Called once per finished unary call and per stream, e.g. to feed a latency histogram. */
  readonly observe?: ObserveCall;
  /**
   * The topic's queues on every live broker (e.g. a name server's `TopicRouteData`): routes then list
   * every broker's queues with its own endpoint. Absent: this broker is the whole cluster. A lookup that
   * rejects, or knows nothing of the topic, leaves the route to this broker alone.
   */
  readonly clusterRoute?: ClusterRouteLookup;
}

/** A running gateway. */
export interface RocketMqGateway {
  /** The port it listens on (the one picked when asked for 0). */
  readonly port: number;
  /** `advertisedHost:port`: what clients put in `endpoints`. */
  readonly endpoint: string;
  /**
   * Stops accepting calls, ends Telemetry streams, lets calls in flight finish, and forces the rest
   * closed after `graceMs` (default 5000). The broker is not closed. Calling it again waits for the same end.
   */
  close(graceMs?: number): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
// Room for everything around the body: properties (16 KiB), keys, ids and framing.
const REQUEST_OVERHEAD_BYTES = 1024 * 1024;

/**
 * Serves `apache.rocketmq.v2.MessagingService` (RocketMQ 5's gRPC protocol) over a broker, so that the
 * official RocketMQ 5 clients use Eddy unchanged. Routes name every broker holding the topic when
 * `clusterRoute` is given, else this broker alone; each broker answers the RPCs sent to it itself. See the package README for what each RPC does.
 *
 * @throws `IO_ERROR` when it cannot listen (port taken, bad address); `INVALID_CONFIG` for bad options.
 */
export async function startRocketMqGateway(options: RocketMqGatewayOptions): Promise<RocketMqGateway> {
  const { broker, logger: givenLogger, observe, clusterRoute, ...config } = options;
  const parsed = parseWithSchema(RocketMqGatewayConfigSchema, config, 'RocketMQ gateway options');
  const logger = givenLogger ?? broker.logger;
  const advertisedHost = parsed.advertisedHost ?? (WILDCARD_HOSTS.has(parsed.host) ? '127.0.0.1' : parsed.host);
  if (parsed.advertisedHost === undefined && WILDCARD_HOSTS.has(parsed.host)) {
    logger.warn('rocketmq gateway: listening on a wildcard address without advertisedHost; routes name 127.0.0.1');
  }
  const advertised: { name: string; host: string; port: number } = {
    name: broker.config.brokerName,
    host: advertisedHost,
    port: parsed.port,
  };

  let renewer: InvisibilityRenewer | undefined;
  const clients = new ClientRegistry({
    broker,
    clock: broker.clock,
    logger,
    storeHost: endpointOf(advertised),
    onClientGone: (clientId) => renewer?.forgetClient(clientId),
  });
  renewer = new InvisibilityRenewer({
    broker,
    clock: broker.clock,
    logger,
    invisibleMs: AUTO_RENEW_INVISIBLE_MS,
    isAlive: (clientId) => clients.isAlive(clientId),
  });
  const context: GatewayContext = {
    broker,
    logger,
    advertised: advertised as AdvertisedBroker,
    clusterRoute: clusterRoute === undefined ? undefined : tolerantLookup(clusterRoute, logger),
    clients,
    renewer,
    maxLongPollingMs: parsed.maxLongPollingMs,
    openStreams: new Set(),
  };

  const server = new Server({
    'grpc.max_receive_message_length': broker.config.maxMessageSize + REQUEST_OVERHEAD_BYTES,
  });
  server.addService(loadMessagingService(), implementation(context, { logger, observe }));
  const address = parsed.host.includes(':') && !parsed.host.startsWith('[') ? `[${parsed.host}]` : parsed.host;
  try {
    advertised.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${address}:${parsed.port}`, ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
  } catch (error) {
    clients.close();
    throw new EddyError(
      'IO_ERROR',
      `RocketMQ gateway could not listen on ${address}:${parsed.port}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  logger.info('rocketmq gateway: listening', {
    address: `${address}:${advertised.port}`,
    endpoint: endpointOf(advertised),
  });

  let closing: Promise<void> | undefined;
  return {
    port: advertised.port,
    endpoint: endpointOf(advertised),
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        for (const end of [...context.openStreams]) end();
        clients.close();
        renewer.close();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}

function implementation(context: GatewayContext, options: AdapterOptions): UntypedServiceImplementation {
  const handlers: UntypedServiceImplementation = {
    QueryRoute: unary(options, 'QueryRoute', (request, call) => queryRoute(context, request, call)),
    Heartbeat: unary(options, 'Heartbeat', (request, call) => heartbeat(context, request, call)),
    SendMessage: unary(options, 'SendMessage', (request, call) => sendMessage(context, request, call)),
    QueryAssignment: unary(options, 'QueryAssignment', (request, call) => queryAssignment(context, request, call)),
    ReceiveMessage: serverStream<Parameters<typeof receiveMessage>[1], ReceiveMessageResponse>(
      options,
      'ReceiveMessage',
      (request, call, write) => receiveMessage(context, request, call, write),
      (status) => ({ status }),
    ),
    AckMessage: unary(options, 'AckMessage', (request, call) => ackMessage(context, request, call)),
    ForwardMessageToDeadLetterQueue: unary(options, 'ForwardMessageToDeadLetterQueue', (request, call) =>
      forwardToDeadLetter(context, request, call),
    ),
    EndTransaction: unary(options, 'EndTransaction', (request, call) => endTransaction(context, request, call)),
    Telemetry: bidiStream<WireTelemetryCommand, WireTelemetryCommand>(options, 'Telemetry', (call, info, done) =>
      serveTelemetry(context, call, info, done),
    ),
    NotifyClientTermination: unary(options, 'NotifyClientTermination', (request, call) =>
      notifyClientTermination(context, request, call),
    ),
    ChangeInvisibleDuration: unary<ChangeInvisibleDurationRequest, ChangeInvisibleDurationResponse>(
      options,
      'ChangeInvisibleDuration',
      (request, call) => changeInvisibleDuration(context, request, call),
      (status, request) => ({ status, receiptHandle: request.receiptHandle ?? '' }),
    ),
    PullMessage: serverStream(
      options,
      'PullMessage',
      async (_request, _call, write: (response: unknown) => void) => {
        const answer = notImplemented('PullMessage', UNSUPPORTED_RPCS.PullMessage ?? '');
        write(answer);
        return answer.status.code;
      },
      (status) => ({ status }),
    ),
  };
  for (const rpc of ['UpdateOffset', 'GetOffset', 'QueryOffset', 'RecallMessage', 'SyncLiteSubscription']) {
    handlers[rpc] = unary(options, rpc, () => notImplemented(rpc, UNSUPPORTED_RPCS[rpc] ?? ''));
  }
  return handlers;
}
