import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Broker } from '@eddy/broker';
import { answerClientError } from '@eddy/http-json';
import { EddyError, type Logger, parseWithSchema, silentLogger } from '@eddy/message';
import { z } from 'zod';
import type { AdminRoute } from './admin-handler.js';
import { dispatch } from './dispatch.js';
import { groupRoutes } from './group-routes.js';
import { errorReply, sendReply } from './http-reply.js';
import { messageRoutes } from './message-routes.js';
import type { MetricsRegistry } from './metrics-registry.js';
import { observabilityRoutes } from './observability-routes.js';
import { topicRoutes } from './topic-routes.js';

/** The default {@link AdminHttpOptions.maxRequestBytes}: 64 KiB, far above any admin request. */
export const DEFAULT_ADMIN_MAX_REQUEST_BYTES = 64 * 1024;

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
const isFunction = (value: unknown): boolean => typeof value === 'function';

/**
 * Options of {@link startAdminHttp}. `host`, `port` and `maxRequestBytes` come from configuration and
 * are validated with errors naming the field; the rest is injected in code.
 */
export const AdminHttpOptionsSchema = z
  .object({
    /** The broker to serve. It is neither started nor closed here. */
    broker: z.custom<Broker>(isObject, 'must be a Broker'),
    /** Interface to listen on; loopback by default, since the admin API has no authentication. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 lets the OS pick one (read it from {@link RunningAdminHttp.port}). */
    port: z.number().int().min(0).max(65535),
    /** Where failed requests and scrapes are reported; silent by default. */
    logger: z.custom<Logger>(isObject, 'must be a Logger').optional(),
    /** The process's RPC and flush metrics, rendered with the broker's by `GET /metrics`. */
    metrics: z.custom<MetricsRegistry>(
      (value) => isObject(value) && isFunction((value as MetricsRegistry).render),
      'must be a MetricsRegistry',
    ),
    /** `GET /healthz` answers 200 while this returns true, else 503. Default: always ready. */
    isReady: z.custom<() => boolean>(isFunction, 'must be a function').optional(),
    /** The store's size in bytes for `eddy_store_size_bytes`; the gauge has no sample without it. */
    storeSizeBytes: z.custom<() => number | Promise<number>>(isFunction, 'must be a function').optional(),
    /** Largest request body accepted; a larger one is answered 413 without being read. */
    maxRequestBytes: z
      .number()
      .int()
      .positive()
      .max(16 * 1024 * 1024)
      .default(DEFAULT_ADMIN_MAX_REQUEST_BYTES),
  })
  .strict();

/** What {@link startAdminHttp} accepts (see {@link AdminHttpOptionsSchema}). */
export type AdminHttpOptions = z.input<typeof AdminHttpOptionsSchema>;

/** An admin HTTP server that is listening. */
export interface RunningAdminHttp {
  /** `http://host:port`, the base of every endpoint. */
  readonly url: string;
  /** The port it listens on (the one the OS picked when asked for 0). */
  readonly port: number;
  /** Closes every connection and stops listening. Idempotent. Leaves the broker running. */
  close(): Promise<void>;
}

/**
 * Starts Eddy's HTTP front over a broker: `GET /healthz`, `GET /metrics` (Prometheus text format
 * 0.0.4) and the admin REST API under `/admin` (topics, consumer groups and offsets, message look-up,
 * dead-letter re-sends). See the package README for every endpoint and metric.
 *
 * Answers are JSON; errors are `{ error: { code, message } }`. Request bodies are validated (400
 * `INVALID_ARGUMENT` naming the field, 400 `INVALID_JSON` for malformed JSON, 413 `REQUEST_TOO_LARGE`
 * over `maxRequestBytes`, refused unread with the connection closed); an unknown path is 404
 * `NOT_FOUND`, a wrong method 405 `METHOD_NOT_ALLOWED` with `Allow`. Broker errors keep their
 * `EddyError` code and get their status from one table (`ERROR_STATUS`). No client input, aborted
 * request or socket error stops the server.
 *
 * @throws EddyError `INVALID_CONFIG` naming the bad option; `IO_ERROR` when it cannot listen.
 *
 * @example
 * ```ts
 * const metrics = new MetricsRegistry();
 * const admin = await startAdminHttp({ broker, metrics, port: 0 });
 * const topics = await (await fetch(`${admin.url}/admin/topics`)).json();
 * await admin.close();
 * ```
 */
export async function startAdminHttp(options: AdminHttpOptions): Promise<RunningAdminHttp> {
  const config = parseWithSchema(AdminHttpOptionsSchema, options, 'admin HTTP options');
  const logger = config.logger ?? silentLogger;
  const routes: readonly AdminRoute[] = [
    ...observabilityRoutes({
      metrics: config.metrics,
      isReady: config.isReady ?? (() => true),
      storeSizeBytes: config.storeSizeBytes,
      logger,
    }),
    ...topicRoutes(),
    ...groupRoutes(),
    ...messageRoutes(),
  ];

  const server = createServer((request, response) => {
    response.on('error', () => {});
    dispatch(routes, config.broker, config.maxRequestBytes, request).then(
      (reply) => {
        if (reply !== undefined) sendReply(response, reply);
      },
      (error: unknown) => {
        logger.error('admin request failed', { method: request.method, url: request.url, error: String(error) });
        sendReply(response, errorReply(500, 'INTERNAL', 'internal error; see the broker log', { close: true }));
      },
    );
  });
  // Bounds on slow clients: headers within 10 s, the whole request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));

  await listen(server, config.host, config.port);
  // After listening, a server error (e.g. EMFILE on accept) is logged; it must not crash the process.
  server.on('error', (error) => logger.error('admin HTTP socket error', { error: String(error) }));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(config.host)}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new EddyError('IO_ERROR', `the admin HTTP server cannot listen on ${urlHost(host)}:${port}: ${error.code}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// An IPv6 literal needs brackets in a URL.
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
