import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { answerClientError, readBody } from '@eddy/http-json';
import { EddyError, type Logger, parseWithSchema, silentLogger, systemClock } from '@eddy/message';
import {
  BrokerIdentitySchema,
  BrokerRegistrationSchema,
  NameServerCore,
  NameServerCoreOptionsSchema,
} from '@eddy/routing';
import { z } from 'zod';
import { ClockSchema } from './clock-schema.js';
import { urlHost } from './host-port.js';
import { errorReply, type JsonReply, parseJson, sendJson } from './http-json.js';

/** RocketMQ's name server port. */
export const DEFAULT_NAME_SERVER_PORT = 9876;
/** The default {@link NameServerOptions.maxRequestBytes}: 4 MiB, room for about 30,000 topics in one registration. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Options of {@link startNameServer}. Every field is optional; parse configuration with it so that an
 * error names the field at fault. `clock` and `logger` are injected in code, never configured.
 */
export const NameServerOptionsSchema = z
  .object({
    /** Interface to listen on. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 lets the OS pick one (read it from {@link RunningNameServer.port}). */
    port: z.number().int().min(0).max(65535).default(DEFAULT_NAME_SERVER_PORT),
    /** A broker silent for longer than this is dropped; default 120 s (RocketMQ's). */
    brokerExpiryMs: NameServerCoreOptionsSchema.shape.brokerExpiryMs,
    /** How often silent brokers are looked for; default 10 s. */
    scanIntervalMs: NameServerCoreOptionsSchema.shape.scanIntervalMs,
    /** Largest request body accepted; a larger one is answered 413 without being read. */
    maxRequestBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024 * 1024)
      .default(DEFAULT_MAX_REQUEST_BYTES),
    /** Time for expiry and the scan; the system clock by default. */
    clock: ClockSchema.optional(),
    /** Where failures inside the server are reported; silent by default. */
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null, 'must be a Logger').optional(),
  })
  .strict();

/** What {@link startNameServer} accepts (see {@link NameServerOptionsSchema} for the defaults). */
export type NameServerOptions = z.input<typeof NameServerOptionsSchema>;

