import { performance } from 'node:perf_hooks';
import type { Logger } from '@eddy/message';
import type {
  handleBidiStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  ServerDuplexStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import { isServerFault, statusOfError } from './error-status.js';
import type { CallInfo } from './gateway-context.js';
import type { WireStatus } from './proto/wire-types.js';

/** Reports one finished call: RPC name, duration and the status code it ended with. */
export type ObserveCall = (rpc: string, durationMs: number, code: string) => void;

/** What the adapters share. */
export interface AdapterOptions {
  readonly logger: Logger;
  readonly observe: ObserveCall | undefined;
}

type AnyCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

/** The {@link CallInfo} of a gRPC call: client id header, peer host, deadline and cancellation. */
export function callInfoOf(call: AnyCall): CallInfo {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return {
    clientId: headerOf(call.metadata, 'x-mq-client-id'),
    peerHost: hostOfPeer(call.getPeer()),
    deadlineInMs: Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : Number.POSITIVE_INFINITY,
    cancelled: () => call.cancelled,
  };
}

function headerOf(metadata: Metadata, name: string): string | undefined {
  const value = metadata.get(name)[0];
  const text = typeof value === 'string' ? value : value?.toString('utf8');
  return text === undefined || text === '' ? undefined : text;
}

/** The host of a gRPC peer string (`ipv4:1.2.3.4:5`, `ipv6:[::1]:5`, `1.2.3.4:5`, `[::1]:5`). */
export function hostOfPeer(peer: string): string {
  const address = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}

function report(options: AdapterOptions, rpc: string, started: number, code: string): void {
  try {
    options.observe?.(rpc, performance.now() - started, code);
  } catch (error) {
    options.logger.warn('rocketmq gateway: the observe callback threw', { rpc, error: String(error) });
  }
}

function logIfFault(options: AdapterOptions, rpc: string, error: unknown): void {
  if (isServerFault(error)) {
    options.logger.error(`rocketmq gateway: ${rpc} failed`, {
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}

/**
 * A unary handler for grpc-js. Whatever the handler does, the client gets a response with an explicit
 * status: a thrown error becomes the status from the one error table (logged when it is the server's
 * fault), built into a response by `fallback`. Nothing a client sends can make an exception escape.
 */
export function unary<Request, Response extends { status: WireStatus }>(
  options: AdapterOptions,
  rpc: string,
  handler: (request: Request, call: CallInfo) => Response | Promise<Response>,
  fallback: (status: WireStatus, request: Request) => Response = (status) => ({ status }) as Response,
): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const started = performance.now();
    const request = (call.request ?? {}) as Request;
    Promise.resolve()
      .then(() => handler(request, callInfoOf(call as ServerUnaryCall<unknown, unknown>)))
      .catch((error: unknown) => {
        logIfFault(options, rpc, error);
        return fallback(statusOfError(error), request);
      })
      .then((response) => {
        report(options, rpc, started, response.status.code);
        callback(null, response);
      })
      .catch((error: unknown) => logIfFault(options, rpc, error));
  };
}

/**
 * A server-streaming handler for grpc-js: the handler writes, the adapter ends the stream afterwards,
 * always (an unended receive stream makes the client wait for its deadline). A thrown error is written
 * as a status first.
 */
export function serverStream<Request, Response>(
  options: AdapterOptions,
  rpc: string,
  handler: (request: Request, call: CallInfo, write: (response: Response) => void) => Promise<string>,
  statusResponse: (status: WireStatus) => Response,
): handleServerStreamingCall<Request, Response> {
  return (call) => {
    const started = performance.now();
    const write = (response: Response): void => {
      if (!call.cancelled && call.writable) call.write(response);
    };
    const request = (call.request ?? {}) as Request;
    Promise.resolve()
      .then(() => handler(request, callInfoOf(call as ServerWritableStream<unknown, unknown>), write))
      .catch((error: unknown) => {
        logIfFault(options, rpc, error);
        const status = statusOfError(error);
        write(statusResponse(status));
        return status.code;
      })
      .then((code) => {
        report(options, rpc, started, code);
        if (!call.cancelled && call.writable) call.end();
      })
      .catch((error: unknown) => logIfFault(options, rpc, error));
  };
}

/** A bidi handler for grpc-js; `serve` calls its `done` once when the stream is over. */
export function bidiStream<Request, Response>(
  options: AdapterOptions,
  rpc: string,
  serve: (call: ServerDuplexStream<Request, Response>, info: CallInfo, done: () => void) => void,
): handleBidiStreamingCall<Request, Response> {
  return (call) => {
    const started = performance.now();
    try {
      serve(call, callInfoOf(call as ServerDuplexStream<unknown, unknown>), () => report(options, rpc, started, 'OK'));
    } catch (error) {
      logIfFault(options, rpc, error);
      call.end();
    }
  };
}