/** A name server that is listening. */
export interface RunningNameServer {
  /** `http://host:port`, the base of every endpoint. */
  readonly url: string;
  /** The interface it listens on. */
  readonly host: string;
  /** The port it listens on (the one the OS picked when asked for 0). */
  readonly port: number;
  /** The tables behind the HTTP API, for embedding and tests. */
  readonly core: NameServerCore;
  /** Stops the expiry scan, closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

interface Route {
  readonly path: RegExp;
  readonly methods: Readonly<Record<string, (context: RouteContext) => JsonReply | Promise<JsonReply | undefined>>>;
}

interface RouteContext {
  readonly request: IncomingMessage;
  readonly params: readonly string[];
}

/**
 * Starts a name server: RocketMQ's NameServer role over HTTP/JSON. Brokers register with it (every
 * 30 s, with their topic tables); clients ask it for routes. It keeps no state on disk and never talks
 * to other name servers: every broker registers with all of them.
 *
 * | method | path | answer |
 * |---|---|---|
 * | POST | `/brokers/register` | a `BrokerRegistration` → 200 `{ changed }` |
 * | POST | `/brokers/unregister` | `{ cluster, brokerName, brokerId }` → 200 `{ removed }` |
 * | GET | `/topics` | 200 `{ topics }`, sorted |
 * | GET | `/topics/:topic/route` | 200 `TopicRouteData`, or 404 `UNKNOWN_TOPIC` |
 * | GET | `/cluster` | 200 `ClusterInfo` |
 * | GET | `/healthz` | 200 `{ status: 'ok' }` |
 *
 * Errors are `{ error: { code, message } }` with a 4xx status: malformed JSON 400 `INVALID_JSON`, a
 * schema violation 400 `INVALID_ARGUMENT` naming the field, a body over `maxRequestBytes` 413
 * `REQUEST_TOO_LARGE` (refused unread, connection closed), an unknown path 404 `NOT_FOUND`, a wrong
 * method 405 `METHOD_NOT_ALLOWED` with `Allow`. No client input (nor an aborted request or a socket
 * error) stops the server.
 *
 * @throws EddyError `INVALID_CONFIG` naming the bad option; `IO_ERROR` when it cannot listen.
 *
 * @example
 * ```ts
 * const nameServer = await startNameServer({ port: 0 });
 * const route = await (await fetch(`${nameServer.url}/topics/orders/route`)).json();
 * await nameServer.close();
 * ```
 */
export async function startNameServer(options: NameServerOptions = {}): Promise<RunningNameServer> {
  const config = parseWithSchema(NameServerOptionsSchema, options, 'name server options');
  const logger = config.logger ?? silentLogger;
  const core = new NameServerCore({
    clock: config.clock ?? systemClock,
    brokerExpiryMs: config.brokerExpiryMs,
    scanIntervalMs: config.scanIntervalMs,
  });
  const routes = makeRoutes(core, config.maxRequestBytes);

  const server = createServer((request, response) => {
    response.on('error', () => {});
    handle(routes, request).then(
      (reply) => {
        if (reply !== undefined) sendJson(response, reply);
      },
      (error: unknown) => {
        logger.error('name server request failed', { method: request.method, url: request.url, error: String(error) });
        sendJson(response, errorReply(500, 'INTERNAL', 'internal error; see the name server log', { close: true }));
      },
    );
  });
  // Bounds on slow clients: headers within 10 s, the whole request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));

  await listen(server, config.host, config.port);
  // After listening, a server error (e.g. EMFILE on accept) is logged; it must not crash the process.
  server.on('error', (error) => logger.error('name server socket error', { error: String(error) }));
  core.start();
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(config.host)}:${port}`,
    host: config.host,
    port,
    core,
    close() {
      closing ??= new Promise<void>((resolve) => {
        core.stop();
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
        new EddyError(
          'IO_ERROR',
          `the name server cannot listen on ${urlHost(host)}:${port}: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function makeRoutes(core: NameServerCore, maxRequestBytes: number): readonly Route[] {
  const readJson = async (request: IncomingMessage): Promise<{ value: unknown } | JsonReply | undefined> => {
    const read = await readBody(request, maxRequestBytes);
    if (read.status === 'aborted') return undefined;
    if (read.status === 'too-large') {
      return errorReply(
        413,
        'REQUEST_TOO_LARGE',
        read.declared === undefined
          ? `request body exceeds the limit of ${maxRequestBytes} bytes (maxRequestBytes)`
          : `request body is ${read.declared} bytes; the limit is ${maxRequestBytes} (maxRequestBytes)`,
        { close: true },
      );
    }
    if (read.body.length === 0) return errorReply(400, 'INVALID_JSON', 'request body is empty; expected JSON');
    const parsed = parseJson(read.body);
    if (!parsed.ok) return errorReply(400, 'INVALID_JSON', `request body is not JSON: ${parsed.message}`);
    return { value: parsed.value };
  };
  const validate = <Schema extends z.ZodType>(schema: Schema, value: unknown, what: string) => {
    try {
      return { ok: true as const, value: parseWithSchema(schema, value, what) };
    } catch (error) {
      if (EddyError.is(error, 'INVALID_CONFIG')) {
        return { ok: false as const, reply: errorReply(400, 'INVALID_ARGUMENT', error.message) };
      }
      throw error;
    }
  };
  const ok = (body: unknown): JsonReply => ({ status: 200, body });

  return [
    {
      path: /^\/brokers\/register$/,
      methods: {
        POST: async ({ request }) => {
          const body = await readJson(request);
          if (body === undefined || !('value' in body)) return body;
          const registration = validate(BrokerRegistrationSchema, body.value, 'broker registration');
          if (!registration.ok) return registration.reply;
          return ok({ changed: core.register(registration.value).changed });
        },
      },
    },
    {
      path: /^\/brokers\/unregister$/,
      methods: {
        POST: async ({ request }) => {
          const body = await readJson(request);
          if (body === undefined || !('value' in body)) return body;
          const identity = validate(BrokerIdentitySchema, body.value, 'unregister request');
          if (!identity.ok) return identity.reply;
          return ok({ removed: core.unregister(identity.value) });
        },
      },
    },
    { path: /^\/topics$/, methods: { GET: () => ok({ topics: core.topics() }) } },
    {
      path: /^\/topics\/([^/]+)\/route$/,
      methods: {
        GET: ({ params }) => {
          let topic: string;
          try {
            topic = decodeURIComponent(params[0] ?? '');
          } catch {
            return errorReply(
              400,
              'INVALID_ARGUMENT',
              `topic '${params[0]}' in the path is not valid percent-encoding`,
            );
          }
          const route = core.routeOf(topic);
          if (route === undefined) {
            return errorReply(404, 'UNKNOWN_TOPIC', `topic '${topic}' has no route: no live broker holds it`);
          }
          return ok(route);
        },
      },
    },
    { path: /^\/cluster$/, methods: { GET: () => ok(core.clusterInfo()) } },
    { path: /^\/healthz$/, methods: { GET: () => ok({ status: 'ok' }) } },
  ];
}

async function handle(routes: readonly Route[], request: IncomingMessage): Promise<JsonReply | undefined> {
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  // A body left unread must not be read (it may be huge): answer and close the connection instead.
  const close = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > 0;
  for (const route of routes) {
    const match = route.path.exec(path);
    if (match === null) continue;
    const method = request.method === 'HEAD' && route.methods.GET !== undefined ? 'GET' : (request.method ?? '');
    const handler = route.methods[method];
    if (handler === undefined) {
      const allowed = Object.keys(route.methods).join(', ');
      return errorReply(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed}`, {
        headers: { allow: allowed },
        close,
      });
    }
    return handler({ request, params: match.slice(1) });
  }
  return errorReply(404, 'NOT_FOUND', `no endpoint at ${path}`, { close });
}
